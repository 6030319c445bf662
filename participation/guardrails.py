"""Guardrails: which shadow actions a campus could have taken for a requested load reduction, rule by rule.

A request (reduce grid draw by `target_kw` for `window_minutes`, with `notice_minutes` warning, at a price) is
met from candidates in a fixed order: interruptible tenant load (by curtailment priority), more output from
units already online (cheapest fuel first), then units started for the event. Each candidate gets one verdict -
allowed, clipped (to a smaller kW) or blocked - naming the rule and the numbers:

- R-FIRM: a tenant is never cut below its firm kW; only its interruptible kW, in priority order, within its
  interruptions per day.
- R-RESERVE: online headroom (sum of Pmax - output over running units) after the action stays >= the reserve.
- R-UNIT: output within [Pmin, Pmax]; ramp and start must fit the notice; a minimum run must fit the window.
- R-RICE: an emergency engine (40 CFR 63.6640(f)) never runs for economic response or income.
- R-EMISSIONS: the projected tonnes of the year stay within the permit cap.
- R-ECON: the net value (credit - starts - fuel - tenant credits) must reach the hurdle, else nothing is done.

Everything is integer kW, minutes and micro-USD; an amount is kW x minutes / 60,000 (MWh) x USD/MWh, exact, rounded
once to micro-USD, half to even.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext

from settlement.money import usd_to_micros

ALLOWED, CLIPPED, BLOCKED = "allowed", "clipped", "blocked"


@dataclass(frozen=True)
class TenantService:
    tenant_id: str
    firm_kw: int
    interruptible_kw: int = 0
    curtailment_priority: int = 0  # lower is cut first
    credit_usd_per_mwh: Decimal = Decimal(0)  # what the tenant is paid for each interrupted MWh
    interruptions_per_day_max: int = 1
    interruptions_today: int = 0


@dataclass(frozen=True)
class Generator:
    unit_id: str
    pmin_kw: int
    pmax_kw: int
    output_kw: int = 0  # 0: offline
    ramp_kw_per_minute: int = 10**9
    start_minutes: int = 0
    up_minutes_min: int = 0
    start_cost_usd: Decimal = Decimal(0)
    fuel_usd_per_mwh: Decimal = Decimal(0)
    emergency_only: bool = False  # an emergency RICE permit
    co2e_g_per_kwh: int = 0

    @property
    def online(self) -> bool:
        return self.output_kw > 0


@dataclass(frozen=True)
class SiteLimits:
    reserve_kw_min: int = 0
    emissions_t_per_year_max: Decimal | None = None
    emissions_t_year_to_date: Decimal = Decimal(0)
    hurdle_usd: Decimal = Decimal(0)
    version: str = "unversioned"


@dataclass(frozen=True)
class ResponseRequest:
    target_kw: int
    window_minutes: int
    notice_minutes: int
    price_usd_per_mwh: Decimal  # paid per MWh delivered (an energy program)
    avoided_usd_per_kw: Decimal = Decimal(0)  # saved per kW delivered (a charge set by demand, e.g. a 4CP peak)


@dataclass(frozen=True)
class Verdict:
    candidate: str
    outcome: str  # allowed | clipped | blocked
    kw: int  # the kW this candidate contributes (0 when blocked)
    rule: str
    reason: str


@dataclass(frozen=True)
class ResponsePlan:
    verdicts: tuple[Verdict, ...]
    delivered_kw: int
    credit_usd_micros: int
    start_cost_usd_micros: int
    fuel_cost_usd_micros: int
    tenant_credit_usd_micros: int
    executed: bool  # False when R-ECON (or nothing allowed) left the plan on paper
    tenant_cut_kw: dict[str, int] = field(default_factory=dict)
    unit_added_kw: dict[str, int] = field(default_factory=dict)
    minutes: int = 0
    avoided_usd_micros: int = 0

    @property
    def net_usd_micros(self) -> int:
        return self.credit_usd_micros + self.avoided_usd_micros - self.start_cost_usd_micros \
            - self.fuel_cost_usd_micros - self.tenant_credit_usd_micros

    @property
    def delivered_wh(self) -> int:
        """kW x minutes / 60 x 1,000, rounded down to a whole Wh."""
        return self.delivered_kw * self.minutes * 1000 // 60

    @property
    def bound_rules(self) -> tuple[str, ...]:
        """The rules that clipped or blocked a candidate (what a report lists as 'guardrail bound')."""
        return tuple(sorted({v.rule for v in self.verdicts if v.outcome != ALLOWED}))


def plan_response(request: ResponseRequest, tenants: Sequence[TenantService], generators: Sequence[Generator],
                  limits: SiteLimits) -> ResponsePlan:
    """Meet as much of the request as the rules allow; each candidate's verdict says which rule decided."""
    verdicts: list[Verdict] = []
    need = request.target_kw
    tenant_cut: dict[str, int] = {}
    for tenant in sorted(tenants, key=lambda t: (t.curtailment_priority, t.tenant_id)):
        verdict = _tenant_verdict(tenant, need)
        verdicts.append(verdict)
        if verdict.kw:
            tenant_cut[tenant.tenant_id] = verdict.kw
            need -= verdict.kw
    units = {unit.unit_id: unit for unit in generators}
    added: dict[str, int] = {}
    for unit in sorted((u for u in generators if u.online), key=lambda u: (u.fuel_usd_per_mwh, u.unit_id)):
        verdict = _online_unit_verdict(unit, need, request, units, limits)
        verdicts.append(verdict)
        if verdict.kw:
            added[unit.unit_id] = verdict.kw
            units[unit.unit_id] = replace(unit, output_kw=unit.output_kw + verdict.kw)
            need -= verdict.kw
    for unit in sorted((u for u in generators if not u.online), key=lambda u: (u.fuel_usd_per_mwh, u.unit_id)):
        if need <= 0:
            verdicts.append(Verdict(unit.unit_id, BLOCKED, 0, "R-ECON", "not needed: the request is already met"))
            continue
        verdict, redispatch = _start_verdict(unit, need, request, units, added, limits)
        verdicts.append(verdict)
        if verdict.kw:
            for unit_id, less_kw in redispatch.items():
                added[unit_id] -= less_kw
                units[unit_id] = replace(units[unit_id], output_kw=units[unit_id].output_kw - less_kw)
            added[unit.unit_id] = verdict.kw
            units[unit.unit_id] = replace(unit, output_kw=verdict.kw)
            need -= verdict.kw - sum(redispatch.values())
    return _priced(request, verdicts, tenant_cut, added, units, tenants, generators, limits)


def _tenant_verdict(tenant: TenantService, need_kw: int) -> Verdict:
    name = f"tenant {tenant.tenant_id}"
    if tenant.interruptible_kw <= 0:
        return Verdict(name, BLOCKED, 0, "R-FIRM", f"all {tenant.firm_kw} kW are firm")
    if tenant.interruptions_today >= tenant.interruptions_per_day_max:
        return Verdict(name, BLOCKED, 0, "R-FIRM",
                       f"{tenant.interruptions_today} of {tenant.interruptions_per_day_max} interruptions used today")
    if need_kw <= 0:
        return Verdict(name, BLOCKED, 0, "R-ECON", "not needed: the request is already met")
    cut = min(tenant.interruptible_kw, need_kw)
    return Verdict(name, ALLOWED, cut, "R-FIRM",
                   f"{cut} of {tenant.interruptible_kw} interruptible kW, priority {tenant.curtailment_priority};"
                   f" {tenant.firm_kw} firm kW untouched")


def _headroom_kw(units: dict[str, Generator]) -> int:
    return sum(unit.pmax_kw - unit.output_kw for unit in units.values() if unit.online)


def _online_unit_verdict(unit: Generator, need_kw: int, request: ResponseRequest, units: dict[str, Generator],
                         limits: SiteLimits) -> Verdict:
    if need_kw <= 0:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-ECON", "not needed: the request is already met")
    if unit.emergency_only:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-RICE", "emergency engine: economic response is non-emergency use")
    wanted = need_kw
    by_pmax = unit.pmax_kw - unit.output_kw
    by_ramp = unit.ramp_kw_per_minute * request.notice_minutes
    kw, rule, reason = min(wanted, by_pmax, by_ramp), "R-UNIT", f"+{min(wanted, by_pmax, by_ramp)} kW within Pmax and ramp"
    spare = _headroom_kw(units) - limits.reserve_kw_min
    if kw > spare:
        kw, rule = max(spare, 0), "R-RESERVE"
        reason = f"headroom after the action must stay >= {limits.reserve_kw_min} kW: clipped to +{kw} kW"
    kw, rule, reason = _emissions_clip(unit, kw, request, rule, reason, limits)
    if kw <= 0:
        return Verdict(unit.unit_id, BLOCKED, 0, rule, reason)
    return Verdict(unit.unit_id, CLIPPED if kw < wanted else ALLOWED, kw, rule, reason)


def _start_verdict(unit: Generator, need_kw: int, request: ResponseRequest, units: dict[str, Generator],
                   added: dict[str, int], limits: SiteLimits) -> tuple[Verdict, dict[str, int]]:
    if unit.emergency_only:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-RICE",
                       "emergency engine: economic response is non-emergency use for income (40 CFR 63.6640(f))"), {}
    if unit.start_minutes > request.notice_minutes:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-UNIT",
                       f"start takes {unit.start_minutes} min, notice is {request.notice_minutes} min"), {}
    if unit.up_minutes_min > request.window_minutes:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-UNIT",
                       f"minimum run {unit.up_minutes_min} min outlasts the {request.window_minutes}-min window"), {}
    output = min(max(unit.pmin_kw, need_kw), unit.pmax_kw)
    surplus = output - need_kw  # Pmin above the need: take it back from units already raised, dearest first
    redispatch: dict[str, int] = {}
    for unit_id in sorted(added, key=lambda u: (units[u].fuel_usd_per_mwh, u), reverse=True):
        if surplus <= 0:
            break
        back = min(surplus, added[unit_id])
        redispatch[unit_id] = back
        surplus -= back
    if surplus > 0:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-UNIT",
                       f"Pmin {unit.pmin_kw} kW exceeds the {need_kw} kW still needed"), {}
    started = {**units, unit.unit_id: replace(unit, output_kw=output)}
    for unit_id, back in redispatch.items():
        started[unit_id] = replace(units[unit_id], output_kw=units[unit_id].output_kw - back)
    if _headroom_kw(started) < limits.reserve_kw_min:
        return Verdict(unit.unit_id, BLOCKED, 0, "R-RESERVE",
                       f"headroom {_headroom_kw(started)} kW after the start is under {limits.reserve_kw_min} kW"), {}
    kw, rule, reason = _emissions_clip(unit, output, request, "R-UNIT",
                                       f"start {unit.start_minutes} <= {request.notice_minutes} min notice; minimum run"
                                       f" {unit.up_minutes_min} <= {request.window_minutes} min; at {output} kW"
                                       + (f", re-dispatching {redispatch}" if redispatch else ""), limits)
    if kw < output:
        return Verdict(unit.unit_id, BLOCKED, 0, rule, reason), {}
    return Verdict(unit.unit_id, ALLOWED, output, rule, reason), redispatch


def _emissions_clip(unit: Generator, kw: int, request: ResponseRequest, rule: str, reason: str,
                    limits: SiteLimits) -> tuple[int, str, str]:
    if limits.emissions_t_per_year_max is None or unit.co2e_g_per_kwh == 0 or kw <= 0:
        return kw, rule, reason
    left_g = (limits.emissions_t_per_year_max - limits.emissions_t_year_to_date) * 1_000_000
    # kW over the window's minutes: g = kW x g/kWh x minutes / 60
    kw_max = int(left_g * 60 / (unit.co2e_g_per_kwh * request.window_minutes)) if left_g > 0 else 0
    if kw <= kw_max:
        return kw, rule, reason
    return kw_max, "R-EMISSIONS", (f"{limits.emissions_t_year_to_date} of {limits.emissions_t_per_year_max} t CO2e"
                                   f" used this year: at most +{kw_max} kW from {unit.unit_id}")


def _priced(request: ResponseRequest, verdicts: list[Verdict], tenant_cut: dict[str, int], added: dict[str, int],
            units: dict[str, Generator], tenants: Sequence[TenantService], generators: Sequence[Generator],
            limits: SiteLimits) -> ResponsePlan:
    minutes = request.window_minutes
    added = {unit_id: kw for unit_id, kw in added.items() if kw > 0}
    delivered = sum(tenant_cut.values()) + sum(added.values())
    credit = _kw_minutes_usd_micros(delivered, minutes, request.price_usd_per_mwh)
    original = {unit.unit_id: unit for unit in generators}
    starts = sum(usd_to_micros(original[u].start_cost_usd) for u in added if not original[u].online)
    fuel = sum(_kw_minutes_usd_micros(kw, minutes, units[u].fuel_usd_per_mwh) for u, kw in added.items())
    by_id = {tenant.tenant_id: tenant for tenant in tenants}
    credits = sum(_kw_minutes_usd_micros(kw, minutes, by_id[t].credit_usd_per_mwh) for t, kw in tenant_cut.items())
    avoided = usd_to_micros(Decimal(delivered) * request.avoided_usd_per_kw)
    plan = ResponsePlan(tuple(verdicts), delivered, credit, starts, fuel, credits, True, tenant_cut, added, minutes,
                        avoided)
    hurdle = usd_to_micros(limits.hurdle_usd)
    if delivered == 0 or plan.net_usd_micros < hurdle:
        why = "nothing was allowed" if delivered == 0 else \
            f"net {plan.net_usd_micros / 1_000_000:.2f} USD is under the {limits.hurdle_usd} USD hurdle"
        verdicts.append(Verdict("plan", BLOCKED, 0, "R-ECON", why))
        return replace(plan, verdicts=tuple(verdicts), executed=False)
    return plan


def _kw_minutes_usd_micros(kw: int, minutes: int, price_usd_per_mwh: Decimal) -> int:
    with localcontext() as context:
        context.prec = 60
        return usd_to_micros(Decimal(kw * minutes) * price_usd_per_mwh / 60_000)
