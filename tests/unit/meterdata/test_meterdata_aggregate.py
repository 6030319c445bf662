"""Aggregation over a campus/month-partitioned dataset: hourly and settlement-interval sums per meter,
tenant and campus role, with estimated and missing interval counts. Sums are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import BadInput
from meterdata import MeterSpec, run_vee
from meterdata.aggregate import aggregate, write_partitioned
from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_MEASURED

QUARTER = timedelta(minutes=15)
METERS = {
    "T1-A": MeterSpec("T1-A", "tenant_consumption", "kWh", 15, tenant_id="t1"),
    "T1-B": MeterSpec("T1-B", "tenant_consumption", "kWh", 15, tenant_id="t1"),
    "GEN": MeterSpec("GEN", "generation", "kWh", 15),
}


def _validated(tmp_path, start: datetime, hours: int, name: str) -> str:
    """T1-A reads 100 Wh, T1-B 10 Wh, GEN 1000 Wh per quarter-hour; T1-B misses its second interval."""
    columns = ReadingColumns()
    for i in range(hours * 4):
        for meter_id, wh in (("T1-A", 100), ("T1-B", 10), ("GEN", 1000)):
            if meter_id == "T1-B" and i == 1:
                continue
            columns.append(meter_id, "main", start + i * QUARTER, 15, wh, QUALITY_MEASURED, "ef" * 32, i + 2)
    raw = str(tmp_path / f"{name}-raw.parquet")
    write_intervals(columns, raw)
    return run_vee(raw, METERS, start, start + timedelta(hours=hours), str(tmp_path / f"{name}.parquet")).validated_uri


@pytest.fixture
def dataset(tmp_path) -> str:
    root = str(tmp_path / "dataset")
    write_partitioned(_validated(tmp_path, datetime(2026, 10, 31, 22, tzinfo=UTC), 2, "oct"), "c1", root)
    write_partitioned(_validated(tmp_path, datetime(2026, 11, 1, 0, tzinfo=UTC), 1, "nov"), "c1", root)
    write_partitioned(_validated(tmp_path, datetime(2026, 11, 1, 0, tzinfo=UTC), 1, "other"), "c2", root)
    return root


def test_hourly_per_tenant_sums_both_meters_and_counts_the_estimate(dataset) -> None:
    """t1 = (100 + 10) x 4 = 440 Wh per hour; the missing T1-B interval is interpolated from 10 and 10 -> 10."""
    table = aggregate(dataset, "c1", METERS, "tenant", 60)
    rows = [(r["key"], r["interval_start_utc"].hour, r["energy_wh"], r["estimated_intervals"]) for r in table.to_pylist()]
    assert rows == [("t1", 22, 440, 1), ("t1", 23, 440, 0), ("t1", 0, 440, 1)]


def test_campus_level_by_role_and_month_filter(dataset) -> None:
    """Only November, campus c1: generation 4 x 1000 = 4000 Wh, tenant load 440 Wh in the one hour."""
    table = aggregate(dataset, "c1", METERS, "campus", 60, months=["2026-11"])
    assert {(r["key"], r["energy_wh"]) for r in table.to_pylist()} == {("generation", 4000), ("tenant_consumption", 440)}


def test_fifteen_minute_per_meter_and_settlement_interval_refusal(dataset) -> None:
    """15-minute meter sums are the intervals themselves; 5-minute settlement cannot be built from 15-minute data."""
    table = aggregate(dataset, "c1", METERS, "meter", 15, months=["2026-11"])
    gen = [r["energy_wh"] for r in table.to_pylist() if r["key"] == "GEN"]
    assert gen == [1000, 1000, 1000, 1000]
    with pytest.raises(BadInput) as caught:
        aggregate(dataset, "c1", METERS, "meter", 5)
    assert caught.value.field == "resolution_minutes"
