"""Shadow quantities from interval Parquet: 15-minute settlement intervals on the fall-back day, signs per
role, station power netted, incomplete intervals left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from market_adapters.model import IsoMeterRef
from market_adapters.reconciliation.quantities import quantities_from_intervals
from meterdata.schema import QUALITY_MISSING

FALL_BACK_CENTRAL = datetime(2025, 11, 2, 5, tzinfo=UTC)


def test_fall_back_day_gives_100_quarter_hours_with_signs(write_intervals):
    """Generator 1,000 Wh minus 100 Wh station power per quarter hour = 0.0009 MWh; tenant load 500 Wh = -0.0005."""
    rows = []
    for index in range(100):
        start = FALL_BACK_CENTRAL + index * timedelta(minutes=15)
        rows += [("GT1", "delivered", start, 1_000, 0), ("GT1", "received", start, 100, 0), ("T1", "main", start, 500, 0)]
    meters = [IsoMeterRef("GT1", "RN_CAMPUS_GT1", "generation"), IsoMeterRef("T1", "ESI-1", "tenant_consumption")]
    quantities = quantities_from_intervals(write_intervals(rows, 15), meters, FALL_BACK_CENTRAL,
                                           FALL_BACK_CENTRAL + timedelta(hours=25), settlement_minutes=15)
    generator = {k: v for k, v in quantities.items() if k[0] == "RT_ENERGY_GEN"}
    assert len(generator) == 100 and set(generator.values()) == {Decimal("0.0009")}
    assert {v for k, v in quantities.items() if k[0] == "RT_ENERGY_LOAD"} == {Decimal("-0.0005")}


def test_hourly_buckets_drop_hours_with_a_gap_or_a_missing_flag(write_intervals):
    """Hour 0 complete (4 x 250,000 Wh = 1 MWh); hour 1 lacks one quarter hour; hour 2 has one flagged missing."""
    start = datetime(2025, 7, 15, 5, tzinfo=UTC)
    rows = [("GT1", "delivered", start + index * timedelta(minutes=15), 250_000, 0) for index in range(12)]
    del rows[5]
    rows[9] = (*rows[9][:4], QUALITY_MISSING)
    quantities = quantities_from_intervals(write_intervals(rows, 15), [IsoMeterRef("GT1", "G", "generation")], start,
                                           start + timedelta(hours=3), settlement_minutes=60)
    assert quantities == {("RT_ENERGY_GEN", "G", start): Decimal(1)}
