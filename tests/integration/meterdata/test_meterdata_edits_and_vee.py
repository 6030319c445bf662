"""Manual edits through the API flow into run_vee with editor and reason, and VEE runs are served with
their report and a per-meter quality plot, against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from meterdata import MeterSpec, run_vee, service
from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_EDITED, QUALITY_MEASURED

START = datetime(2026, 10, 1, 4, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


async def test_edit_requires_reason_and_aligned_interval(client, campus_id) -> None:
    """201 with the caller as editor; 422 for a reason too short or a start that is not on the 15-minute grid."""
    body = {"campus_id": campus_id, "meter_id": "SHARED", "interval_start_utc": "2026-10-01T04:15:00Z",
            "energy_wh": 5000, "reason": "meter swap, value from the check meter"}
    created = await client.post("/meter-data/edits", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["edited_by"] == "alice"
    short = await client.post("/meter-data/edits", json={**body, "reason": "x"})
    assert short.status_code == 422
    misaligned = await client.post("/meter-data/edits", json={**body, "interval_start_utc": "2026-10-01T04:20:00Z"})
    assert misaligned.status_code == 422 and misaligned.json()["field"] == "interval_start_utc"
    unknown = await client.post("/meter-data/edits", json={**body, "meter_id": "NOPE"})
    assert unknown.status_code == 404


async def test_edited_value_wins_over_estimate_and_keeps_raw_user_and_reason(client, engine, campus_id, tmp_path) -> None:
    """Slot 04:15 is missing; the edit (7000 Wh, by alice) replaces the estimate; quality EDITED; the
    exceptions file names the editor and reason; the VEE run is stored and served with a plot."""
    readings = ReadingColumns()
    for i in (0, 2, 3):
        readings.append("SHARED", "main", START + i * QUARTER, 15, 1000, QUALITY_MEASURED, "cd" * 32, i + 2)
    intervals_uri = str(tmp_path / "intervals.parquet")
    write_intervals(readings, intervals_uri)
    body = {"campus_id": campus_id, "meter_id": "SHARED", "interval_start_utc": "2026-10-01T04:15:00Z",
            "energy_wh": 7000, "reason": "read from the check meter"}
    assert (await client.post("/meter-data/edits", json=body)).status_code == 201
    end = START + timedelta(hours=1)
    edits = service.edits_for_period(engine, campus_id, START, end)
    meters = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15)}
    result = run_vee(intervals_uri, meters, START, end, str(tmp_path / "validated.parquet"), edits=edits)
    rows = pq.read_table(result.validated_uri).to_pylist()
    assert [(r["energy_wh"], r["quality"]) for r in rows] == [
        (1000, QUALITY_MEASURED), (7000, QUALITY_EDITED), (1000, QUALITY_MEASURED), (1000, QUALITY_MEASURED)]
    exception = pq.read_table(result.exceptions_uri).to_pylist()[0]
    assert (exception["method"], exception["raw_energy_wh"]) == ("manual", None)
    assert "alice: read from the check meter" in exception["note"]
    assert result.report["estimation"]["manual"] == {"SHARED": 1}
    run_id = service.record_vee_run(engine, campus_id, START, end, intervals_uri, result)
    served = (await client.get(f"/meter-data/vee-runs/{run_id}")).json()
    assert served["report_json"]["rules"]["missing"] == {"SHARED": 1}
    plot = await client.get(f"/meter-data/vee-runs/{run_id}/quality/SHARED.svg")
    assert plot.status_code == 200 and plot.headers["content-type"].startswith("image/svg+xml")
    assert plot.text.startswith("<svg") and "edited 1" in plot.text
    assert (await client.get(f"/meter-data/vee-runs/{run_id}/quality/GT1-GEN.svg")).status_code == 404
