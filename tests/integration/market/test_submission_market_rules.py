"""A campus submits only to its own market, and only when submission is switched on for it: the submission
service refuses anything else before storing or sending, and the billing cycle's ISO step records why it skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from billing.iso_step import submit_to_iso
from campus.file import parse_campus_text
from campus.service import apply
from market_adapters.model import SubmissionOutcome
from market_adapters.submission import SubmissionRefused, SubmissionRequest, submit_cycle_to_iso
from market_adapters.submission.repository import list_submissions
from settings import Settings
from tests.integration.market.conftest import campus_in
from tests.integration.market.iso_step_rows import IsoMeterRow, insert_campus_cycle, step_for, write_month

NOW = datetime(2025, 8, 2, 15, tzinfo=UTC)
DOCUMENT = {"generators": [{"genPtid": 323999, "dateHour": "2025-07-15T00:00:00-04:00",
                            "meterInjectionEnergyMwh": 10.0}]}


class RecordingSender:
    """Stands in for the ISO's endpoint: remembers every document it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, document: dict[str, Any]) -> SubmissionOutcome:
        self.sent.append(document)
        return SubmissionOutcome("REQ-1", "wl-rules", dry_run=False, records_submitted=1, records_accepted=1,
                                 response={"status": "accepted"})


def _request(campus_id: str, iso: str) -> SubmissionRequest:
    return SubmissionRequest(campus_id, iso, "2025-07-15", 1, None, DOCUMENT, "file:///outbox/doc.json", None)


def _stored_keys(engine, campus_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [row["submission_key"] for row in list_submissions(conn, campus_id)]


def test_an_ercot_campus_never_sends_to_nyiso(engine):
    campus = campus_in(engine, "ERCOT")
    sender = RecordingSender()
    with pytest.raises(SubmissionRefused, match=f"campus {campus.campus_id} is in ERCOT; it submits to ERCOT only, "
                                                "not to NYISO"):
        submit_cycle_to_iso(engine, _request(campus.campus_id, "NYISO"), sender, now_utc=NOW)
    assert sender.sent == [] and _stored_keys(engine, campus.campus_id) == []


def test_its_own_market_is_sent_once(engine):
    campus = campus_in(engine, "NYISO")
    sender = RecordingSender()
    record = submit_cycle_to_iso(engine, _request(campus.campus_id, "NYISO"), sender, now_utc=NOW)
    assert (record.status, len(sender.sent)) == ("accepted", 1)


def _campus_with_submission_off(engine, campus_id: str) -> None:  # type: ignore[no-untyped-def]
    text_body = (f'schema_version = 1\n\n[campus]\nid = "{campus_id}"\nname = "Off"\ntime_zone = "America/Chicago"\n'
                 'iso = "ERCOT"\n\n[[meters]]\nid = "GT1"\nrole = "generation"\nunit = "kWh"\n'
                 'iso_meter_id = "10443720001234567"\n\n[iso_submission]\nenabled = false\nduns = "999999999"\n')
    apply(engine, parse_campus_text(f"{campus_id}.toml", text_body.encode(), None), "tester")


def test_submission_off_sends_nothing_and_the_cycle_records_why(engine, tmp_path):
    """The campus file says `[iso_submission] enabled = false`: the service refuses even a well-formed ERCOT
    request, and the cycle's ISO step (reading the same switch) records `skipped` with the reason."""
    campus_id = f"off-{datetime.now(UTC):%H%M%S%f}"
    _campus_with_submission_off(engine, campus_id)
    sender = RecordingSender()
    with pytest.raises(SubmissionRefused, match="ISO submission is off for campus"):
        submit_cycle_to_iso(engine, _request(campus_id, "ERCOT"), sender, now_utc=NOW)
    assert sender.sent == []

    cycle_id = f"cycle:{campus_id}:2025-11"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc,"
                          " status, workflow_id, input_uri) VALUES (:id, :c, '2025-11', :s, :e, 'running', 'wf',"
                          " 'file:///none')"), {"id": cycle_id, "c": campus_id,
                                                "s": datetime(2025, 11, 1, 5, tzinfo=UTC),
                                                "e": datetime(2025, 12, 1, 6, tzinfo=UTC)})
    settings = Settings(home=tmp_path / "home", database_url="postgresql://unused/none",
                        iso_base_url="https://127.0.0.1:9/")
    output = submit_to_iso(engine, settings, cycle_id, campus_id, "2025-11", 1, str(tmp_path / "absent.parquet"))
    assert (output.status, output.document_uri) == ("skipped", "")
    with engine.connect() as conn:
        step = conn.execute(text("SELECT result_json FROM cycle_step WHERE cycle_id = :c AND step = 'iso'"),
                            {"c": cycle_id}).scalar_one()
    assert step["detail"] == "ISO submission is off for this campus; nothing submitted"
    assert _stored_keys(engine, campus_id) == []


def test_the_cycle_of_an_ercot_campus_writes_ercot_files_even_with_a_nyiso_endpoint_configured(engine, tmp_path):
    """Settings name a NYISO endpoint (unreachable on purpose): the ERCOT campus's step keeps its LSE file and
    never calls it; the key and the step name ERCOT."""
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-11",
                               [IsoMeterRow("GT1", "generation", "10443720001234567")])
    intervals_uri = write_month(tmp_path / "validated.parquet", refs.bounds_utc, {"GT1": lambda index: 1_000}, {})
    settings = Settings(home=tmp_path / "home", database_url="postgresql://unused/none",
                        iso_base_url="https://127.0.0.1:9/")
    output = submit_to_iso(engine, settings, **step_for(refs, intervals_uri), lse_duns="999999999",
                           now_utc=datetime(2025, 12, 2, 15, tzinfo=UTC))
    assert (output.submission_key, output.status) == (f"{refs.campus_id}:ERCOT:2025-11:v1", "written")
    assert output.document_uri.endswith("ercot-lse-v1.json")
