"""run_vee end to end: DST days, estimation, provenance of kept and replaced values, and the report.

Inputs are built reading by reading; expected counts and values are worked out by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from meterdata import MeterSpec, report_lines, run_vee
from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_MISSING, QUALITY_SUSPECT

QUARTER = timedelta(minutes=15)
SHA = "ab" * 32


def _write(tmp_path, readings: list[tuple[str, datetime, int]], name: str = "in.parquet") -> str:
    columns = ReadingColumns()
    for row, (meter_id, start, energy_wh) in enumerate(readings, start=2):
        columns.append(meter_id, "main", start, 15, energy_wh, QUALITY_MEASURED, SHA, row)
    uri = str(tmp_path / name)
    write_intervals(columns, uri)
    return uri


def _day(start: datetime, end: datetime, meter_id: str = "SHARED", energy_wh: int = 1000) -> list[tuple[str, datetime, int]]:
    count = (end - start) // QUARTER
    return [(meter_id, start + i * QUARTER, energy_wh + i % 7) for i in range(count)]


SHARED = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15)}


def test_spring_forward_day_has_92_quarter_hours_and_passes(tmp_path) -> None:
    """New York 2026-03-08 runs 05:00Z to 04:00Z next day: 23 h = 92 intervals; all present -> no day flag."""
    start, end = datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 4, tzinfo=UTC)
    readings = _day(start, end)
    assert len(readings) == 92
    result = run_vee(_write(tmp_path, readings), SHARED, start, end, str(tmp_path / "v.parquet"), "America/New_York")
    assert result.report["rules"]["interval_count_day"] == {"SHARED": 0}
    assert result.report["rules"]["missing"] == {"SHARED": 0}
    assert result.report["score"] == "100.00"
    assert pq.read_table(result.validated_uri).num_rows == 92


def test_fall_back_day_with_96_instead_of_100_intervals_is_flagged(tmp_path) -> None:
    """New York 2026-11-01 is 25 h = 100 intervals; a source that sent only 96 fails the day count, 4 missing."""
    start, end = datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC)
    readings = _day(start, end)
    assert len(readings) == 100
    del readings[8:12]
    result = run_vee(_write(tmp_path, readings), SHARED, start, end, str(tmp_path / "v.parquet"), "America/New_York")
    rules = result.report["rules"]
    assert rules["interval_count_day"] == {"SHARED": 1}
    assert rules["missing"] == {"SHARED": 4}
    # 4 quarter-hours = 60 minutes: within the 1-hour linear interpolation limit.
    assert result.report["estimation"]["linear"] == {"SHARED": 4}
    assert result.estimated_count == 4


def test_short_gap_is_interpolated_and_long_gap_takes_the_like_day(tmp_path) -> None:
    """Two days, flat 1000 Wh on day 1. Day 2: 1000 at 00:00, gap, 1400 at 00:30 -> 00:15 = 1000 + 400//2 = 1200.
    A 2-hour gap on day 2 (8 slots > 4) takes day 1's value at the same slot: 1000."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(days=2)
    day1 = [("SHARED", start + i * QUARTER, 1000) for i in range(96)]
    day2_start = start + timedelta(days=1)
    day2 = [("SHARED", day2_start, 1000), ("SHARED", day2_start + 2 * QUARTER, 1400)]
    day2 += [("SHARED", day2_start + i * QUARTER, 900) for i in range(3, 40)]
    day2 += [("SHARED", day2_start + i * QUARTER, 900) for i in range(48, 96)]
    meters = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15)}
    result = run_vee(_write(tmp_path, day1 + day2), meters, start, end, str(tmp_path / "v.parquet"))
    rows = {row["interval_start_utc"]: row for row in pq.read_table(result.validated_uri).to_pylist()}
    filled = rows[day2_start + QUARTER]
    assert (filled["energy_wh"], filled["quality"] & QUALITY_ESTIMATED) == (1200, QUALITY_ESTIMATED)
    assert (filled["source_sha256"], filled["source_row"]) == ("", 0)
    long_gap = [rows[day2_start + i * QUARTER] for i in range(40, 48)]
    assert [row["energy_wh"] for row in long_gap] == [1000] * 8
    assert result.report["estimation"]["like_day"] == {"SHARED": 8}
    kept = rows[day2_start + 2 * QUARTER]
    assert (kept["energy_wh"], kept["source_sha256"], kept["source_row"]) == (1400, SHA, 99)


def test_conflicting_duplicate_is_replaced_and_its_raw_value_kept(tmp_path) -> None:
    """Slot 00:15 arrives as 5000 then 7000: conflicting, so it is estimated (1000 + (1000-1000)//2 = 1000)
    and the exceptions file keeps the raw 5000 with method 'linear' and the reason."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=1)
    readings = [("SHARED", start + i * QUARTER, 1000) for i in range(4)]
    readings[1] = ("SHARED", start + QUARTER, 5000)
    readings.insert(2, ("SHARED", start + QUARTER, 7000))
    result = run_vee(_write(tmp_path, readings), SHARED, start, end, str(tmp_path / "v.parquet"))
    assert result.report["rules"]["duplicate_conflicting"] == {"SHARED": 1}
    exceptions = pq.read_table(result.exceptions_uri).to_pylist()
    assert len(exceptions) == 1
    row = exceptions[0]
    assert (row["raw_energy_wh"], row["energy_wh"], row["method"]) == (5000, 1000, "linear")
    assert row["rules"] == "duplicate_conflicting" and row["source_row"] == 3


def test_stuck_tenant_meter_is_suspect_and_score_drops(tmp_path) -> None:
    """A tenant meter reading 0 for 2 hours (8 slots >= 4 = 60 min) is a zero run: 8 suspect of 96, score
    88/96 = 91.67 %. The values are kept (suspect, not replaced)."""
    meters = {"T1-LOAD": MeterSpec("T1-LOAD", "tenant_consumption", "kWh", 15, tenant_id="t1")}
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(days=1)
    readings = [("T1-LOAD", start + i * QUARTER, 0 if 20 <= i < 28 else 5000 + (i % 3)) for i in range(96)]
    result = run_vee(_write(tmp_path, readings), meters, start, end, str(tmp_path / "v.parquet"))
    assert result.report["rules"]["zero_run"] == {"T1-LOAD": 8}
    assert result.report["meters"]["T1-LOAD"]["score"] == "91.67"
    rows = pq.read_table(result.validated_uri).to_pylist()
    assert [row["quality"] for row in rows[20:28]] == [QUALITY_SUSPECT] * 8
    assert [row["energy_wh"] for row in rows[20:28]] == [0] * 8
    json.dumps(result.report)
    lines = report_lines(result.report)
    assert lines[0].startswith("VEE: data-quality score 91.67 over 96 intervals")
    assert lines[1].split() == ["T1-LOAD", "score", "91.67", "zero_run=8"]


def test_unsorted_input_gives_the_same_result_as_sorted(tmp_path) -> None:
    """Series interleaved in the file are regrouped before validation; the validated output is identical."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=6)
    meters = {
        "A": MeterSpec("A", "shared_consumption", "kWh", 15),
        "B": MeterSpec("B", "generation", "kWh", 15),
    }
    readings = [(m, start + i * QUARTER, 100 * i + (m == "B")) for i in range(24) for m in ("A", "B") if i != 7]
    sorted_uri = _write(tmp_path, readings, "sorted.parquet")
    columns = ReadingColumns()
    for row, (meter_id, at, wh) in enumerate(readings, start=2):
        columns.append(meter_id, "main", at, 15, wh, QUALITY_MEASURED, SHA, row)
    unsorted_uri = str(tmp_path / "unsorted.parquet")
    pq.write_table(columns.to_table(), unsorted_uri, row_group_size=5)
    one = run_vee(sorted_uri, meters, start, end, str(tmp_path / "v1.parquet"), rows_per_chunk_max=10)
    two = run_vee(unsorted_uri, meters, start, end, str(tmp_path / "v2.parquet"), rows_per_chunk_max=10)
    assert pq.read_table(one.validated_uri).sort_by("meter_id").equals(pq.read_table(two.validated_uri).sort_by("meter_id"))
    assert one.report["rules"] == two.report["rules"]
    assert one.report["rules"]["missing"] == {"A": 1, "B": 1}


def test_registered_meter_without_any_reading_is_reported_wholly_missing(tmp_path) -> None:
    """B sent nothing for the 4 quarter-hours: 4 missing, none estimable, score 0.00, 4 rows flagged MISSING."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=1)
    meters = {"A": MeterSpec("A", "shared_consumption", "kWh", 15), "B": MeterSpec("B", "shared_consumption", "kWh", 15)}
    readings = [("A", start + i * QUARTER, 500) for i in range(4)]
    result = run_vee(_write(tmp_path, readings), meters, start, end, str(tmp_path / "v.parquet"))
    assert result.report["rules"]["missing"] == {"A": 0, "B": 4}
    assert result.report["estimation"]["unestimated"] == {"A": 0, "B": 4}
    assert result.report["meters"]["B"]["score"] == "0.00" and result.reading_count == 4
    rows = [r for r in pq.read_table(result.validated_uri).to_pylist() if r["meter_id"] == "B"]
    assert [(r["energy_wh"], r["quality"], r["source_sha256"]) for r in rows] == [(0, QUALITY_MISSING, "")] * 4


def test_grid_import_swing_within_half_its_rating_is_not_a_spike(tmp_path) -> None:
    """A 40 MW import meter (10,000,000 Wh per quarter-hour): 0, 0, 4,000,000, 0, 0 stays below the floor of
    half the rating (5,000,000 Wh); 0, 0, 6,000,000, 0, 0 is a spike. A shared meter without rating flags both."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = start + timedelta(hours=5)
    meters = {
        "IMP": MeterSpec("IMP", "grid_import", "kWh", 15, rated_kw=40_000),
        "SH": MeterSpec("SH", "shared_consumption", "kWh", 15),
    }
    pattern = [0, 0, 4_000_000, 0, 0, 0, 0, 6_000_000, 0, 0] * 2
    readings = [(m, start + i * QUARTER, wh) for m in ("IMP", "SH") for i, wh in enumerate(pattern)]
    result = run_vee(_write(tmp_path, readings), meters, start, end, str(tmp_path / "v.parquet"))
    assert result.report["rules"]["spike"] == {"IMP": 2, "SH": 4}
