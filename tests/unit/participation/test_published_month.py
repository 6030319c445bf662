"""Shadow participation over whole published months of two ISOs, read with the project's own readers:
- ERCOT day-ahead settlement point prices at HB_SOUTH, every hour of July 2025 (744 prices,
  prices/ercot_np4190_hb_south_202507.csv, NP4-190-CD layout, `ercot-np4-190`);
- PJM real-time hourly LMPs at WESTERN HUB, every hour of July 2025 (744 rows of a Data Miner `rt_hrl_lmps` export,
  verbatim, prices/pjm_rt_hrl_lmps_western_hub_202507.csv, `pjm-csv`).
Where they come from: prices/SOURCES.md. The campus's meters and rules are made up; only the prices are published
ones, and every expected figure below is worked from them by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from market_adapters.price_files import parse_price_file
from participation.guardrails import Generator, SiteLimits, TenantService
from participation.shadow import MarketRules, MeteredPeriod, shadow_period

PRICES = Path(__file__).parent / "prices" / "ercot_np4190_hb_south_202507.csv"
HOUR = timedelta(hours=1)
JULY_TZ = ZoneInfo("America/Chicago")
USD = 1_000_000  # micro-USD per dollar
JULY_START_UTC = datetime(2025, 7, 1, 5, tzinfo=UTC)  # HE1 of 1 July starts at midnight CDT (UTC-5)
HOURS = 31 * 24
STARTS = tuple(JULY_START_UTC + n * HOUR for n in range(HOURS))
DAM = {row.interval_start_utc: row.lmp_usd_per_mwh
       for row in parse_price_file("ercot-np4-190", PRICES.name, PRICES.read_bytes(), feed="", interval_minutes=60)}


def _he(day: int, hour_ending: int) -> datetime:
    """The UTC start of July `day`, hour-ending `hour_ending` (Central daylight time all month)."""
    return JULY_START_UTC + timedelta(days=day - 1, hours=hour_ending - 1)


# The 13 hours of the month priced at or above 100 USD/MWh, every one an evening (HE19-HE22):
HIGH_HOURS = {_he(1, 20): "100.12", _he(1, 21): "101.06", _he(24, 20): "109.06", _he(24, 21): "121.72",
              _he(25, 20): "111.41", _he(25, 21): "100.72", _he(29, 21): "128.6", _he(30, 19): "122.28",
              _he(30, 20): "426.42", _he(30, 21): "432.03", _he(30, 22): "335.47", _he(31, 20): "170.64",
              _he(31, 21): "163.3"}


def test_the_file_is_the_whole_month() -> None:
    """744 hourly prices, HE1 of 1 July to HE24 of 31 July, all at HB_SOUTH; the month's highest price is
    432.03 (30 July HE21, the evening of a tight day), its lowest 10.25 (11 July HE10)."""
    assert tuple(sorted(DAM)) == STARTS
    assert (DAM[_he(1, 1)], DAM[_he(31, 24)]) == (Decimal("34.81"), Decimal("42.81"))
    assert (max(DAM.values()), min(DAM.values())) == (Decimal("432.03"), Decimal("10.25"))
    assert DAM[_he(11, 10)] == Decimal("10.25")
    assert {start: str(price) for start, price in DAM.items() if price >= 100} == HIGH_HOURS


def test_exporting_spare_output_for_the_whole_month() -> None:
    """GT1 (Pmax 30 MW, fuel 100 USD/MWh, 400 g CO2e/kWh) held 20 MW every hour of July: 10 MWh spare an hour.
    It sells only where the price covers its fuel (R-ECON): the 13 hours at or above 100.00. Their prices sum to
    100.12 + 101.06 + 109.06 + 121.72 + 111.41 + 100.72 + 128.60 + 122.28 + 426.42 + 432.03 + 335.47 + 170.64
    + 163.30 = 2,422.83, so revenue 10 x 2,422.83 = 24,228.30 USD; fuel 130 MWh x 100 = 13,000.00; net 11,228.30;
    130 MWh at 400 g/kWh = 52 t CO2e. The other 744 - 13 = 731 hours are bound by R-ECON."""
    unit = Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(100), co2e_g_per_kwh=400)
    metered = MeteredPeriod(HOUR, STARTS, (0,) * HOURS, {"GT1": (20_000_000,) * HOURS}, {})
    result = shadow_period(metered, DAM, MarketRules("t", (), (unit,), SiteLimits()))
    export = result.programs[0]
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.net_usd_micros) == (
        24_228_300_000, 13_000 * USD, 11_228_300_000)
    assert (export.energy_wh, export.emissions_g) == (130_000_000, 52_000_000)
    blocked = [hour.interval_start_utc for hour in result.bound if hour.rules == ("R-ECON",)]
    assert len(blocked) == HOURS - 13 and not set(blocked) & set(HIGH_HOURS)


def _draw_mw(day: int) -> int:
    """The campus's grid draw, flat all day: 44 MW on Monday 28 July, 30 MW on Wednesday 23 July, else 40."""
    return {28: 44, 23: 30}.get(day, 40)


def test_economic_response_on_the_month_against_high_4_of_5() -> None:
    """Threshold 400 USD/MWh: the only hours at or above it are 30 July (a Wednesday) HE20 426.42 and HE21 432.03,
    one two-hour event. Tenant B draws 15 MW (5 firm, 10 interruptible, paid 100 USD/MWh).
    High 4 of 5: the five weekdays before 30 July are 29 (40 MW), 28 (44), 25 (40), 24 (40) and 23 July (30);
    23 July, the lowest, is dropped, so the raw baseline of each hour is (40 + 44 + 40 + 40) / 4 = 41 MWh.
    SAA over HE16-HE18 (the 3 hours ending one hour before the event): actual 40, baseline 41, adjustment -1 MWh,
    so the adjusted baseline is 40 MWh in HE20 and HE21. B sheds its 10 MW: metered 40 less 10 delivered = 30,
    a reduction of 40 - 30 = 10 MWh in each hour, paid 10 x 426.42 + 10 x 432.03 = 4,264.20 + 4,320.30
    = 8,584.50 USD. B is credited 20 MWh x 100 = 2,000.00; net 6,584.50."""
    draw = tuple(_draw_mw(start.astimezone(JULY_TZ).day) * 1_000_000 for start in STARTS)
    metered = MeteredPeriod(HOUR, STARTS, draw, {}, {"B": (15_000_000,) * HOURS}, "America/Chicago")
    rules = MarketRules("t", (TenantService("B", 5_000, 10_000, 1, Decimal(100)),), (), SiteLimits(),
                        dr_threshold_usd_per_mwh=Decimal(400))
    result = shadow_period(metered, DAM, rules)
    dr = result.programs[1]
    assert [start for start, _, _ in result.dispatches] == [_he(30, 20), _he(30, 21)]
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.net_usd_micros) == (
        8_584_500_000, 2_000 * USD, 6_584_500_000)
    assert dr.energy_wh == 20_000_000
    assert result.tenant_credit_usd_micros == {"B": -2_000 * USD}


def test_coincident_peak_avoided_in_the_month_s_tightest_hour() -> None:
    """Take the month's highest-priced hour, 30 July HE21 (432.03 USD/MWh), as one system peak: illustrative, not
    ERCOT's published 4CP interval for July 2025. Transmission 75.53 USD/kW-year, one of 4 peaks. B sheds its
    10 MW interruptible for the hour: 10,000 kW x 75.53 / 4 = 188,825.00 USD a year avoided; B is credited
    10 MWh x 100 = 1,000.00; net 187,825.00."""
    metered = MeteredPeriod(HOUR, STARTS, (40_000_000,) * HOURS, {}, {"B": (15_000_000,) * HOURS}, "America/Chicago")
    rules = MarketRules("t", (TenantService("B", 5_000, 10_000, 1, Decimal(100)),), (), SiteLimits(),
                        coincident_peak_starts_utc=(_he(30, 21),), transmission_rate_usd_per_kw_year=Decimal("75.53"))
    peak = shadow_period(metered, DAM, rules).programs[2]
    assert (peak.avoided_cost_usd_micros, peak.cost_usd_micros, peak.net_usd_micros) == (
        188_825 * USD, 1_000 * USD, 187_825 * USD)
    assert peak.energy_wh == 10_000_000


# PJM: real-time hourly LMPs at WESTERN HUB (pnode 51288) for every hour of July 2025, the 744 rows of a Data Miner
# `rt_hrl_lmps` export kept verbatim (prices/pjm_rt_hrl_lmps_western_hub_202507.csv, read with `pjm-csv`).
PJM_FILE = Path(__file__).parent / "prices" / "pjm_rt_hrl_lmps_western_hub_202507.csv"
PJM_JULY_START_UTC = datetime(2025, 7, 1, 4, tzinfo=UTC)  # HE1 of 1 July starts at midnight EDT (UTC-4)
PJM_STARTS = tuple(PJM_JULY_START_UTC + n * HOUR for n in range(HOURS))
PJM_TZ = ZoneInfo("America/New_York")
PJM_RT = {row.interval_start_utc: row.lmp_usd_per_mwh
          for row in parse_price_file("pjm-csv", PJM_FILE.name, PJM_FILE.read_bytes(), feed="rt_hrl_lmps",
                                      interval_minutes=60) if row.node == "51288"}


def _pjm_he(day: int, hour_ending: int) -> datetime:
    """The UTC start of July `day`, hour-ending `hour_ending` (Eastern daylight time all month)."""
    return PJM_JULY_START_UTC + timedelta(days=day - 1, hours=hour_ending - 1)


def test_the_pjm_file_is_the_whole_month() -> None:
    """744 hourly total LMPs, HE1 of 1 July (71.381889) to HE24 of 31 July (28.463158). The two hours above
    500 USD/MWh: Monday 28 July HE20 (19:00-20:00 EDT) 540.134109 and Tuesday 15 July HE18 533.588375."""
    assert tuple(sorted(PJM_RT)) == PJM_STARTS
    assert (PJM_RT[_pjm_he(1, 1)], PJM_RT[_pjm_he(31, 24)]) == (Decimal("71.381889"), Decimal("28.463158"))
    assert {start: price for start, price in PJM_RT.items() if price >= 500} == {
        _pjm_he(28, 20): Decimal("540.134109"), _pjm_he(15, 18): Decimal("533.588375")}


def test_pjm_export_of_spare_output_for_the_whole_month() -> None:
    """GT1 (Pmax 30 MW, fuel 500 USD/MWh) held 20 MW every hour of July: 10 MWh spare an hour, sold only in the
    two hours priced above its fuel cost. Revenue 10 x 533.588375 + 10 x 540.134109 = 5,335.88375 + 5,401.34109
    = 10,737.22484 USD; fuel 20 MWh x 500 = 10,000.00; net 737.22484. The other 742 hours are bound by R-ECON."""
    unit = Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(500))
    metered = MeteredPeriod(HOUR, PJM_STARTS, (0,) * HOURS, {"GT1": (20_000_000,) * HOURS}, {})
    result = shadow_period(metered, PJM_RT, MarketRules("t", (), (unit,), SiteLimits()))
    export = result.programs[0]
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.net_usd_micros) == (
        10_737_224_840, 10_000 * USD, 737_224_840)
    assert export.energy_wh == 20_000_000
    assert sum(hour.rules == ("R-ECON",) for hour in result.bound) == HOURS - 2


def _pjm_draw_mw(day: int) -> int:
    """Grid draw, flat all day: 30 MW on 8 and 21 July, 44 MW on 10 and 24 July, else 40 MW."""
    return {8: 30, 21: 30, 10: 44, 24: 44}.get(day, 40)


def test_pjm_economic_response_against_high_4_of_5_on_real_weekdays() -> None:
    """Threshold 500 USD/MWh: two one-hour events, Tuesday 15 July HE18 (533.588375) and Monday 28 July HE20
    (540.134109). Tenant B draws 15 MW (5 firm, 10 interruptible, paid 100 USD/MWh).
    15 July: the five weekdays before it are 14, 11, 10, 9 and 8 July (40, 40, 44, 40, 30 MW); 8 July, the
    lowest, is dropped: baseline (40 + 40 + 44 + 40) / 4 = 41 MWh. SAA over HE14-HE16: actual 40 - 41 = -1, so
    the adjusted baseline is 40 MWh; B sheds 10 MW, metered 40 less 10 = 30, reduction 10 MWh, paid 5,335.88375.
    28 July: the five weekdays before it are 25, 24, 23, 22 and 21 July (40, 44, 40, 40, 30): the same 41 MWh, the
    SAA over HE16-HE18 -1 again, reduction 10 MWh, paid 5,401.34109. Total 10,737.22484 USD; B is credited
    20 MWh x 100 = 2,000.00; net 8,737.22484."""
    draw = tuple(_pjm_draw_mw(start.astimezone(PJM_TZ).day) * 1_000_000 for start in PJM_STARTS)
    metered = MeteredPeriod(HOUR, PJM_STARTS, draw, {}, {"B": (15_000_000,) * HOURS}, "America/New_York")
    rules = MarketRules("t", (TenantService("B", 5_000, 10_000, 1, Decimal(100)),), (), SiteLimits(),
                        dr_threshold_usd_per_mwh=Decimal(500))
    result = shadow_period(metered, PJM_RT, rules)
    dr = result.programs[1]
    assert [start for start, _, _ in result.dispatches] == [_pjm_he(15, 18), _pjm_he(28, 20)]
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.net_usd_micros) == (
        10_737_224_840, 2_000 * USD, 8_737_224_840)
    assert dr.energy_wh == 20_000_000
