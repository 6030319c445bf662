"""The guardrail rules on the hand-worked PJM economic dispatch (cut 25 MW for HE15-HE16 with 30 minutes notice at
150 USD/MWh), then each rule where it binds."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from participation import Generator, ResponseRequest, SiteLimits, TenantService, plan_response

REQUEST = ResponseRequest(target_kw=25_000, window_minutes=120, notice_minutes=30, price_usd_per_mwh=Decimal(150))
TENANTS = [TenantService("A", firm_kw=50_000),
           TenantService("B", firm_kw=20_000, interruptible_kw=10_000, curtailment_priority=1,
                         credit_usd_per_mwh=Decimal(100))]
GT1 = Generator("GT1", 12_000, 30_000, output_kw=20_000, ramp_kw_per_minute=2_000, fuel_usd_per_mwh=Decimal(38))
GT2 = Generator("GT2", 12_000, 30_000, start_minutes=20, up_minutes_min=120, start_cost_usd=Decimal(4000),
                fuel_usd_per_mwh=Decimal(38))
DIESELS = [Generator(f"diesel{n}", 0, 2_500, emergency_only=True, fuel_usd_per_mwh=Decimal(30)) for n in range(1, 5)]
LIMITS = SiteLimits(reserve_kw_min=5_000, version="test-1")


def _verdicts(plan) -> dict[str, tuple[str, int, str]]:
    return {v.candidate: (v.outcome, v.kw, v.rule) for v in plan.verdicts}


def test_worked_dispatch_meets_25_mw_and_nets_360_usd() -> None:
    plan = plan_response(REQUEST, TENANTS, [GT1, GT2, *DIESELS], LIMITS)
    verdicts = _verdicts(plan)
    assert verdicts["tenant A"] == ("blocked", 0, "R-FIRM")
    assert verdicts["tenant B"] == ("allowed", 10_000, "R-FIRM")
    assert verdicts["GT1"] == ("clipped", 5_000, "R-RESERVE")  # +10 would leave 0 kW headroom with GT2 off
    assert all(verdicts[f"diesel{n}"] == ("blocked", 0, "R-RICE") for n in range(1, 5))
    assert verdicts["GT2"] == ("allowed", 12_000, "R-UNIT")  # Pmin 12 > 10 still needed: GT1 re-dispatched to +3
    assert plan.unit_added_kw == {"GT1": 3_000, "GT2": 12_000} and plan.tenant_cut_kw == {"B": 10_000}
    assert plan.delivered_kw == 25_000 and plan.executed
    assert plan.credit_usd_micros == 7_500 * 10**6  # 50 MWh x 150
    assert plan.start_cost_usd_micros == 4_000 * 10**6
    assert plan.fuel_cost_usd_micros == 1_140 * 10**6  # 30 MWh x 38
    assert plan.tenant_credit_usd_micros == 2_000 * 10**6  # 20 MWh x 100
    assert plan.net_usd_micros == 360 * 10**6
    assert plan.bound_rules == ("R-FIRM", "R-RESERVE", "R-RICE")


def test_r_econ_leaves_the_plan_on_paper_when_the_net_is_under_the_hurdle() -> None:
    plan = plan_response(REQUEST, TENANTS, [GT1, GT2], replace(LIMITS, hurdle_usd=Decimal(361)))
    assert not plan.executed
    assert plan.verdicts[-1].rule == "R-ECON" and "360.00 USD is under the 361 USD hurdle" in plan.verdicts[-1].reason


def test_r_unit_blocks_a_start_slower_than_the_notice_and_a_minimum_run_longer_than_the_window() -> None:
    slow = plan_response(REQUEST, TENANTS, [GT1, replace(GT2, start_minutes=45)], LIMITS)
    assert _verdicts(slow)["GT2"] == ("blocked", 0, "R-UNIT")
    assert "start takes 45 min, notice is 30 min" in next(v.reason for v in slow.verdicts if v.candidate == "GT2")
    long_run = plan_response(REQUEST, TENANTS, [GT1, replace(GT2, up_minutes_min=240)], LIMITS)
    assert _verdicts(long_run)["GT2"] == ("blocked", 0, "R-UNIT")
    assert long_run.delivered_kw == 15_000  # B's 10 MW and GT1's 5 MW only


def test_r_unit_ramp_limits_an_online_unit() -> None:
    """At 100 kW/min over 30 minutes' notice GT1 can add only 3 MW, though Pmax and reserve would allow 5."""
    plan = plan_response(REQUEST, TENANTS, [replace(GT1, ramp_kw_per_minute=100)], LIMITS)
    assert _verdicts(plan)["GT1"] == ("clipped", 3_000, "R-UNIT")


def test_r_firm_respects_interruptions_per_day() -> None:
    used = [TENANTS[0], replace(TENANTS[1], interruptions_today=1)]
    plan = plan_response(REQUEST, used, [GT1, GT2], LIMITS)
    assert _verdicts(plan)["tenant B"] == ("blocked", 0, "R-FIRM")
    assert plan.tenant_credit_usd_micros == 0


def test_r_emissions_caps_the_extra_output() -> None:
    """0.5 t left under the cap at 500 g/kWh over 2 hours: at most 500 kW more from GT1."""
    limits = replace(LIMITS, emissions_t_per_year_max=Decimal(1000), emissions_t_year_to_date=Decimal("999.5"))
    plan = plan_response(REQUEST, TENANTS, [replace(GT1, co2e_g_per_kwh=500)], limits)
    assert _verdicts(plan)["GT1"] == ("clipped", 500, "R-EMISSIONS")


def test_firm_tenants_are_never_cut_whatever_the_request() -> None:
    huge = replace(REQUEST, target_kw=10**9)
    plan = plan_response(huge, TENANTS, [GT1, GT2, *DIESELS], LIMITS)
    assert plan.tenant_cut_kw == {"B": 10_000}  # never more than B's interruptible kW; A never
