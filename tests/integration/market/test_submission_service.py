"""submit_cycle_to_iso against PostgreSQL and the fake NYISO over mutual TLS: one send per business key,
rejections stored with the ISO's errors and raised again, transient failures retryable, conflicts refused,
late submissions flagged, and the core iso_submission row kept in step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from common.errors import Conflict
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.errors import IsoRejected, IsoUnavailable
from market_adapters.http.retry import RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.nyiso import build_power_metering_document
from market_adapters.submission import SubmissionRequest, nyiso_sender, submit_cycle_to_iso
from market_adapters.submission.repository import list_attempts
from meterdata.schema import INTERVAL_SCHEMA

EASTERN = ZoneInfo("America/New_York")
NOW = datetime(2025, 7, 16, 12, tzinfo=UTC)
DAY_START = datetime(2025, 7, 15, 4, tzinfo=UTC)
FAST = RetryPolicy(attempts_max=2, backoff_initial_s=0.0, backoff_max_s=0.0)
METERS = [IsoMeterRef("GT1", "323999", "generation"), IsoMeterRef("GT2", "324000", "generation")]


def _intervals(tmp_path) -> str:
    starts = [DAY_START + index * timedelta(minutes=15) for index in range(96)]
    rows = {"meter_id": [m for m in ("GT1", "GT2") for _ in starts], "channel": ["delivered"] * 192,
            "interval_start_utc": starts * 2, "interval_minutes": [15] * 192, "energy_wh": [2_500_000] * 192,
            "quality": [0] * 192, "source_sha256": ["0" * 64] * 192, "source_row": list(range(2, 194))}
    path = tmp_path / "intervals.parquet"
    pq.write_table(pa.table(rows, schema=INTERVAL_SCHEMA), path)
    return str(path)


def _state(generators: set[int]) -> FakeIsoState:
    return FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids=generators,
                        tie_ptids=set(), subzone_ptids=set(), ptid_nodes={}, now_utc=NOW)


def _request(campus, document: dict, version: int = 1, deadline: datetime | None = None) -> SubmissionRequest:
    return SubmissionRequest(campus.campus_id, "NYISO", "2025-07-15", version, campus.cycle_id, document,
                             "file:///outbox/doc.json", deadline)


def _send(url, pki):
    credentials = IsoCredentials("wl-operator", "s3cret", str(pki.client_cert_path), str(pki.client_key_path),
                                 str(pki.ca_cert_path))
    return nyiso_sender(url, credentials, METERS, dry_run_first=True, retry=FAST, sleep=lambda s: None)


def _document(tmp_path) -> dict:
    return build_power_metering_document(_intervals(tmp_path), METERS, DAY_START, DAY_START + timedelta(days=1),
                                         EASTERN, "wl-c-2025-07-15-v1")


def test_accepted_once_then_idempotent(engine, nyiso_campus, fake_pki, tmp_path):
    """48 hourly records are accepted (dry run then commit); a repeat call does not contact the ISO."""
    state = _state({323999, 324000})
    document = _document(tmp_path)
    with running_fake_iso(state, pki=fake_pki) as url:
        first = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        again = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
    assert (first.status, first.records_accepted, first.sent) == ("accepted", 48, True)
    assert (again.status, again.iso_request_id, again.sent) == ("accepted", first.iso_request_id, False)
    assert state.requests_seen.count("POST /finance/metering/v1/powerMetering") == 2  # dry run + commit
    with engine.connect() as conn:
        core = conn.execute(text("SELECT status, response_json FROM iso_submission WHERE submission_key = :k"),
                            {"k": first.submission_key}).one()
    assert core.status == "accepted" and core.response_json["nyisoRequestId"] == first.iso_request_id


def test_rejection_is_stored_raised_again_and_resendable_after_fix(engine, nyiso_campus, fake_pki, tmp_path):
    """GT2's PTID is unknown to the ISO: 24 M00001 errors name GT2; nothing committed; after the ISO
    registers it, the operator resends the same document and it is accepted."""
    state = _state({323999})
    document = _document(tmp_path)
    with running_fake_iso(state, pki=fake_pki) as url:
        with pytest.raises(IsoRejected) as caught:
            submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        assert {(e.meter_id, e.code) for e in caught.value.errors} == {("GT2", "M00001")}
        assert len(caught.value.errors) == 24 and state.metering == {}
        with pytest.raises(IsoRejected) as again:
            submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        assert len(again.value.errors) == 24 and len(state.requests_seen) == 1
        state.generator_ptids.add(324000)
        fixed = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW,
                                    resend_rejected=True)
    assert fixed.status == "accepted" and len(state.metering) == 48
    outcomes = [a["outcome"] for a in list_attempts(engine.connect(), fixed.submission_key)]
    assert outcomes == ["rejected", "accepted"]


def test_transient_failure_is_retryable_and_recorded(engine, nyiso_campus, fake_pki, tmp_path):
    """Two 503s exhaust the client's two attempts: IsoUnavailable (retryable); the next call succeeds."""
    state = _state({323999, 324000})
    document = _document(tmp_path)
    with running_fake_iso(state, pki=fake_pki) as url:
        state.inject_faults(503, 2)
        with pytest.raises(IsoUnavailable) as caught:
            submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        assert caught.value.retryable
        record = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
    assert record.status == "accepted"
    outcomes = [a["outcome"] for a in list_attempts(engine.connect(), record.submission_key)]
    assert outcomes == ["unavailable", "accepted"]


def test_same_key_with_another_document_is_a_conflict(engine, nyiso_campus, fake_pki, tmp_path):
    """A corrected document under the same version is refused; as version 2 it goes through, flagged late."""
    state = _state({323999, 324000})
    document = _document(tmp_path)
    # The correction changes one value: a body whose values NYISO already holds would not be sent at all.
    first_record = dict(document["generators"][0], meterInjectionEnergyMwh=1.5)
    changed = dict(document, generators=[first_record, *document["generators"][1:-1]])
    deadline = NOW - timedelta(hours=1)
    with running_fake_iso(state, pki=fake_pki) as url:
        submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        with pytest.raises(Conflict, match="version 2"):
            submit_cycle_to_iso(engine, _request(nyiso_campus, changed), _send(url, fake_pki), now_utc=NOW)
        second = submit_cycle_to_iso(engine, _request(nyiso_campus, changed, 2, deadline), _send(url, fake_pki),
                                     now_utc=NOW)
    assert (second.submission_key.endswith(":2025-07-15:v2"), second.submitted_late) == (True, True)
    versions = {v.version for values in state.metering.values() for v in values}
    assert versions == {1, 2}


def test_commit_whose_answer_is_lost_is_accepted_once_and_stored_once(engine, nyiso_campus, fake_pki, tmp_path):
    """The fake ISO stores the commit, then drops the connection before its answer; the client reads NYISO
    back, finds our 48 values and records that as the acceptance: one version each, one accepted attempt,
    and a repeat call does not reach the ISO."""
    state = _state({323999, 324000})
    document = _document(tmp_path)
    with running_fake_iso(state, pki=fake_pki) as url:
        state.lose_commit_answers(1)
        first = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
        again = submit_cycle_to_iso(engine, _request(nyiso_campus, document), _send(url, fake_pki), now_utc=NOW)
    assert (first.status, first.records_accepted, first.iso_request_id, again.sent) == ("accepted", 48, None, False)
    assert len(state.metering) == 48 and all(len(versions) == 1 for versions in state.metering.values())
    assert state.requests_seen.count("POST /finance/metering/v1/powerMetering") == 2  # dry run + one commit
    with engine.begin() as conn:
        attempts = list_attempts(conn, first.submission_key)
    assert [(a["outcome"], a["detail"]) for a in attempts] == [
        ("accepted", "already held at the ISO (read back), not resent")]
