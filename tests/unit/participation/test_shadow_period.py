"""Shadow participation over nine metered days (hourly cells, campus clock UTC for readable labels), worked by hand.

Campus: GT1 (Pmin 12 MW, Pmax 30 MW, fuel 38 USD/MWh, 400 g CO2e/kWh) ran at 20 MW every hour; a 5 MW reserve;
tenant A 50 MW all firm, tenant B 30 MW of which 10 MW interruptible (credit 100 USD/MWh); grid import 60 MW every
hour. Real-time price 30.00 USD/MWh except: Tue Aug 11 HE16 150.00 (over the 100.00 DR threshold) and Tue Aug 11
HE19 40.00. An ERCOT-style coincident peak on Mon Aug 10 HE21 at 70 USD/kW-year (one of four: 17.50 USD per kW)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from participation.guardrails import Generator, SiteLimits, TenantService
from participation.shadow import MarketRules, MeteredPeriod, shadow_period

START = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
HOURS = 9 * 24
STARTS = tuple(START + timedelta(hours=n) for n in range(HOURS))
EVENT = datetime(2026, 8, 11, 15, tzinfo=UTC)  # HE16
EXPORT_HOUR = datetime(2026, 8, 11, 18, tzinfo=UTC)
PEAK = datetime(2026, 8, 10, 20, tzinfo=UTC)
MWH = 1_000_000
USD = 1_000_000
METERED = MeteredPeriod(timedelta(hours=1), STARTS, (60 * MWH,) * HOURS, {"GT1": (20 * MWH,) * HOURS},
                        {"A": (50 * MWH,) * HOURS, "B": (30 * MWH,) * HOURS})
PRICES = {start: Decimal("30.00") for start in STARTS} | {EVENT: Decimal("150.00"), EXPORT_HOUR: Decimal("40.00")}
RULES = MarketRules(
    version="rules-7",
    tenants=(TenantService("A", firm_kw=50_000),
             TenantService("B", firm_kw=20_000, interruptible_kw=10_000, curtailment_priority=1,
                           credit_usd_per_mwh=Decimal(100))),
    generators=(Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(38), co2e_g_per_kwh=400),),
    limits=SiteLimits(reserve_kw_min=5_000, version="rules-7"),
    dr_threshold_usd_per_mwh=Decimal(100),
    coincident_peak_starts_utc=(PEAK,),
    transmission_rate_usd_per_kw_year=Decimal(70),
)


def test_three_programs_worked_by_hand() -> None:
    result = shadow_period(METERED, PRICES, RULES)
    export, dr, peak = result.programs
    # The event hour: B cut 10 MW, GT1 +5 MW (the reserve binds), 15 MW delivered. The baseline (the five weekdays
    # before, 60 MW each at HE16; SAA over HE12-HE14: 60 against 60, +0) is 60 MW; metered 60 less 15 delivered
    # is 45, so PJM pays 15 MWh x 150.00 = 2,250.00. Costs: fuel 5 MWh x 38 = 190.00 and B's credit 10 x 100 =
    # 1,000.00; GT1's 5 MWh at 400 g/kWh = 2 t.
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.energy_wh, dr.emissions_g) == \
        (2_250 * USD, 1_190 * USD, 15 * MWH, 2_000_000)
    # The peak hour: the same 15 MW lower saves 15,000 kW x 17.50 = 262,500.00 for the year.
    assert (peak.avoided_cost_usd_micros, peak.cost_usd_micros, peak.revenue_usd_micros, peak.energy_wh) == \
        (262_500 * USD, 1_190 * USD, 0, 15 * MWH)
    # Export: 5 MW spare above the reserve in every hour not dispatched; only HE19's 40.00 covers the fuel:
    # 5 MWh x 40.00 = 200.00 against 190.00 of fuel.
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.energy_wh, export.emissions_g) == \
        (200 * USD, 190 * USD, 5 * MWH, 2_000_000)
    assert result.net_usd_micros == (2_250 - 1_190 + 262_500 - 1_190 + 200 - 190) * USD
    # Firm tenant A: zero by construction; B is credited 1,000.00 in each of the two dispatched hours.
    assert result.tenant_credit_usd_micros == {"A": 0, "B": -2_000 * USD}
    bound = {(hour.interval_start_utc, hour.program): hour.rules for hour in result.bound}
    assert bound.pop((EVENT, "economic_dr")) == ("R-FIRM", "R-RESERVE")
    assert bound.pop((PEAK, "coincident_peak")) == ("R-FIRM", "R-RESERVE")
    # Every other hour but the export hour and the two dispatched ones: price under GT1's fuel cost.
    assert bound == {(start, "export"): ("R-ECON",) for start in STARTS if start not in (EVENT, PEAK, EXPORT_HOUR)}


def test_an_event_without_enough_earlier_days_for_a_baseline_is_not_offered() -> None:
    """On Tue Aug 4 only one earlier weekday is metered: no High 4 of 5 baseline, so nothing is earned or spent."""
    early = datetime(2026, 8, 4, 15, tzinfo=UTC)
    prices = {start: Decimal("30.00") for start in STARTS} | {early: Decimal("150.00")}
    rules = MarketRules("rules-7", RULES.tenants, RULES.generators, RULES.limits, dr_threshold_usd_per_mwh=Decimal(100))
    result = shadow_period(METERED, prices, rules)
    dr = result.programs[1]
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.energy_wh) == (0, 0, 0)
    (refused,) = [hour for hour in result.bound if hour.program == "economic_dr"]
    assert refused.interval_start_utc == early and refused.rules == ("R-BASELINE",)
    assert "only 1 eligible weekday days" in refused.reasons[0]


def test_without_interruptible_load_or_spare_output_nothing_is_dispatched_or_sold() -> None:
    """All of B firm and GT1 at Pmax less the reserve: every candidate is blocked and the plans stay on paper."""
    metered = MeteredPeriod(timedelta(hours=1), STARTS, (60 * MWH,) * HOURS, {"GT1": (25 * MWH,) * HOURS},
                            {"A": (50 * MWH,) * HOURS, "B": (30 * MWH,) * HOURS})
    rules = MarketRules("rules-8", (TenantService("A", 50_000), TenantService("B", 30_000)), RULES.generators,
                        RULES.limits, dr_threshold_usd_per_mwh=Decimal(100), coincident_peak_starts_utc=(PEAK,),
                        transmission_rate_usd_per_kw_year=Decimal(70))
    result = shadow_period(metered, PRICES, rules)
    assert result.net_usd_micros == 0 and all(p.energy_wh == 0 for p in result.programs)
    assert result.tenant_credit_usd_micros == {"A": 0, "B": 0}
    assert {hour.program for hour in result.bound} == {"economic_dr", "coincident_peak", "export"}
