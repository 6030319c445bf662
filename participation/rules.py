"""The campus file's `[market]` section (plain JSON values, as stored) as the rules the shadow run applies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from participation.guardrails import Generator, SiteLimits, TenantService
from participation.shadow import MarketRules


def market_rules(section: dict[str, Any], period_start_utc: datetime, period_end_utc: datetime) -> MarketRules:
    """Tenants and generators by the section; the coincident peaks that fall in the period."""
    def decimal(name: str, default: str = "0") -> Decimal:
        value = section.get(name)
        return Decimal(default if value is None else str(value))

    tenants = tuple(TenantService(
        t["tenant"], int(t["firm_kw"]), int(t.get("interruptible_kw", 0)), int(t.get("curtailment_priority", 0)),
        Decimal(str(t.get("credit_usd_per_mwh", "0"))), int(t.get("interruptions_per_day_max", 1)),
    ) for t in section.get("tenants") or [])
    generators = tuple(Generator(
        g["meter"], int(g["pmin_kw"]), int(g["pmax_kw"]), 0, int(g.get("ramp_kw_per_minute", 10**7)),
        int(g.get("start_minutes", 0)), int(g.get("up_minutes_min", 0)), Decimal(str(g.get("start_cost_usd", "0"))),
        Decimal(str(g.get("fuel_usd_per_mwh", "0"))), bool(g.get("emergency_only", False)),
        int(g.get("co2e_g_per_kwh", 0)),
    ) for g in section.get("generators") or [])
    cap = section.get("emissions_t_per_year_max")
    limits = SiteLimits(int(section.get("reserve_kw_min", 0)), None if cap is None else Decimal(str(cap)),
                        decimal("emissions_t_year_to_date"), decimal("hurdle_usd"), str(section["rules_version"]))
    dr = section.get("dr_program", "none") != "none"
    peaks: tuple[datetime, ...] = ()
    if section.get("coincident_peak_method", "none") != "none":
        peaks = tuple(sorted(instant for instant in (datetime.fromisoformat(text) for text in
                                                     section.get("coincident_peak_starts_utc") or [])
                             if period_start_utc <= instant < period_end_utc))
    return MarketRules(
        version=str(section["rules_version"]), tenants=tenants, generators=generators, limits=limits,
        notice_minutes=int(section.get("notice_minutes", 30)),
        dr_threshold_usd_per_mwh=decimal("dr_threshold_usd_per_mwh") if dr else None,
        coincident_peak_starts_utc=peaks, transmission_rate_usd_per_kw_year=decimal("transmission_rate_usd_per_kw_year"),
        demand_rate_usd_per_kw=decimal("demand_rate_usd_per_kw"),
    )
