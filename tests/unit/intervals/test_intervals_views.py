"""The sums over a read file agree with a row-by-row reference, and add up: hours to meters to the file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intervals import (
    energy_wh_by_key,
    energy_wh_by_meter,
    energy_wh_by_meter_hour,
    energy_wh_by_meter_local_day,
    energy_wh_total,
    quality_bits_by_meter,
    read_intervals,
)
from tests.unit.intervals.conftest import write_validated

START = datetime(2026, 3, 7, 23, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["M1", "M2", "M3"]),
        st.sampled_from(["main", "deemed_curtailment"]),
        st.integers(min_value=0, max_value=24 * 12 * 3),  # five-minute steps over three days
        st.integers(min_value=-10**12, max_value=10**12),
        st.sampled_from([0, 0, 1, 2, 4, 8]),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_strategy, st.integers(min_value=1, max_value=7))
def test_hour_sums_add_up_to_meter_sums_and_to_the_file_total(tmp_path: Path, drawn, rows_per_group) -> None:
    rows = [(m, c, START + step * FIVE_MINUTES, 5, wh, q) for m, c, step, wh, q in drawn]
    table = read_intervals(write_validated(tmp_path / "property.parquet", rows, rows_per_group)).table
    by_hour = energy_wh_by_meter_hour(table)
    by_meter = energy_wh_by_meter(table)
    assert {meter: sum(hours.values()) for meter, hours in by_hour.items()} == by_meter
    assert sum(by_meter.values()) == energy_wh_total(table) == sum(row[4] for row in rows)
    by_day = energy_wh_by_meter_local_day(table, "America/Chicago")
    assert {meter: sum(days.values()) for meter, days in by_day.items()} == by_meter
    expected_hours: dict[str, dict[datetime, int]] = {}
    expected_bits: dict[str, int] = {}
    for meter_id, _, start, _, energy_wh, quality in rows:
        hour = start.replace(minute=0)
        expected_hours.setdefault(meter_id, {})
        expected_hours[meter_id][hour] = expected_hours[meter_id].get(hour, 0) + energy_wh
        expected_bits[meter_id] = expected_bits.get(meter_id, 0) | quality
    assert by_hour == expected_hours
    assert quality_bits_by_meter(table) == expected_bits


def test_local_days_follow_the_campus_calendar(validated_file) -> None:
    """05:45 UTC on 8 March is 23:45 on the 7th in Chicago; 06:00 UTC is midnight."""
    uri = validated_file([("M1", "main", datetime(2026, 3, 8, 5, 45, tzinfo=UTC), 15, 10, 0),
                          ("M1", "main", datetime(2026, 3, 8, 6, 0, tzinfo=UTC), 15, 7, 0)])
    days = energy_wh_by_meter_local_day(read_intervals(uri).table, "America/Chicago")
    assert days == {"M1": {date(2026, 3, 7): 10, date(2026, 3, 8): 7}}


def test_meter_sums_regroup_by_key_leaving_meters_without_one_out() -> None:
    totals = energy_wh_by_key({"M1": 5, "M2": 7, "GEN": 100}, {"M1": "acme", "M2": "acme", "GEN": None})
    assert totals == {"acme": 12}


def test_an_empty_file_sums_to_nothing(validated_file) -> None:
    table = read_intervals(validated_file([])).table
    assert energy_wh_total(table) == 0
    assert energy_wh_by_meter(table) == {} == energy_wh_by_meter_hour(table) == quality_bits_by_meter(table)
