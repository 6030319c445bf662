"""Rules across meters on hourly sums: sub-meters vs main, turbine heat rate, campus energy balance, and
register reads vs interval sums. Each case is built so the failing hours can be counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from meterdata import MeterSpec, run_vee
from meterdata.cross_checks import (
    CrossCheckLimits,
    campus_balance_counts,
    heat_rate_counts,
    submeter_sum_counts,
)
from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_MEASURED

LIMITS = CrossCheckLimits()


def test_submeters_must_add_up_to_their_main_meter() -> None:
    """Main 10,000 Wh; sub-meters 6,000 + 3,900 = 9,900 (within 2% + 1,000 Wh) then 6,000 + 2,000 = 8,000 (not)."""
    meters = {
        "MAIN": MeterSpec("MAIN", "shared_consumption", "kWh", 15),
        "SUB1": MeterSpec("SUB1", "shared_consumption", "kWh", 15, parent_meter_id="MAIN"),
        "SUB2": MeterSpec("SUB2", "shared_consumption", "kWh", 15, parent_meter_id="MAIN"),
    }
    hourly = {"MAIN": np.array([10_000, 10_000]), "SUB1": np.array([6_000, 6_000]), "SUB2": np.array([3_900, 2_000])}
    assert submeter_sum_counts(hourly, meters, LIMITS) == {"MAIN": 1}


def test_turbine_heat_rate_outside_plausible_bounds_is_counted() -> None:
    """10 MWh electric from 29,307,107 Wh thermal is 100 MMBtu -> 10,000 Btu/kWh (fine); 2,000,000 Wh thermal
    -> 682 Btu/kWh (too efficient to be true); fuel with zero output is counted too."""
    meters = {
        "GT1-GEN": MeterSpec("GT1-GEN", "generation", "kWh", 15),
        "GT1-FUEL": MeterSpec("GT1-FUEL", "fuel", "MMBtu", 15),
    }
    hourly = {"GT1-GEN": np.array([10_000_000, 10_000_000, 0]), "GT1-FUEL": np.array([29_307_107, 2_000_000, 500])}
    assert heat_rate_counts(hourly, meters, LIMITS) == {"GT1-FUEL": 2}


def test_campus_balance_within_losses_and_tolerance() -> None:
    """Supply 100,000 Wh (gen 80,000 + import 20,000). Hour 1: loads 98,000 -> residual 2,000 - 1% losses 1,000
    = 1,000 <= 3% + 10,000. Hour 2: loads 50,000 -> residual 49,000 > 13,000: counted once."""
    meters = {
        "GEN": MeterSpec("GEN", "generation", "kWh", 15),
        "IMP": MeterSpec("IMP", "grid_import", "kWh", 15),
        "T1": MeterSpec("T1", "tenant_consumption", "kWh", 15, tenant_id="t1"),
        "SH": MeterSpec("SH", "shared_consumption", "kWh", 15),
    }
    hourly = {"GEN": np.array([80_000, 80_000]), "IMP": np.array([20_000, 20_000]),
              "T1": np.array([90_000, 45_000]), "SH": np.array([8_000, 5_000])}
    assert campus_balance_counts(hourly, meters, LIMITS) == {"campus": 1}


def test_register_reads_against_interval_sum_in_run_vee(tmp_path) -> None:
    """Intervals 1,000 Wh per quarter-hour = 4,000 Wh per hour. Register 0 -> 4,000 -> 9,500 at 00:00, 01:00,
    02:00: the second delta 5,500 differs from 4,000 by 1,500 > 1% x 5,500 + 1,000 = 1,055 Wh: one mismatch."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    columns = ReadingColumns()
    for i in range(8):
        columns.append("M", "main", start + timedelta(minutes=15 * i), 15, 1000, QUALITY_MEASURED, "aa" * 32, i + 2)
    for hour, register_wh in ((0, 0), (1, 4000), (2, 9500)):
        columns.append("M", "register", start + timedelta(hours=hour), 15, register_wh, QUALITY_MEASURED, "aa" * 32, 20 + hour)
    uri = str(tmp_path / "in.parquet")
    write_intervals(columns, uri)
    meters = {"M": MeterSpec("M", "shared_consumption", "kWh", 15)}
    result = run_vee(uri, meters, start, start + timedelta(hours=2), str(tmp_path / "v.parquet"))
    assert result.report["rules"]["register_vs_interval"] == {"M": 1}
    assert result.reading_count == 11
