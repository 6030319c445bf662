"""NYISO client against the fake ISO over mutual TLS: dry run, commit, overwrite with versions, all-or-nothing
422 mapped back to our meters, retries on throttling and faults, and credential failures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.errors import IsoAuthFailed, IsoRejected, IsoUnavailable
from market_adapters.http.retry import RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.nyiso.client import IsoHoldsOtherValues, read_power_metering, submit_power_metering

NOW = datetime(2025, 7, 20, tzinfo=UTC)
FAST = RetryPolicy(attempts_max=3, backoff_initial_s=0.01, backoff_max_s=0.05)
METERS = [IsoMeterRef("GT1", "323999", "generation"), IsoMeterRef("GT2", "324000", "generation")]


def _state() -> FakeIsoState:
    return FakeIsoState(users={"wl-operator": "s3cret", "viewer": "pw"}, metering_users={"wl-operator"},
                        generator_ptids={323999}, tie_ptids=set(), subzone_ptids=set(),
                        ptid_nodes={323999: "N.Y.C."}, now_utc=NOW)


def _credentials(pki, password: str = "s3cret", user: str = "wl-operator") -> IsoCredentials:
    return IsoCredentials(user, password, str(pki.client_cert_path), str(pki.client_key_path), str(pki.ca_cert_path))


def _doc(value: float, ptid: int = 323999, hour: str = "2025-07-15T14:00:00-04:00") -> dict:
    return {"submissionParameters": {"userRequestId": "wl-test"},
            "generators": [{"genPtid": ptid, "dateHour": hour, "meterInjectionEnergyMwh": value}]}


def _read(url, pki, version: int) -> list[dict]:
    return read_power_metering(url, _credentials(pki), start_utc=datetime(2025, 7, 15, tzinfo=UTC),
                               end_utc=datetime(2025, 7, 16, tzinfo=UTC), version=version, retry=FAST)["generators"]


def test_dry_run_validates_without_storing_then_commit_stores(fake_pki):
    """doNotCommit=true answers 200 with nothing accepted; the real run stores 41.25 MWh, read back exactly."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        dry = submit_power_metering(url, _credentials(fake_pki), _doc(41.25), dry_run=True, retry=FAST)
        assert (dry.dry_run, dry.records_submitted, dry.records_accepted) == (True, 1, 0)
        assert _read(url, fake_pki, 0) == []
        real = submit_power_metering(url, _credentials(fake_pki), _doc(41.25), dry_run=False, retry=FAST)
        assert (real.records_submitted, real.records_accepted, real.user_request_id) == (1, 1, "wl-test")
        [record] = _read(url, fake_pki, 0)
    assert record["dateHour"] == "2025-07-15T14:00:00-04:00"
    assert Decimal(str(record["meterInjectionEnergyMwh"])) == Decimal("41.25") and record["version"] == 1


def test_resubmission_overwrites_and_old_version_stays_readable(fake_pki):
    """A second value for the same PTID and hour becomes version 2; version=1 still returns the first."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        submit_power_metering(url, _credentials(fake_pki), _doc(41.25), dry_run=False, retry=FAST)
        submit_power_metering(url, _credentials(fake_pki), _doc(40.5), dry_run=False, retry=FAST)
        [latest], [first] = _read(url, fake_pki, 0), _read(url, fake_pki, 1)
    assert (latest["version"], latest["meterInjectionEnergyMwh"]) == (2, 40.5)
    assert (first["version"], first["meterInjectionEnergyMwh"]) == (1, 41.25)


def test_one_bad_record_rejects_all_and_errors_name_our_meter(fake_pki):
    """An unregistered PTID (324000 = our GT2) fails the request with 422 and M00001; the good record is not stored."""
    state = _state()
    doc = _doc(1.0)
    doc["generators"].append({"genPtid": 324000, "dateHour": "2025-07-15T15:00:00-04:00",
                              "meterInjectionEnergyMwh": 2.0})
    with running_fake_iso(state, pki=fake_pki) as url:
        with pytest.raises(IsoRejected) as caught:
            submit_power_metering(url, _credentials(fake_pki), doc, dry_run=False, meters=METERS, retry=FAST)
        assert _read(url, fake_pki, 0) == []
    [error] = caught.value.errors
    assert (error.meter_id, error.iso_meter_id, error.code, error.date_hour) == (
        "GT2", "324000", "M00001", "2025-07-15T15:00:00-04:00")
    assert not caught.value.retryable and caught.value.status_code == 422


def test_server_faults_and_throttling_are_retried_with_backoff(fake_pki):
    """Two 500s then success: three attempts; a 429 waits the Retry-After of 1 s (capped by backoff_max_s)."""
    state = _state()
    waits: list[float] = []
    with running_fake_iso(state, pki=fake_pki) as url:
        state.inject_faults(500, 2)
        outcome = submit_power_metering(url, _credentials(fake_pki), _doc(1.0), dry_run=True, retry=FAST,
                                        sleep=waits.append)
        assert outcome.records_submitted == 1 and waits == [0.01, 0.02]
        state.throttle(1)
        waits.clear()
        submit_power_metering(url, _credentials(fake_pki), _doc(1.0), dry_run=True, retry=FAST, sleep=waits.append)
        assert waits == [0.05]
        state.inject_faults(503, 5)
        with pytest.raises(IsoUnavailable) as caught:
            submit_power_metering(url, _credentials(fake_pki), _doc(1.0), dry_run=True, retry=FAST,
                                  sleep=waits.append)
    assert caught.value.retryable and "HTTP 503 after 3 attempts" in str(caught.value)
    assert caught.value.retry_after_s is None


def test_persistent_throttling_reports_the_iso_retry_after(fake_pki):
    """Three 429s with Retry-After: 1 exhaust the client; the error carries 1.0 s for the workflow's retry."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        state.throttle(3)
        with pytest.raises(IsoUnavailable) as caught:
            submit_power_metering(url, _credentials(fake_pki), _doc(1.0), dry_run=True, retry=FAST,
                                  sleep=lambda seconds: None)
    assert caught.value.retry_after_s == 1.0 and "HTTP 429" in str(caught.value)


def test_bad_password_and_missing_privilege_are_auth_failures(fake_pki):
    """401 and 403 are not retried: the same credentials cannot start working."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        with pytest.raises(IsoAuthFailed, match="401"):
            submit_power_metering(url, _credentials(fake_pki, "wrong"), _doc(1.0), dry_run=True, retry=FAST)
        with pytest.raises(IsoAuthFailed, match="403"):
            submit_power_metering(url, _credentials(fake_pki, "pw", "viewer"), _doc(1.0), dry_run=True, retry=FAST)
        assert len(state.requests_seen) == 2


def test_without_client_certificate_tls_refuses(fake_pki):
    """Mutual TLS: no client certificate, no request reaches the app."""
    state = _state()
    bare = IsoCredentials("wl-operator", "s3cret", None, None, str(fake_pki.ca_cert_path))
    with running_fake_iso(state, pki=fake_pki) as url, pytest.raises(IsoUnavailable):
        submit_power_metering(url, bare, _doc(1.0), dry_run=True,
                              retry=RetryPolicy(attempts_max=1, backoff_initial_s=0, backoff_max_s=0))
    assert state.requests_seen == []


def test_recorded_422_maps_ties_back_to_both_meters_behind_a_ptid():
    """A recorded NYISO 422 (served by MockTransport) for tie 55001 names our import and export meters."""
    body = {"nyisoRequestId": "5b0c", "requestSummary": {"ties": {"submitted": 1, "failedValidation": 1}},
            "failedValidation": {"ties": [{"tiePtid": 55001, "dateHour": "2025-07-15T14:00:00-04:00",
                                           "meterTieFlowMwh": 1.5, "errors": ["M00003: meterTieFlowMwh out of range"]}]}}
    # The read before a commit finds nothing held; the commit gets the recorded 422.
    transport = httpx.MockTransport(lambda request: httpx.Response(422, json=body) if request.method == "POST"
                                    else httpx.Response(200, json={"generators": [], "ties": [], "subzones": []}))
    meters = [IsoMeterRef("IMP", "55001", "grid_import"), IsoMeterRef("EXP", "55001", "export"), METERS[0]]
    with pytest.raises(IsoRejected) as caught:
        submit_power_metering("https://api.example", IsoCredentials("u", "p"), _doc(1.0), dry_run=False,
                              meters=meters, transport=transport, retry=FAST)
    [error] = caught.value.errors
    assert (error.meter_id, error.code, error.message) == ("EXP,IMP", "M00003", "meterTieFlowMwh out of range")


def test_commit_whose_answer_is_lost_is_read_back_not_resent(fake_pki):
    """The fake stores the commit and drops the connection mid-answer; the client reads back, finds our value
    and returns that as the acceptance: one POST, one stored version."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        state.lose_commit_answers(1)
        outcome = submit_power_metering(url, _credentials(fake_pki), _doc(41.25), dry_run=False, retry=FAST,
                                        sleep=lambda seconds: None)
        [record] = _read(url, fake_pki, 0)
    assert [request.split()[0] for request in state.requests_seen] == ["GET", "POST", "GET", "GET"]
    assert (outcome.iso_request_id, outcome.records_accepted, outcome.user_request_id) == ("", 1, "wl-test")
    assert outcome.response["heldAtIso"][0]["version"] == "1" and record["version"] == 1
    assert [len(versions) for versions in state.metering.values()] == [1]


def test_commit_already_held_is_not_sent(fake_pki):
    """A retried activity whose earlier commit landed: the read before sending finds our value, no POST."""
    state = _state()
    with running_fake_iso(state, pki=fake_pki) as url:
        first = submit_power_metering(url, _credentials(fake_pki), _doc(41.25), dry_run=False, retry=FAST)
        again = submit_power_metering(url, _credentials(fake_pki), _doc(41.2500), dry_run=False, retry=FAST)
    assert first.iso_request_id != "" and again.iso_request_id == ""
    assert state.requests_seen.count("POST /finance/metering/v1/powerMetering") == 1
    assert [len(versions) for versions in state.metering.values()] == [1]


def test_correction_after_a_lost_timeout_is_resent_when_nothing_changed():
    """The ISO holds 40.5 (an earlier version); our 41.25 times out before any commit; the read after it
    shows 40.5 unchanged, so the body is sent again and accepted."""
    answers = iter([_held(40.5, "2025-07-19T10:00:00-04:00"), "timeout", _held(40.5, "2025-07-19T10:00:00-04:00"),
                    httpx.Response(200, json={"nyisoRequestId": "n-2", "requestSummary": {}})])
    transport = httpx.MockTransport(lambda request: _answer(request, next(answers)))
    outcome = submit_power_metering("https://api.example", IsoCredentials("u", "p"), _doc(41.25), dry_run=False,
                                    transport=transport, retry=FAST, sleep=lambda seconds: None)
    assert outcome.iso_request_id == "n-2"


def test_values_written_by_someone_else_after_a_lost_answer_are_an_error():
    """Before: 40.5; after our lost send: 39.0, neither ours (41.25) nor unchanged. Not resent, not
    retryable, the record named."""
    answers = iter([_held(40.5, "2025-07-19T10:00:00-04:00"), "timeout", _held(39.0, "2025-07-20T09:00:00-04:00")])
    transport = httpx.MockTransport(lambda request: _answer(request, next(answers)))
    with pytest.raises(IsoHoldsOtherValues) as caught:
        submit_power_metering("https://api.example", IsoCredentials("u", "p"), _doc(41.25), dry_run=False,
                              transport=transport, retry=FAST, sleep=lambda seconds: None)
    [error] = caught.value.errors
    assert not caught.value.retryable and (error.iso_meter_id, error.code) == ("323999", "HELD_OTHER")
    assert error.date_hour == "2025-07-15T14:00:00-04:00" and "39.0" in error.message


def _held(value: float, updated: str) -> httpx.Response:
    record = {"genPtid": 323999, "dateHour": "2025-07-15T14:00:00-04:00", "meterInjectionEnergyMwh": value,
              "version": 1, "maUpdateTime": updated}
    return httpx.Response(200, json={"generators": [record], "ties": [], "subzones": []})


def _answer(request: httpx.Request, answer: httpx.Response | str) -> httpx.Response:
    if answer == "timeout":
        assert request.method == "POST"
        raise httpx.ReadTimeout("no answer after the request was sent", request=request)
    assert isinstance(answer, httpx.Response)
    return answer
