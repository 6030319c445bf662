"""ISO submissions under a faulty NYISO: the fake ISO (over mutual TLS) answers 30% of calls with 5xx and
10% with 429, and 5% of calls time out before reaching it; every submission is still acknowledged exactly
once: one stored version per value at the ISO, one `accepted` row per business key, attempts recorded.

A separate check adds the case no retry policy can see through: the ISO commits and the response is lost
(a timeout after the commit). The client reads NYISO back before every commit and again after such a
timeout, so the commit is recognised and not sent twice: still one version per value
(docs/reliability.md reports the figures).

The outer loop plays the Temporal activity retry: a retryable `IsoUnavailable` is tried again, bounded.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, text

from demo.campus import register_demo_campus
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.errors import IsoUnavailable
from market_adapters.http.retry import RetryPolicy, tls_context
from market_adapters.model import IsoCredentials
from market_adapters.nyiso.client import submit_power_metering
from market_adapters.submission.service import SubmissionRequest, submit_cycle_to_iso
from tests.faults.conftest import FULL
from tests.faults.harness import RESULTS

NOW = datetime(2025, 7, 20, tzinfo=UTC)
PTID = 323999
EASTERN = ZoneInfo("America/New_York")  # NYISO's dateHour carries the Eastern offset
RETRY = RetryPolicy(attempts_max=3, backoff_initial_s=0.01, backoff_max_s=0.05)
ACTIVITY_ATTEMPTS_MAX = 30


class FaultyTransport(httpx.BaseTransport):
    """Before each call: 5xx or 429 queued at the real fake ISO, or a timeout before sending; optionally a
    timeout after the ISO answered (the lost response)."""

    def __init__(self, inner: httpx.BaseTransport, state: FakeIsoState, rng: random.Random,
                 lost_response_share: float) -> None:
        self.inner, self.state, self.rng, self.lost_response_share = inner, state, rng, lost_response_share
        self.injected = {"5xx": 0, "429": 0, "timeout_before": 0, "lost_response": 0, "lost_commit_response": 0,
                         "passed": 0}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        draw = self.rng.random()
        if draw < 0.30:
            self.state.inject_faults(self.rng.choice([500, 502, 503, 504]), 1)
            self.injected["5xx"] += 1
        elif draw < 0.40:
            self.state.throttle(1)
            self.injected["429"] += 1
        elif draw < 0.45:
            self.injected["timeout_before"] += 1
            raise httpx.ReadTimeout("injected timeout before the ISO saw the request", request=request)
        response = self.inner.handle_request(request)
        if response.status_code == 200 and self.rng.random() < self.lost_response_share:
            response.read()
            self.injected["lost_response"] += 1
            self.injected["lost_commit_response"] += request.method == "POST"
            raise httpx.ReadTimeout("injected timeout after the ISO committed", request=request)
        self.injected["passed"] += 1
        return response


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from devtools.fake_iso.pki import make_test_pki

    return make_test_pki(tmp_path_factory.mktemp("pki"), client_name="wl-operator")


def _state() -> FakeIsoState:
    return FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids={PTID},
                        tie_ptids=set(), subzone_ptids=set(), ptid_nodes={PTID: "N.Y.C."}, now_utc=NOW)


def _request(index: int, campus_id: str, first_period_index: int) -> SubmissionRequest:
    hour = (datetime(2025, 7, 1, tzinfo=UTC) + timedelta(hours=index)).astimezone(EASTERN)
    document = {"submissionParameters": {"userRequestId": f"wl-fault-{index}"},
                "generators": [{"genPtid": PTID, "dateHour": hour.isoformat(), "meterInjectionEnergyMwh": 40 + index}]}
    period_index = first_period_index + index  # distinct business keys per test on the shared database
    year, month = 2030 + period_index // 12, period_index % 12 + 1
    return SubmissionRequest(campus_id, "NYISO", f"{year}-{month:02d}", 1, None, document,
                             f"file:///outbox/{index}.json", None)


def _submit_until_final(engine: Engine, request: SubmissionRequest, send) -> int:  # type: ignore[no-untyped-def]
    for attempt in range(1, ACTIVITY_ATTEMPTS_MAX + 1):
        try:
            submit_cycle_to_iso(engine, request, send, now_utc=NOW)
            return attempt
        except IsoUnavailable:
            continue
    raise AssertionError(f"{request.period}: still unavailable after {ACTIVITY_ATTEMPTS_MAX} attempts")


def _run(engine: Engine, pki, count: int, lost_response_share: float, seed: int, first_period_index: int) -> dict:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        register_demo_campus(conn)
    campus_id = "demo-campus"
    state = _state()
    credentials = IsoCredentials("wl-operator", "s3cret", str(pki.client_cert_path), str(pki.client_key_path),
                                 str(pki.ca_cert_path))
    transport = FaultyTransport(httpx.HTTPTransport(verify=tls_context(credentials)), state, random.Random(seed),
                                lost_response_share)
    requests = [_request(index, campus_id, first_period_index) for index in range(count)]

    def send(document: dict):  # type: ignore[no-untyped-def]
        return submit_power_metering(url, credentials, document, dry_run=False, retry=RETRY, transport=transport,
                                     sleep=lambda _: None)

    with running_fake_iso(state, pki=pki) as url:
        attempts = [_submit_until_final(engine, request, send) for request in requests]
        again = [submit_cycle_to_iso(engine, request, send, now_utc=NOW) for request in requests]
    keys = [f"{campus_id}:NYISO:{r.period}:v1" for r in requests]
    with engine.connect() as conn:
        statuses = dict(conn.execute(text(
            "SELECT submission_key, status FROM market_submission WHERE submission_key = ANY(:k)"), {"k": keys}).all())
        # An acceptance without an ISO request id is one read back from the ISO instead of sent again.
        read_back = conn.execute(text(
            "SELECT count(*) FROM market_submission WHERE submission_key = ANY(:k) AND status = 'accepted' "
            "AND iso_request_id IS NULL"), {"k": keys}).scalar_one()
    versions = {key: values for key, values in state.metering.items()}
    return {"submissions": count, "statuses": statuses, "versions": versions, "attempts": attempts,
            "resent_after_accept": sum(1 for record in again if record.sent), "injected": transport.injected,
            "keys": keys, "accepted_by_read_back": read_back,
            "iso_calls": {method: sum(1 for seen in state.requests_seen if seen.startswith(method))
                          for method in ("GET", "POST")}}


def test_faulty_iso_acknowledges_every_submission_exactly_once(engine: Engine, pki) -> None:  # type: ignore[no-untyped-def]
    """30% 5xx, 10% 429, 5% timeouts before the ISO: all accepted, one version each, nothing re-sent."""
    count = 200 if FULL else 12
    run = _run(engine, pki, count, lost_response_share=0.0, seed=7, first_period_index=0)
    assert set(run["statuses"].values()) == {"accepted"} and len(run["statuses"]) == count
    assert len(run["versions"]) == count and all(len(v) == 1 for v in run["versions"].values())
    assert run["resent_after_accept"] == 0, "a second call for an accepted key must not reach the ISO"
    assert run["injected"]["5xx"] > 0 and run["injected"]["429"] > 0 and run["injected"]["timeout_before"] > 0
    _record("iso_faults_full" if FULL else "iso_faults_quick", run)


def test_lost_responses_are_read_back_not_stored_twice(engine: Engine, pki) -> None:  # type: ignore[no-untyped-def]
    """When 20% of the ISO's answers are lost, commits among them are recognised by reading NYISO back:
    every value is stored once, every key accepted once, and no second send reaches the ISO."""
    count = 100 if FULL else 10
    run = _run(engine, pki, count, lost_response_share=0.2, seed=8, first_period_index=1000)
    assert set(run["statuses"].values()) == {"accepted"} and len(run["statuses"]) == count
    assert len(run["versions"]) == count and run["injected"]["lost_response"] > 0
    assert all(len(stored) == 1 for stored in run["versions"].values()), "a lost answer led to a second version"
    assert run["accepted_by_read_back"] > 0 and run["resent_after_accept"] == 0
    _record("iso_lost_response_full" if FULL else "iso_lost_response_quick", run)


def _record(name: str, run: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    versions = [len(v) for v in run["versions"].values()]
    body = {"submissions": run["submissions"], "accepted": sum(1 for s in run["statuses"].values() if s == "accepted"),
            "iso_values_with_one_version": versions.count(1), "iso_values_with_more_versions": len(versions) - versions.count(1),
            "activity_attempts_max": max(run["attempts"]), "activity_attempts_total": sum(run["attempts"]),
            "injected": run["injected"], "resent_after_accept": run["resent_after_accept"],
            "accepted_by_read_back": run["accepted_by_read_back"], "iso_calls": run["iso_calls"]}
    (RESULTS / f"{name}.json").write_text(json.dumps(body, indent=1, sort_keys=True))
