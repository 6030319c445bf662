"""The billing cycle's ISO step dispatches on the campus's ISO. Proved by calling
`billing.iso_step.submit_to_iso` on campuses inserted with SQL and a hand-made month of validated intervals: an
ERCOT campus gets one LSE file per ISO meter that parses back to the same Wh per quarter hour (fall-back day
included) and a retry rewrites nothing; a PJM campus gets one Power Meter file per Eastern day; a CAISO campus
and a campus with submission off are skipped with their reason; a NYISO campus without an endpoint still gets
its powerMetering body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from billing.iso_step import submit_to_iso
from common.errors import BadInput
from market_adapters.ercot.lse_parse import parse_lse
from market_adapters.pjm import parse_hourly_meter_values
from meterdata.schema import QUALITY_MISSING
from tests.integration.market.iso_step_rows import (
    IsoMeterRow,
    insert_campus_cycle,
    quarter_hours_utc,
    settings_for,
    step_for,
    write_month,
)

CREATED_UTC = datetime(2025, 12, 2, 15, tzinfo=UTC)  # 09:00:00 Central
DUNS = "999999999"
ERCOT_METERS = [IsoMeterRow("GT1", "generation", "10443720001234567"),
                IsoMeterRow("GI1", "grid_import", "10443720007654321"),
                IsoMeterRow("FU1", "fuel", "10443720000000001"),  # heat input: no LSE channel
                IsoMeterRow("GT2", "generation", None)]  # not registered with ERCOT


def _generation_wh(index: int) -> int:
    return 1_000 + (index % 500) * 7


def _import_wh(index: int) -> int | None:
    return None if index == 7 else 250_000  # quarter hour 7 absent


def _iso_rows(engine, cycle_id: str) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT submission_key, status, document_uri FROM iso_submission"
                                 " WHERE cycle_id = :c"), {"c": cycle_id}).all()


def _iso_step(engine, cycle_id: str) -> dict:
    with engine.connect() as conn:
        return conn.execute(text("SELECT result_json FROM cycle_step WHERE cycle_id = :c AND step = 'iso'"),
                            {"c": cycle_id}).scalar_one()


def test_ercot_campus_writes_one_lse_file_per_meter_that_parses_back(engine, tmp_path):
    """November 2025 in Central time: 30 days, 2,884 quarter hours (fall-back day 100). GI1 and GT1 get
    files 001 and 002 named by DUNS and the 09:00:00 CST stamp; each parses back to the Wh written, a flagged
    or absent interval blank; fuel and unregistered meters get none. A retry an hour later writes nothing."""
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-11", ERCOT_METERS)
    intervals_uri = write_month(tmp_path / "validated.parquet", refs.bounds_utc,
                                {"GT1": _generation_wh, "GI1": _import_wh, "FU1": lambda index: 5},
                                {("GT1", 3): QUALITY_MISSING})
    settings = settings_for(tmp_path / "home")
    output = submit_to_iso(engine, settings, **step_for(refs, intervals_uri), lse_duns=DUNS,
                           now_utc=CREATED_UTC)

    assert (output.submission_key, output.status) == (f"{refs.campus_id}:ERCOT:2025-11:v1", "written")
    manifest = json.loads(Path(output.document_uri).read_text())
    names = [entry["file_name"] for entry in manifest["files"]]
    assert names == [f"{DUNS}IntervalData20251202090000001.lse", f"{DUNS}IntervalData20251202090000002.lse"]
    folder = Path(output.document_uri).with_suffix("")
    documents = {name: parse_lse(name, (folder / name).read_text()) for name in names}
    starts_utc = quarter_hours_utc(refs.bounds_utc)
    assert len(starts_utc) == 2_884
    import_doc, generation_doc = documents[names[0]], documents[names[1]]
    assert (import_doc.esi_id, import_doc.channel, generation_doc.esi_id, generation_doc.channel) == (
        "10443720007654321", 4, "10443720001234567", 1)
    assert [i.interval_start_utc for i in generation_doc.intervals] == starts_utc
    expected_generation = [None if index == 3 else _generation_wh(index) for index in range(len(starts_utc))]
    assert [i.energy_wh for i in generation_doc.intervals] == expected_generation
    expected_import = [_import_wh(index) for index in range(len(starts_utc))]
    assert [i.energy_wh for i in import_doc.intervals] == expected_import
    assert [(row.submission_key, row.status) for row in _iso_rows(engine, refs.cycle_id)] == [
        (output.submission_key, "written")]
    assert _iso_step(engine, refs.cycle_id)["status"] == "written"

    again = submit_to_iso(engine, settings, **step_for(refs, intervals_uri), lse_duns=DUNS,
                          now_utc=datetime(2025, 12, 2, 16, tzinfo=UTC))
    assert again == output
    assert sorted(path.name for path in folder.iterdir()) == names
    assert len(_iso_rows(engine, refs.cycle_id)) == 1


def test_ercot_campus_without_duns_is_refused_before_writing(engine, tmp_path):
    """LSE file names start with the sender's DUNS: without one the step names the missing field."""
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-11", ERCOT_METERS[:1])
    intervals_uri = write_month(tmp_path / "validated.parquet", refs.bounds_utc, {"GT1": _generation_wh}, {})
    with pytest.raises(BadInput) as caught:
        submit_to_iso(engine, settings_for(tmp_path / "home"), **step_for(refs, intervals_uri),
                      now_utc=CREATED_UTC)
    assert caught.value.field == "lse_duns"
    assert _iso_rows(engine, refs.cycle_id) == []


def test_pjm_campus_writes_one_power_meter_file_per_eastern_day(engine, tmp_path):
    """November 2025 in Eastern time: 30 daily-submission XML files, 721 generator hours (the 01:00 hour twice on
    Nov 2) at 4 x 250 kWh = 1.000 MWh each; the shared sub-meter is no Power Meter account."""
    meters = [IsoMeterRow("GT1", "generation", "PM-778812"), IsoMeterRow("SH1", "shared_consumption", "PM-0")]
    refs = insert_campus_cycle(engine, "PJM", "America/New_York", "2025-11", meters)
    intervals_uri = write_month(tmp_path / "validated.parquet", refs.bounds_utc,
                                {"GT1": lambda index: 250_000, "SH1": lambda index: 1_000}, {})
    output = submit_to_iso(engine, settings_for(tmp_path / "home"), **step_for(refs, intervals_uri),
                           now_utc=CREATED_UTC)

    assert (output.submission_key, output.status) == (f"{refs.campus_id}:PJM:2025-11:v1", "written")
    manifest = json.loads(Path(output.document_uri).read_text())
    folder = Path(output.document_uri).with_suffix("")
    hours = [hour for entry in manifest["files"]
             for hour in parse_hourly_meter_values((folder / entry["file_name"]).read_text(), entry["file_name"])]
    assert len(manifest["files"]) == 30 and len(hours) == 721
    assert {hour.account_id for hour in hours} == {"PM-778812"}
    assert {hour.energy_mwh for hour in hours} == {Decimal("1.000")}


def test_caiso_campus_is_skipped_and_recorded(engine, tmp_path):
    """No submission format for CAISO: skipped, the reason in the step, nothing written or keyed."""
    refs = insert_campus_cycle(engine, "CAISO", "America/Los_Angeles", "2025-11",
                               [IsoMeterRow("GT1", "generation", "CAMPUS_1_GN001")])
    settings = settings_for(tmp_path / "home")
    output = submit_to_iso(engine, settings, **step_for(refs, str(tmp_path / "absent.parquet")))

    assert (output.submission_key, output.status, output.document_uri) == (
        f"{refs.campus_id}:CAISO:2025-11:v1", "skipped", "")
    assert _iso_step(engine, refs.cycle_id)["detail"] == "no submission format for CAISO; nothing submitted"
    assert _iso_rows(engine, refs.cycle_id) == []
    assert not Path(settings.outbox_root_uri).exists()


def test_submission_off_skips_an_ercot_campus(engine, tmp_path):
    """The campus's switch set to off: skipped before any meter data is read (the URI does not exist)."""
    refs = insert_campus_cycle(engine, "ERCOT", "America/Chicago", "2025-11", ERCOT_METERS[:1])
    output = submit_to_iso(engine, settings_for(tmp_path / "home"), **step_for(refs, str(tmp_path / "absent")),
                           iso_submission="off")
    assert output.status == "skipped"
    detail = _iso_step(engine, refs.cycle_id)["detail"]
    assert detail == "ISO submission is off for this campus; nothing submitted"


def test_nyiso_campus_without_endpoint_keeps_its_body_in_the_outbox(engine, tmp_path):
    """As before the move: the powerMetering body with the readable userRequestId, status written."""
    refs = insert_campus_cycle(engine, "NYISO", "America/New_York", "2025-11",
                               [IsoMeterRow("GT1", "generation", "323999")])
    intervals_uri = write_month(tmp_path / "validated.parquet", refs.bounds_utc,
                                {"GT1": lambda index: 2_500}, {})
    output = submit_to_iso(engine, settings_for(tmp_path / "home"), **step_for(refs, intervals_uri))

    assert (output.submission_key, output.status) == (f"{refs.campus_id}:NYISO:2025-11:v1", "written")
    body = json.loads(Path(output.document_uri).read_text())
    assert body["submissionParameters"]["userRequestId"] == f"{refs.campus_id}_NYISO_2025-11_v1"
    assert len(body["generators"]) == 721
