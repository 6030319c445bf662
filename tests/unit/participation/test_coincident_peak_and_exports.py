"""ERCOT 4CP and export value on the hand-worked cases (rates and prices illustrative)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from common.errors import BadInput
from participation import (
    ExportInterval,
    coincident_peak_avoidance_usd_micros,
    coincident_peak_charge,
    export_value,
)

PEAKS = [datetime(2026, 6, 23, 21, 15, tzinfo=UTC), datetime(2026, 7, 29, 21, 30, tzinfo=UTC),
         datetime(2026, 8, 20, 21, 45, tzinfo=UTC), datetime(2026, 9, 3, 22, 0, tzinfo=UTC)]


def _energy(mw: list[int]) -> dict[datetime, int]:
    """MW held over a 15-minute interval -> Wh (MW x 0.25 h)."""
    return {peak: demand * 250_000 for peak, demand in zip(PEAKS, mw, strict=True)}


def test_4cp_mean_charge_and_what_one_curtailment_saved() -> None:
    """Jun 80, Jul 95, Aug 60 (curtailed from 95), Sep 85 MW at 70 USD/kW-yr: 80.0 MW, 5,600,000.00 USD a year;
    without the curtailment 88.75 MW and 6,212,500.00 USD, so the curtailment saved 612,500.00 USD."""
    actual = coincident_peak_charge(_energy([80, 95, 60, 85]), PEAKS, Decimal(70))
    uncurtailed = coincident_peak_charge(_energy([80, 95, 95, 85]), PEAKS, Decimal(70))
    assert actual.demand_kw_mean == Fraction(80_000)
    assert actual.charge_usd_micros_per_year == 5_600_000 * 10**6
    assert uncurtailed.demand_kw_mean == Fraction(88_750)
    assert uncurtailed.charge_usd_micros_per_year == 6_212_500 * 10**6
    assert coincident_peak_avoidance_usd_micros(actual, uncurtailed) == 612_500 * 10**6


def test_4cp_needs_one_peak_per_month_and_metered_energy_in_each() -> None:
    with pytest.raises(BadInput, match="one peak in each month"):
        coincident_peak_charge(_energy([1, 1, 1, 1]), PEAKS[:3] + [PEAKS[2] + timedelta(days=1)], Decimal(70))
    energy = _energy([1, 1, 1, 1])
    del energy[PEAKS[1]]
    with pytest.raises(BadInput, match="no metered energy for the peak interval 2026-07-29 21:30"):
        coincident_peak_charge(energy, PEAKS, Decimal(70))


def test_export_revenue_and_the_margin_r_econ_allows() -> None:
    """10, 12, 8, 12 MW for 15 minutes at 45.00, 60.20, -5.00, 250.00 USD/MWh: 1,033.10 USD unguarded; with a
    38.00 USD/MWh marginal cost the -5.00 interval is blocked, leaving 1,043.10 USD revenue and 720.10 USD margin."""
    start = datetime(2026, 8, 1, 20, tzinfo=UTC)
    rows = [(2_500_000, "45.00"), (3_000_000, "60.20"), (2_000_000, "-5.00"), (3_000_000, "250.00")]
    intervals = [ExportInterval(start + timedelta(minutes=15 * n), wh, Decimal(price))
                 for n, (wh, price) in enumerate(rows)]
    result = export_value(intervals, Decimal("38.00"))
    assert result.revenue_usd_micros == 1_033_100_000
    assert result.allowed_revenue_usd_micros == 1_043_100_000
    assert result.allowed_cost_usd_micros == 323_000_000
    assert result.margin_usd_micros == 720_100_000
    assert result.blocked_starts_utc == (start + timedelta(minutes=30),)
    assert result.allowed_energy_wh == 8_500_000


def test_a_day_ahead_position_settles_the_difference_at_real_time() -> None:
    """DA 3 MWh at 40.00, RT 2.5 MWh at 50.00: 120.00 + (2.5 - 3) x 50.00 = 95.00 USD."""
    interval = ExportInterval(datetime(2026, 8, 1, tzinfo=UTC), 2_500_000, Decimal(50), 3_000_000, Decimal(40))
    assert export_value([interval], Decimal(0)).revenue_usd_micros == 95_000_000
