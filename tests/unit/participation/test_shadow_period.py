"""Shadow participation over three metered hours, worked by hand.

Campus: GT1 (Pmin 12 MW, Pmax 30 MW, fuel 38 USD/MWh, 400 g CO2e/kWh) ran at 20 MW every hour; a 5 MW reserve;
tenant A 50 MW all firm, tenant B 30 MW of which 10 MW interruptible (credit 100 USD/MWh); grid import 60 MW.
Real-time prices 30.00, 150.00, 40.00 USD/MWh; economic DR threshold 100 USD/MWh; a 4CP peak in hour 0 at a
70 USD/kW-year transmission rate (one of four peaks: 17.50 USD per kW)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from participation.guardrails import Generator, SiteLimits, TenantService
from participation.shadow import MarketRules, MeteredPeriod, shadow_period

H0 = datetime(2026, 8, 3, 19, tzinfo=UTC)
STARTS = (H0, H0 + timedelta(hours=1), H0 + timedelta(hours=2))
MWH = 1_000_000
USD = 1_000_000
METERED = MeteredPeriod(timedelta(hours=1), STARTS, (60 * MWH,) * 3, {"GT1": (20 * MWH,) * 3},
                        {"A": (50 * MWH,) * 3, "B": (30 * MWH,) * 3})
PRICES = dict(zip(STARTS, (Decimal("30.00"), Decimal("150.00"), Decimal("40.00")), strict=True))
RULES = MarketRules(
    version="rules-7",
    tenants=(TenantService("A", firm_kw=50_000),
             TenantService("B", firm_kw=20_000, interruptible_kw=10_000, curtailment_priority=1,
                           credit_usd_per_mwh=Decimal(100))),
    generators=(Generator("GT1", 12_000, 30_000, fuel_usd_per_mwh=Decimal(38), co2e_g_per_kwh=400),),
    limits=SiteLimits(reserve_kw_min=5_000, version="rules-7"),
    dr_threshold_usd_per_mwh=Decimal(100),
    coincident_peak_starts_utc=(H0,),
    transmission_rate_usd_per_kw_year=Decimal(70),
)


def test_three_programs_worked_by_hand() -> None:
    result = shadow_period(METERED, PRICES, RULES)
    export, dr, peak = result.programs
    # Hour 1 (150.00 >= 100): B cut 10 MW, GT1 +5 MW (the reserve binds): 15 MWh x 150 = 2,250.00; fuel 5 x 38 =
    # 190.00; B's credit 10 x 100 = 1,000.00; GT1's 5 MWh at 400 g/kWh = 2 t.
    assert (dr.revenue_usd_micros, dr.cost_usd_micros, dr.energy_wh, dr.emissions_g) == \
        (2_250 * USD, 1_190 * USD, 15 * MWH, 2_000_000)
    # Hour 0 (the 4CP peak): the same 15 MW lower saves 15,000 kW x 17.50 = 262,500.00 for the year.
    assert (peak.avoided_cost_usd_micros, peak.cost_usd_micros, peak.revenue_usd_micros) == \
        (262_500 * USD, 1_190 * USD, 0)
    # Export only where no response was dispatched (hour 2): 5 MW spare above the reserve x 40.00 = 200.00, fuel
    # 190.00. (Hour 0's 30.00 would be under the fuel cost anyway.)
    assert (export.revenue_usd_micros, export.cost_usd_micros, export.energy_wh, export.emissions_g) == \
        (200 * USD, 190 * USD, 5 * MWH, 2_000_000)
    assert result.net_usd_micros == (2_250 - 1_190) * USD + (262_500 - 1_190) * USD + (200 - 190) * USD
    # Firm tenant A: zero by construction; B is credited 1,000.00 in each of the two dispatched hours.
    assert result.tenant_credit_usd_micros == {"A": 0, "B": -2_000 * USD}
    assert {(hour.interval_start_utc, hour.program, hour.rules) for hour in result.bound} == {
        (STARTS[1], "economic_dr", ("R-FIRM", "R-RESERVE")), (H0, "coincident_peak", ("R-FIRM", "R-RESERVE"))}


def test_without_interruptible_load_or_spare_output_nothing_is_dispatched_or_sold() -> None:
    """All of B firm and GT1 at Pmax less the reserve: every candidate is blocked and the plans stay on paper."""
    metered = MeteredPeriod(timedelta(hours=1), STARTS, (60 * MWH,) * 3, {"GT1": (25 * MWH,) * 3},
                            {"A": (50 * MWH,) * 3, "B": (30 * MWH,) * 3})
    rules = MarketRules("rules-8", (TenantService("A", 50_000), TenantService("B", 30_000)), RULES.generators,
                        RULES.limits, dr_threshold_usd_per_mwh=Decimal(100), coincident_peak_starts_utc=(H0,),
                        transmission_rate_usd_per_kw_year=Decimal(70))
    result = shadow_period(metered, PRICES, rules)
    assert result.net_usd_micros == 0 and all(p.energy_wh == 0 for p in result.programs)
    assert result.tenant_credit_usd_micros == {"A": 0, "B": 0}
    assert {hour.program for hour in result.bound} == {"economic_dr", "coincident_peak", "export"}
