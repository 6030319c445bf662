"""A battery's shadow market value on hand-worked figures: arbitrage under the reserve and the cycle limit, peak
shaving, coincident peaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from participation.storage import (
    StorageResource,
    arbitrage_day,
    arbitrage_period,
    coincident_peak_avoided_usd_micros,
    peak_shaving,
)

HOUR = timedelta(hours=1)
# 1 000 kW for an hour draws 1 000 000 Wh and stores 800 000 Wh at 80 %. 2 000 000 usable less a 200 000 floor and
# 200 000 reserved for a tenant's backup leaves 1 600 000 Wh: two steps.
BESS = StorageResource("bess1", capacity_wh_usable=2_000_000, power_kw_rated=1_000, round_trip_efficiency_permille=800,
                       stored_wh_floor=200_000, reserved_wh=200_000)


def _prices(*values: int) -> list[Decimal]:
    return [Decimal(value) for value in values]


def test_arbitrage_charges_cheapest_before_dearest() -> None:
    """Charge at $20 and $10 (1 000 000 Wh each: $30), discharge 800 000 Wh at $100 and $90 ($152): $122."""
    result = arbitrage_day(BESS, HOUR, _prices(20, 10, 50, 100, 90, 30))
    assert result.schedule == (1, 1, 0, -1, -1, 0)
    assert (result.value_usd_micros, result.charge_wh, result.discharge_wh) == (122_000_000, 2_000_000, 1_600_000)


def test_the_reserve_and_the_cycle_limit_bound_the_value() -> None:
    """Reserving 1 000 000 Wh leaves one step (800 000 Wh): one cycle a day earns $80 - $10 = $70; two cycles
    a day take both spreads, $140. Reserving everything leaves nothing to trade."""
    one_step = StorageResource("bess1", 2_000_000, 1_000, 800, 200_000, 1_000_000)
    assert arbitrage_day(one_step, HOUR, _prices(10, 100, 10, 100)).value_usd_micros == 70_000_000
    two_cycles = StorageResource("bess1", 2_000_000, 1_000, 800, 200_000, 1_000_000, cycles_per_day_max=2)
    assert arbitrage_day(two_cycles, HOUR, _prices(10, 100, 10, 100)).value_usd_micros == 140_000_000
    all_reserved = StorageResource("bess1", 2_000_000, 1_000, 800, 200_000, 1_800_000)
    assert arbitrage_day(all_reserved, HOUR, _prices(10, 100)).schedule == (0, 0)


def test_no_spread_worth_the_losses_means_no_trade() -> None:
    """$80 -> $95 loses money at 80 %: 800 000 x 95 < 1 000 000 x 80."""
    assert arbitrage_day(BESS, HOUR, _prices(80, 95)).schedule == (0, 0)


def test_the_cycle_limit_is_per_local_day() -> None:
    """Two Chicago days of one spread each (UTC 05:00 starts the local day in winter): $70 a day, $140."""
    one_step = StorageResource("bess1", 2_000_000, 1_000, 800, 200_000, 1_000_000)
    starts = [datetime(2026, 1, 5, 22, tzinfo=UTC), datetime(2026, 1, 5, 23, tzinfo=UTC),
              datetime(2026, 1, 6, 6, tzinfo=UTC), datetime(2026, 1, 6, 7, tzinfo=UTC)]
    result = arbitrage_period(one_step, HOUR, starts, _prices(10, 100, 10, 100), "America/Chicago")
    assert (result.value_usd_micros, result.schedule) == (140_000_000, (1, -1, 1, -1))


def test_peak_shaving_holds_the_draw_to_the_lowest_level_the_energy_allows() -> None:
    """Draw 500, 900, 1 400, 1 200, 600 kW; 1 600 kWh of market range. At 634 kW the run above it needs
    266 + 766 + 566 = 1 598 kWh (766 kW within the rating): it holds; at 633 kW it needs 1 601 kWh. 766 kW shaved at
    $15/kW: $11 490."""
    result = peak_shaving(BESS, HOUR, [500_000, 900_000, 1_400_000, 1_200_000, 600_000], Decimal(15))
    assert (result.demand_kw_max_before, result.demand_kw_max_after, result.avoided_usd_micros) == \
        (1_400, 634, 11_490_000_000)


def test_peak_shaving_is_bounded_by_the_power_rating() -> None:
    """A 3 000 kW spike over a 200 kW base: the 1 000 kW rating holds it to 2 000 kW, however much energy is left."""
    result = peak_shaving(BESS, HOUR, [200_000, 3_000_000, 200_000], Decimal(10))
    assert (result.demand_kw_max_after, result.avoided_usd_micros) == (2_000, 10_000_000_000)


def test_coincident_peaks_discharge_at_rated_power() -> None:
    """15-minute peaks with draws of 12 000 kW and 2 000 kW, a 5 000 kW battery: 5 000 + 2 000 kW saved, one of
    four peaks at $50/kW-year: $87 500."""
    bess = StorageResource("bess1", 20_000_000, 5_000, 850)
    assert coincident_peak_avoided_usd_micros(bess, timedelta(minutes=15), [3_000_000, 500_000], 4, Decimal(50)) == \
        87_500_000_000
