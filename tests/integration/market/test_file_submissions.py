"""ERCOT LSE and PJM Power Meter files through submit_cycle_to_iso and the fake ISO's drops: acknowledgements
are recorded; REJECTED acknowledgements carry the ISO's line, field and code mapped to our meter; a Power Meter
upload after PJM's next-business-day 16:00 EPT deadline is flagged late by us and refused by the ISO."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.ercot.lse_format import build_lse_file
from market_adapters.errors import IsoAuthFailed, IsoRejected
from market_adapters.http.retry import RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.pjm import build_hourly_meter_values
from market_adapters.pjm.client import sso_token
from market_adapters.pjm.deadlines import pjm_power_meter_deadline_utc
from market_adapters.submission import SubmissionRequest, submit_cycle_to_iso
from market_adapters.submission.repository import list_submissions
from market_adapters.submission.senders import ercot_lse_sender, file_document, pjm_power_meter_sender
from meterdata.schema import INTERVAL_SCHEMA

FAST = RetryPolicy(attempts_max=2, backoff_initial_s=0.0, backoff_max_s=0.0)
DAY = date(2025, 11, 2)  # fall-back day in both Central and Eastern time
CREATED = datetime(2025, 11, 3, 15, tzinfo=UTC)


def _intervals(tmp_path, start: datetime, count: int) -> str:
    starts = [start + index * timedelta(minutes=15) for index in range(count)]
    columns = {"meter_id": ["GT1"] * count, "channel": ["delivered"] * count, "interval_start_utc": starts,
               "interval_minutes": [15] * count, "energy_wh": [1_500_000] * count, "quality": [0] * count,
               "source_sha256": ["0" * 64] * count, "source_row": list(range(2, count + 2))}
    path = tmp_path / f"intervals-{start:%H}.parquet"
    pq.write_table(pa.table(columns, schema=INTERVAL_SCHEMA), path)
    return str(path)


def _state(now: datetime) -> FakeIsoState:
    return FakeIsoState(users={"wl-operator": "s3cret"}, metering_users=set(), generator_ptids=set(), tie_ptids=set(),
                        subzone_ptids=set(), ptid_nodes={}, ercot_esi_ids={"10443720001234567"},
                        pjm_meter_accounts={"PM-778812"}, now_utc=now)


def _credentials(pki) -> IsoCredentials:
    return IsoCredentials("wl-operator", "s3cret", str(pki.client_cert_path), str(pki.client_key_path),
                          str(pki.ca_cert_path))


def _request(campus, iso: str, document: dict, deadline=None, version: int = 1) -> SubmissionRequest:
    return SubmissionRequest(campus.campus_id, iso, DAY.isoformat(), version, None, document, "file:///outbox/f",
                             deadline)


def test_ercot_lse_accepted_then_rejected_for_unknown_esi(engine, ercot_campus, fake_pki, tmp_path):
    """The 100-interval fall-back day is ACCEPTED (after one 503 the client retries); the same export for an
    unregistered ESI ID is REJECTED with E005 on line 1, mapped to our meter GT1."""
    uri = _intervals(tmp_path, datetime(2025, 11, 2, 5, tzinfo=UTC), 100)
    good = IsoMeterRef("GT1", "10443720001234567", "generation")
    bad = IsoMeterRef("GT1", "10443720009999999", "generation")
    state = _state(CREATED)
    with running_fake_iso(state, pki=fake_pki) as url:
        lse = build_lse_file(uri, good, "delivered", DAY, DAY, "999999999", CREATED, 1)
        state.inject_faults(503, 1)
        record = submit_cycle_to_iso(engine, _request(ercot_campus, "ERCOT", file_document(lse.file_name, lse.text)),
                                     ercot_lse_sender(url, _credentials(fake_pki), good, retry=FAST), now_utc=CREATED)
        wrong = build_lse_file(uri, bad, "delivered", DAY, DAY, "999999999", CREATED, 2)
        with pytest.raises(IsoRejected) as caught:
            submit_cycle_to_iso(engine, _request(ercot_campus, "ERCOT", file_document(wrong.file_name, wrong.text), None,
                                                 2), ercot_lse_sender(url, _credentials(fake_pki), bad, retry=FAST),
                                now_utc=CREATED)
    assert (record.status, record.records_accepted) == ("accepted", 1)
    [error] = caught.value.errors
    assert (error.record_index, error.code, error.meter_id, error.iso_meter_id) == (1, "E005", "GT1",
                                                                                      "10443720009999999")
    assert [ack["status"] for ack in state.uploads] == ["ACCEPTED", "REJECTED"]


def test_pjm_power_meter_on_time_accepted_and_late_flagged_and_refused(engine, pjm_campus, fake_pki, tmp_path):
    """Sunday 2025-11-02's deadline is Monday 16:00 EST (21:00 UTC). Sent Monday 15:00 UTC: accepted, not late.
    Sent Tuesday: we flag it late and the ISO refuses each of the 25 hourly values with P005. The hourly
    values go as PJM's daily-submission MeterValues XML."""
    uri = _intervals(tmp_path, datetime(2025, 11, 2, 4, tzinfo=UTC), 100)
    meters = [IsoMeterRef("GT1", "PM-778812", "generation")]
    deadline = pjm_power_meter_deadline_utc(DAY)
    assert deadline == datetime(2025, 11, 3, 21, tzinfo=UTC)
    upload = build_hourly_meter_values(uri, meters, DAY, CREATED)
    document = file_document(upload.file_name, upload.text)
    late_now = datetime(2025, 11, 4, 15, tzinfo=UTC)
    on_time_state, late_state = _state(CREATED), _state(late_now)
    with running_fake_iso(on_time_state, pki=fake_pki) as url:
        sender = pjm_power_meter_sender(url, url, _credentials(fake_pki), meters, retry=FAST)
        record = submit_cycle_to_iso(engine, _request(pjm_campus, "PJM", document, deadline), sender, now_utc=CREATED)
        with pytest.raises(IsoAuthFailed):
            sso_token(url, IsoCredentials("wl-operator", "nope", str(fake_pki.client_cert_path),
                                          str(fake_pki.client_key_path), str(fake_pki.ca_cert_path)), retry=FAST)
    with running_fake_iso(late_state, pki=fake_pki) as url:
        sender = pjm_power_meter_sender(url, url, _credentials(fake_pki), meters, retry=FAST)
        with pytest.raises(IsoRejected) as caught:
            submit_cycle_to_iso(engine, _request(pjm_campus, "PJM", document, deadline, 2), sender, now_utc=late_now)
    assert (record.status, record.records_accepted, record.submitted_late) == ("accepted", 25, False)
    assert {error.code for error in caught.value.errors} == {"P005"} and len(caught.value.errors) == 25
    assert caught.value.errors[0].meter_id == "GT1"

    with engine.connect() as conn:
        rows = {row["version"]: row for row in list_submissions(conn, pjm_campus.campus_id) if row["iso"] == "PJM"}
    assert (rows[2]["status"], rows[2]["submitted_late"]) == ("rejected", True)
