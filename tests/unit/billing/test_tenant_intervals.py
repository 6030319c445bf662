"""Each tenant's peak demand (kW) and estimated energy from the validated intervals, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from billing.findings import estimated_share_pct
from billing.tenant_intervals import demand_w, tenant_interval_figures
from meterdata.schema import INTERVAL_SCHEMA, QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _table(rows: list[tuple[str, int, int, int, int]]) -> pa.Table:
    """(meter, minutes after T0, interval minutes, Wh, quality) rows as INTERVAL_SCHEMA."""
    columns = list(zip(*rows, strict=True))
    return pa.table({
        "meter_id": pa.array(columns[0], pa.string()),
        "channel": pa.array(["kwh"] * len(rows), pa.string()),
        "interval_start_utc": pa.array([T0 + timedelta(minutes=m) for m in columns[1]], pa.timestamp("us", tz="UTC")),
        "interval_minutes": pa.array(columns[2], pa.int16()),
        "energy_wh": pa.array(columns[3], pa.int64()),
        "quality": pa.array(columns[4], pa.uint8()),
        "source_sha256": pa.array(["0" * 64] * len(rows), pa.string()),
        "source_row": pa.array(range(2, len(rows) + 2), pa.int32()),
    }, schema=INTERVAL_SCHEMA)


def test_peak_demand_is_the_largest_coincident_interval_demand_and_estimated_energy_is_in_wh() -> None:
    """Tenant a: A1 reads quarter-hours, A2 hours. Per quarter-hour, A1 100 Wh = 400 W, 250 Wh = 1,000 W, 50 Wh =
    200 W, nothing = 0 W; A2's 800 Wh hour is 800 W in each. Sums 1,200 / 1,800 / 1,000 / 800 W: the peak is
    1,800 W at 06:15 (not the largest hour of energy, 1,200 Wh). Energy 100 + 250 + 50 + 800 = 1,200 Wh, of which
    the 250 Wh quarter-hour was estimated (a suspect flag is not an estimate). Tenant b: 30 Wh and 31 Wh
    quarter-hours, 120 W and 124 W, both estimated. The shared meter S1 belongs to no tenant."""
    table = _table([
        ("A1", 0, 15, 100, QUALITY_MEASURED), ("A1", 15, 15, 250, QUALITY_ESTIMATED),
        ("A1", 30, 15, 50, QUALITY_SUSPECT), ("A2", 0, 60, 800, QUALITY_MEASURED),
        ("B1", 0, 15, 30, QUALITY_ESTIMATED), ("B1", 60, 15, 31, QUALITY_ESTIMATED | QUALITY_SUSPECT),
        ("S1", 0, 15, 99_999, QUALITY_MEASURED),
    ])
    figures = tenant_interval_figures(table, {"A1": "a", "A2": "a", "B1": "b", "S1": None})
    assert figures == {
        "a": {"demand_w_max": 1800, "demand_w_max_interval_start_utc": "2026-03-02T06:15:00+00:00",
              "energy_wh": 1200, "energy_wh_estimated": 250},
        "b": {"demand_w_max": 124, "demand_w_max_interval_start_utc": "2026-03-02T07:00:00+00:00",
              "energy_wh": 61, "energy_wh_estimated": 61},
    }
    assert estimated_share_pct(250, 1200) == Decimal("20.83")  # 20.8333... %
    assert estimated_share_pct(61, 61) == Decimal("100.00")
    assert estimated_share_pct(None, 1200) is None and estimated_share_pct(0, 0) is None


def test_two_meters_of_a_tenant_peak_together_even_when_neither_peaks_alone() -> None:
    """C1 peaks at 06:00 (400 Wh = 1,600 W), C2 at 06:30 (300 Wh = 1,200 W); at 06:15 they read 350 + 250 Wh =
    2,400 W together, more than either alone."""
    table = _table([("C1", 0, 15, 400, 0), ("C1", 15, 15, 350, 0), ("C1", 30, 15, 0, 0),
                    ("C2", 0, 15, 0, 0), ("C2", 15, 15, 250, 0), ("C2", 30, 15, 300, 0)])
    assert tenant_interval_figures(table, {"C1": "c", "C2": "c"})["c"]["demand_w_max"] == 2400


def test_demand_in_watts_is_exact_for_lengths_dividing_the_hour_and_rounded_half_even_otherwise() -> None:
    assert demand_w(7, 15) == 28 and demand_w(7, 5) == 84 and demand_w(7, 60) == 7
    assert demand_w(1, 7) == 9  # 8.571... W
    assert demand_w(7, 120) == 4  # 3.5 W, half to even


def test_no_tenant_rows_no_figures() -> None:
    assert tenant_interval_figures(_table([("S1", 0, 15, 5, 0)]), {"S1": None, "A1": "a"}) == {}


def test_a_wide_sparse_period_gives_the_same_peaks_without_a_dense_grid() -> None:
    """Minute intervals over 70 days (100,000 slots x 2 tenants, far more cells than rows): x's meters read 10 Wh
    (600 W) then 20 + 5 Wh (1,500 W) in the next minute, and 12 Wh (720 W) 100,000 minutes on; y reads 1 Wh
    (60 W) once."""
    table = _table([("X1", 0, 1, 10, 0), ("X1", 1, 1, 20, 0), ("X2", 1, 1, 5, QUALITY_ESTIMATED),
                    ("X1", 100_000, 1, 12, 0), ("Y1", 50_000, 1, 1, 0)])
    figures = tenant_interval_figures(table, {"X1": "x", "X2": "x", "Y1": "y"})
    assert figures == {
        "x": {"demand_w_max": 1500, "demand_w_max_interval_start_utc": "2026-03-02T06:01:00+00:00",
              "energy_wh": 47, "energy_wh_estimated": 5},
        "y": {"demand_w_max": 60, "demand_w_max_interval_start_utc": (T0 + timedelta(minutes=50_000)).isoformat(),
              "energy_wh": 1, "energy_wh_estimated": 0},
    }
