"""Shadow participation on published prices, read with the project's own readers, worked by hand.

ERCOT: HB_SOUTH real-time settlement point prices of Tuesday 1 July 2025, every 15-minute interval of the day
(prices/ercot_np6905_hb_south_20250701.csv, NP6-905-CD layout). NYISO: the Hudson Valley zone's real-time LBMP of
three 5-minute intervals of 18 February 2016 (prices/nyiso_realtime_zone_20160218.csv, verbatim). Where they come
from: prices/SOURCES.md. The campus's meters and rules are made up; only the prices are published ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from market_adapters.price_files import parse_price_file
from participation.guardrails import Generator, SiteLimits, TenantService
from participation.shadow import MarketRules, MeteredPeriod, shadow_period

PRICES = Path(__file__).parent / "prices"
QUARTER = timedelta(minutes=15)
USD = 1_000_000  # micro-USD per dollar


def _prices(file_format: str, name: str, node: str, interval_minutes: int) -> dict[datetime, Decimal]:
    rows = parse_price_file(file_format, name, (PRICES / name).read_bytes(), feed="", interval_minutes=interval_minutes)
    return {row.interval_start_utc: row.lmp_usd_per_mwh for row in rows if row.node == node}


ERCOT = _prices("ercot-np6-905", "ercot_np6905_hb_south_20250701.csv", "HB_SOUTH", 15)
CDT_0000_UTC = datetime(2025, 7, 1, 5, tzinfo=UTC)  # midnight in Texas (CDT, UTC-5)
GT1 = Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(38), co2e_g_per_kwh=400)


def _afternoon(cells: int = 8) -> tuple[datetime, ...]:
    """16:00 to 18:00 CDT: 16:00 34.86, 16:15 32.86, 16:30 40.86, 16:45 49.33, 17:00 62.48, 17:15 67.43,
    17:30 78.75, 17:45 84.07 USD/MWh at HB_SOUTH."""
    return tuple(CDT_0000_UTC + timedelta(hours=16) + n * QUARTER for n in range(cells))


def test_the_file_is_the_whole_day() -> None:
    assert len(ERCOT) == 96 and min(ERCOT) == CDT_0000_UTC and max(ERCOT) == CDT_0000_UTC + 95 * QUARTER
    assert [ERCOT[start] for start in _afternoon()] == [Decimal(p) for p in (
        "34.86", "32.86", "40.86", "49.33", "62.48", "67.43", "78.75", "84.07")]


def test_ercot_export_of_spare_output_over_two_hours() -> None:
    """GT1 held 20 MW (Pmax 30, no reserve): 10 MW spare, 2.5 MWh a quarter hour. Fuel 38 USD/MWh blocks 16:00 and
    16:15 (R-ECON). Revenue 2.5 x (40.86 + 49.33 + 62.48 + 67.43 + 78.75 + 84.07) = 2.5 x 382.92 = 957.30;
    cost 15 MWh x 38 = 570.00; net 387.30; 15 MWh at 400 g/kWh = 6 t CO2e."""
    starts = _afternoon()
    metered = MeteredPeriod(QUARTER, starts, (5_000_000,) * 8, {"GT1": (5_000_000,) * 8}, {})
    result = shadow_period(metered, {s: ERCOT[s] for s in starts}, MarketRules("t", (), (GT1,), SiteLimits()))
    export = result.programs[0]
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.net_usd_micros) == (
        957_300_000, 570 * USD, 387_300_000)
    assert (export.energy_wh, export.emissions_g) == (15_000_000, 6_000_000)
    assert [(hour.interval_start_utc, hour.rules) for hour in result.bound] == [
        (starts[0], ("R-ECON",)), (starts[1], ("R-ECON",))]


def test_ercot_coincident_peak_in_the_same_afternoon() -> None:
    """Take 17:45 CDT as a system peak (illustrative; not ERCOT's published July 2025 interval), 75.53 USD/kW-year.
    Grid draw 20 MW. Tenant B (5 MW, 3 firm) sheds its 2 MW interruptible, GT1 adds its 10 MW spare: 12 MW less
    demand, worth 12,000 x 75.53 / 4 = 226,590.00 a year. Costs: B's credit 0.5 MWh x 150 = 75.00, fuel 2.5 MWh x 38
    = 95.00. The quarter hour is dispatched, so it exports nothing: export loses 84.07, leaving
    2.5 x (382.92 - 84.07) = 747.125 revenue and 12.5 MWh x 38 = 475.00 cost. B's bill: -75.00."""
    starts = _afternoon()
    peak = starts[-1]
    metered = MeteredPeriod(QUARTER, starts, (5_000_000,) * 8, {"GT1": (5_000_000,) * 8}, {"B": (1_250_000,) * 8})
    tenant_b = TenantService("B", 3_000, 2_000, 1, Decimal(150))
    rules = MarketRules("t", (tenant_b,), (GT1,), SiteLimits(), coincident_peak_starts_utc=(peak,),
                        transmission_rate_usd_per_kw_year=Decimal("75.53"))
    result = shadow_period(metered, {s: ERCOT[s] for s in starts}, rules)
    export, _, coincident = result.programs
    assert (coincident.avoided_cost_usd_micros, coincident.cost_usd_micros) == (226_590 * USD, 170 * USD)
    assert coincident.net_usd_micros == 226_420 * USD
    assert coincident.energy_wh == 3_000_000  # 12 MW for a quarter hour
    assert (export.revenue_usd_micros, export.cost_usd_micros) == (747_125_000, 475 * USD)
    assert result.tenant_credit_usd_micros == {"B": -75 * USD}


def test_ercot_economic_response_paid_against_the_baseline() -> None:
    """Nine hourly days from Monday 23 June (campus clock Central); the grid draw is 40 MW every hour, tenant B
    draws 15 MW of which 10 are interruptible (credit 100 USD/MWh). Hourly prices of 1 July are the means of its
    quarter hours; with a 150 USD/MWh threshold the one event is HE22 (21:00-22:00 CDT):
    (331.87 + 283.03 + 125.18 + 103.09) / 4 = 210.7925. High 4 of 5 (30 June, 27, 26, 25, 24 June) gives 40 MWh;
    the additive adjustment over HE18-HE20 is 0. B sheds 10 MW: reduction 40 - (40 - 10) = 10 MWh, paid
    10 x 210.7925 = 2,107.925 USD; B is credited 10 x 100 = 1,000.00; net 1,107.925."""
    start = datetime(2025, 6, 23, 5, tzinfo=UTC)
    hours = 9 * 24
    starts = tuple(start + timedelta(hours=n) for n in range(hours))
    hourly = {hour: sum((ERCOT[hour + n * QUARTER] for n in range(4)), Decimal(0)) / 4
              for hour in starts if hour in ERCOT}
    assert len(hourly) == 24 and hourly[datetime(2025, 7, 2, 2, tzinfo=UTC)] == Decimal("210.7925")
    metered = MeteredPeriod(timedelta(hours=1), starts, (40_000_000,) * hours, {}, {"B": (15_000_000,) * hours},
                            "America/Chicago")
    rules = MarketRules("t", (TenantService("B", 5_000, 10_000, 1, Decimal(100)),), (), SiteLimits(),
                        dr_threshold_usd_per_mwh=Decimal(150))
    result = shadow_period(metered, hourly, rules)
    dr = result.programs[1]
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.net_usd_micros) == (
        2_107_925_000, 1_000 * USD, 1_107_925_000)
    assert dr.energy_wh == 10_000_000
    assert [start for start, program, _ in result.dispatches] == [datetime(2025, 7, 2, 2, tzinfo=UTC)]


def test_nyiso_export_at_hudson_valley() -> None:
    """Three real-time 5-minute intervals at HUD VL ending 00:15, 00:30 and 00:45 EST: 21.73, 21.62, 21.62 USD/MWh.
    GT1 held 24 MW (Pmax 30): 6 MW spare, 0.5 MWh a five minutes. Revenue 0.5 x 64.97 = 32.485; fuel 20 USD/MWh:
    cost 1.5 x 20 = 30.00; net 2.485."""
    nyiso = _prices("nyiso-rt", "nyiso_realtime_zone_20160218.csv", "HUD VL", 5)
    starts = tuple(sorted(nyiso))
    assert starts == tuple(datetime(2016, 2, 18, 5, minute, tzinfo=UTC) for minute in (10, 25, 40))
    unit = Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(20))
    metered = MeteredPeriod(timedelta(minutes=5), starts, (0,) * 3, {"GT1": (2_000_000,) * 3}, {})
    export = shadow_period(metered, nyiso, MarketRules("t", (), (unit,), SiteLimits())).programs[0]
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.net_usd_micros) == (
        32_485_000, 30 * USD, 2_485_000)
    assert export.energy_wh == 1_500_000
