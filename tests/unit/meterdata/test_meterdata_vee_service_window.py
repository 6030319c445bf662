"""VEE expects a meter's readings only inside its service window: nothing before it entered service or after
it left is flagged, estimated or counted, and a meter out of service all period is not missing.

run_vee end to end over October 2026 in New York (31 local days from 04:00 UTC). Expected counts are worked
out by hand in the docstrings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from meterdata import MeterSpec, run_vee
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_MEASURED

QUARTER = timedelta(minutes=15)
SHA = "ef" * 32
START = datetime(2026, 10, 1, 4, tzinfo=UTC)
END = datetime(2026, 11, 1, 4, tzinfo=UTC)
ZONE = "America/New_York"
MID_MONTH = datetime(2026, 10, 15, 14, tzinfo=UTC)  # 10:00 local: the first local day in service is partial


def _readings(meter_id: str, first: datetime, last: datetime, energy_wh: int = 1000) -> list[tuple]:
    """One reading per quarter-hour in [first, last), varying a little so no rule but the tested one fires."""
    count = (last - first) // QUARTER
    return [(meter_id, first + i * QUARTER, energy_wh + i % 7) for i in range(count)]


def _write(tmp_path, readings: list[tuple], name: str = "in.parquet") -> str:
    columns = ReadingColumns()
    for row, (meter_id, start, energy_wh) in enumerate(readings, start=2):
        columns.append(meter_id, "main", start, 15, energy_wh, QUALITY_MEASURED, SHA, row)
    uri = str(tmp_path / name)
    table = columns.to_table().sort_by([("meter_id", "ascending"), ("interval_start_utc", "ascending")])
    pq.write_table(table, uri)
    return uri


def _vee(tmp_path, readings: list[tuple], meters: dict[str, MeterSpec], out: str = "v.parquet"):
    return run_vee(_write(tmp_path, readings, "in-" + out), meters, START, END, str(tmp_path / out), ZONE)


def _rows(result, meter_id: str) -> list[dict]:
    return [row for row in pq.read_table(result.validated_uri).to_pylist() if row["meter_id"] == meter_id]


def test_meter_in_service_from_mid_month_is_expected_only_from_then(tmp_path) -> None:
    """In service from Oct 15 14:00 UTC to the period end at Nov 1 04:00 UTC: 16 days 14 hours = 398 h = 1,592
    quarter-hours, all sent. Nothing is missing or estimated before the 15th, its partial first local day
    (10:00-24:00) is not a count anomaly, and its report counts 1,592 intervals at 100.00."""
    meters = {"NEW": MeterSpec("NEW", "shared_consumption", "kWh", 15, active_from_utc=MID_MONTH)}
    result = _vee(tmp_path, _readings("NEW", MID_MONTH, END), meters)
    report = result.report
    assert report["meters"]["NEW"] == {"score": "100.00", "intervals_expected": 1592, "intervals_valid": 1592}
    assert report["rules"]["missing"] == {"NEW": 0} and report["rules"]["interval_count_day"] == {"NEW": 0}
    assert report["rules"]["misaligned"] == {"NEW": 0}
    assert {method: counts["NEW"] for method, counts in report["estimation"].items()} == {
        "linear": 0, "like_day": 0, "unestimated": 0, "manual": 0}
    assert result.estimated_count == 0 and report["intervals_expected"] == 1592
    rows = _rows(result, "NEW")
    assert len(rows) == 1592 and rows[0]["interval_start_utc"] == MID_MONTH
    assert {row["quality"] for row in rows} == {QUALITY_MEASURED}


def test_gaps_inside_a_partial_window_are_still_found(tmp_path) -> None:
    """The same meter missing 10:30 and 10:45 on its first (partial) day: 2 missing, interpolated, and that
    one local day breaks the count rule; the days before it entered service do not."""
    meters = {"NEW": MeterSpec("NEW", "shared_consumption", "kWh", 15, active_from_utc=MID_MONTH)}
    readings = _readings("NEW", MID_MONTH, END)
    del readings[2:4]
    report = _vee(tmp_path, readings, meters).report
    assert report["rules"]["missing"] == {"NEW": 2} and report["rules"]["interval_count_day"] == {"NEW": 1}
    assert report["estimation"]["linear"] == {"NEW": 2}
    assert report["meters"]["NEW"]["intervals_expected"] == 1592


def test_retired_meter_is_not_estimated_after_its_removal(tmp_path) -> None:
    """Removed at Oct 10 04:00 UTC: 9 days = 864 quarter-hours expected; no row, flag or estimate after it."""
    retired = datetime(2026, 10, 10, 4, tzinfo=UTC)
    meters = {"OLD": MeterSpec("OLD", "generation", "kWh", 15, active_to_utc=retired)}
    result = _vee(tmp_path, _readings("OLD", START, retired), meters)
    assert result.report["meters"]["OLD"]["intervals_expected"] == 864
    assert result.report["rules"]["missing"] == {"OLD": 0} and result.estimated_count == 0
    rows = _rows(result, "OLD")
    assert len(rows) == 864 and rows[-1]["interval_start_utc"] == retired - QUARTER


def test_unaligned_service_start_is_rounded_up_to_the_next_whole_interval(tmp_path) -> None:
    """In service from 14:07: the 14:00 interval was only partly in service, so the grid starts at 14:15."""
    meters = {"NEW": MeterSpec("NEW", "shared_consumption", "kWh", 15,
                               active_from_utc=MID_MONTH + timedelta(minutes=7))}
    result = _vee(tmp_path, _readings("NEW", MID_MONTH + QUARTER, END), meters)
    assert result.report["meters"]["NEW"]["intervals_expected"] == 1591
    assert result.report["rules"]["missing"] == {"NEW": 0}
    assert _rows(result, "NEW")[0]["interval_start_utc"] == MID_MONTH + QUARTER


def test_meter_out_of_service_all_period_is_not_reported_wholly_missing(tmp_path) -> None:
    """GONE left service in September and NEXT enters in December: neither is expected in October, so neither
    appears in the report or the validated file, while the silent in-service meter QUIET is wholly missing."""
    meters = {
        "LIVE": MeterSpec("LIVE", "shared_consumption", "kWh", 15),
        "GONE": MeterSpec("GONE", "shared_consumption", "kWh", 15,
                          active_to_utc=datetime(2026, 9, 1, tzinfo=UTC)),
        "NEXT": MeterSpec("NEXT", "shared_consumption", "kWh", 15, active_from_utc=END),
        "QUIET": MeterSpec("QUIET", "shared_consumption", "kWh", 15),
    }
    result = _vee(tmp_path, _readings("LIVE", START, END), meters)
    assert sorted(result.report["meters"]) == ["LIVE", "QUIET"]
    assert result.report["rules"]["missing"] == {"LIVE": 0, "QUIET": 2976}
    assert {row["meter_id"] for row in pq.read_table(result.validated_uri).to_pylist()} == {"LIVE", "QUIET"}


def test_full_month_meter_is_unchanged_by_a_window_that_covers_the_period(tmp_path) -> None:
    """No regression: a meter without a window and one whose window spans the whole period (from September to
    December) give the same validated rows, exceptions and report, gaps and estimates included."""
    readings = _readings("M", START, END)
    del readings[500:503]
    del readings[1000:1040]
    plain = {"M": MeterSpec("M", "shared_consumption", "kWh", 15)}
    windowed = {"M": MeterSpec("M", "shared_consumption", "kWh", 15,
                               active_from_utc=datetime(2026, 9, 1, tzinfo=UTC),
                               active_to_utc=datetime(2026, 12, 1, tzinfo=UTC))}
    one = _vee(tmp_path, readings, plain, "one.parquet")
    two = _vee(tmp_path, readings, windowed, "two.parquet")
    assert pq.read_table(one.validated_uri).equals(pq.read_table(two.validated_uri))
    assert pq.read_table(one.exceptions_uri).equals(pq.read_table(two.exceptions_uri))
    assert one.report == two.report
    assert one.report["meters"]["M"]["intervals_expected"] == 2976
    assert one.report["rules"]["missing"] == {"M": 43}


def test_campus_balance_sees_a_partial_meter_as_zero_outside_its_window(tmp_path) -> None:
    """Grid import reads 100,000 + 1,000 x (slot mod 4) Wh all month (406,000 Wh per hour); the shared load,
    in service from Oct 15 14:00 UTC, reads 1,000 Wh less per slot (402,000 Wh per hour). With 1 % losses
    (4,060 Wh) the balance is off by 60 Wh per hour once both run, inside 3 % + 10,000 Wh; before that all
    406,000 Wh are unaccounted for. So exactly the 346 hours from Oct 1 04:00 to Oct 15 14:00 fail."""
    meters = {
        "IMP": MeterSpec("IMP", "grid_import", "kWh", 15),
        "SH": MeterSpec("SH", "shared_consumption", "kWh", 15, active_from_utc=MID_MONTH),
    }
    slots = (END - START) // QUARTER
    first_shared = (MID_MONTH - START) // QUARTER
    readings = [("IMP", START + i * QUARTER, 100_000 + 1000 * (i % 4)) for i in range(slots)]
    readings += [("SH", START + i * QUARTER, 99_000 + 1000 * (i % 4)) for i in range(first_shared, slots)]
    report = _vee(tmp_path, readings, meters).report
    assert report["rules"]["campus_balance"] == {"campus": 346}
    assert report["meters"]["SH"]["intervals_expected"] == slots - first_shared == 1592
