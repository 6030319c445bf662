"""Shadow participation over one settled period: what exporting spare on-site generation and responding to high
prices would have earned, and cost, under the campus's guardrails, from the metered intervals the invoices used.

Inputs are plain values (the service loads them): the period's metered energy per interval (site grid import,
each generator's output, each tenant's load), real-time prices at the campus node, and the rules. Three programs:

- `export`: in each interval not dispatched for a response below, the spare output of the units that ran (Pmax - output, less the reserve the site
  must keep, cheapest unit first) sold at the node's real-time price where it covers the unit's fuel cost (R-ECON).
- `economic_dr`: each hour whose price reaches the program threshold (PJM's Net Benefits Test price) becomes a
  dispatch request to cut the site's grid draw; `guardrails.plan_response` decides what could be delivered
  (interruptible tenant load, more output, unit starts) and what it nets after starts, fuel and tenant credits;
  the credit is what PJM would pay: the reduction below the customer baseline (`baselines`) times the price.
- `coincident_peak`: in each system peak interval (ERCOT 4CP), the same dispatch lowers the site's demand; the
  saving is the lower peak demand's share of the year's transmission charge (one of N peaks).

Firm tenants are never cut, so their bill effect is zero by construction; an interruptible tenant's effect is the
credit it would have been paid. Emissions effect: the added on-site output at each unit's CO2e rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from common.errors import BadInput
from participation.baselines import pjm_customer_baseline
from participation.exports import ExportInterval, export_value
from participation.guardrails import (
    Generator,
    ResponsePlan,
    ResponseRequest,
    SiteLimits,
    TenantService,
    plan_response,
)
from settlement.money import energy_amount_usd_micros, usd_to_micros

PROGRAMS = ("export", "economic_dr", "coincident_peak")


@dataclass(frozen=True)
class MeteredPeriod:
    """One period of metered energy on one interval grid (interval starts UTC, ascending)."""

    interval: timedelta
    starts_utc: tuple[datetime, ...]
    grid_import_wh: tuple[int, ...]
    generation_wh_by_unit: Mapping[str, tuple[int, ...]]
    load_wh_by_tenant: Mapping[str, tuple[int, ...]]
    time_zone: str = "UTC"  # the campus's: baselines use its local days and hour-ending labels

    def kw(self, energy_wh: int) -> int:
        """Average kW over one interval, rounded down (what a unit held, never more)."""
        return energy_wh * 3600 // (int(self.interval.total_seconds()) * 1000)


@dataclass(frozen=True)
class MarketRules:
    version: str
    tenants: tuple[TenantService, ...]
    generators: tuple[Generator, ...]  # output_kw ignored: the meters say what each unit held
    limits: SiteLimits
    notice_minutes: int = 30
    dr_threshold_usd_per_mwh: Decimal | None = None  # None: no economic demand response program
    coincident_peak_starts_utc: tuple[datetime, ...] = ()
    coincident_peak_count: int = 4
    transmission_rate_usd_per_kw_year: Decimal = Decimal(0)
    demand_rate_usd_per_kw: Decimal = Decimal(0)  # the demand charge a battery's peak shaving avoids


@dataclass(frozen=True)
class ProgramResult:
    program: str
    revenue_usd_micros: int = 0  # market credit
    avoided_cost_usd_micros: int = 0  # charges the campus would not have paid
    cost_usd_micros: int = 0  # fuel, starts and tenant credits
    energy_wh: int = 0  # energy exported or not drawn
    emissions_g: int = 0  # added on-site emissions
    counted: bool = True  # False: an alternative use of the same battery, listed but not in the period's net

    @property
    def net_usd_micros(self) -> int:
        return self.revenue_usd_micros + self.avoided_cost_usd_micros - self.cost_usd_micros


@dataclass(frozen=True)
class BoundHour:
    """An interval where a guardrail clipped or blocked something, and which."""

    interval_start_utc: datetime
    program: str
    rules: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ShadowResult:
    rules_version: str
    programs: tuple[ProgramResult, ...]
    bound: tuple[BoundHour, ...]
    tenant_credit_usd_micros: dict[str, int]  # negative on the tenant's bill; 0 for firm tenants
    dispatches: tuple[tuple[datetime, str, ResponsePlan], ...] = field(repr=False, default=())

    @property
    def net_usd_micros(self) -> int:
        return sum(program.net_usd_micros for program in self.programs if program.counted)


def shadow_period(metered: MeteredPeriod, prices_rt_usd_per_mwh: Mapping[datetime, Decimal], rules: MarketRules
                  ) -> ShadowResult:
    """The three programs over the period; an interval without a price is skipped (nothing sells unpriced)."""
    dr, dr_bound, dr_plans = _economic_dr(metered, prices_rt_usd_per_mwh, rules)
    peak, peak_bound, peak_plans = _coincident_peak(metered, rules)
    # Spare output serves one program at a time: an interval dispatched for a response exports nothing more.
    dispatched = frozenset(start for start, _, plan in (*dr_plans, *peak_plans) if plan.executed)
    export, export_bound = _export(metered, prices_rt_usd_per_mwh, rules, dispatched)
    credits = {tenant.tenant_id: 0 for tenant in rules.tenants}
    for _, _, plan in (*dr_plans, *peak_plans):
        for tenant_id, cut_kw in plan.tenant_cut_kw.items():
            credits[tenant_id] -= _tenant_credit(plan, tenant_id, cut_kw, rules)
    return ShadowResult(rules.version, (export, dr, peak), (*export_bound, *dr_bound, *peak_bound), credits,
                        (*dr_plans, *peak_plans))


def _units_at(metered: MeteredPeriod, index: int, rules: MarketRules) -> list[Generator]:
    return [replace(unit, output_kw=metered.kw(metered.generation_wh_by_unit.get(unit.unit_id, ())[index]
                                               if unit.unit_id in metered.generation_wh_by_unit else 0))
            for unit in rules.generators]


def _tenants_at(metered: MeteredPeriod, index: int, rules: MarketRules) -> list[TenantService]:
    """A tenant can only be cut by the load it has: interruptible kW capped by what it drew in the interval."""
    tenants = []
    for tenant in rules.tenants:
        load = metered.load_wh_by_tenant.get(tenant.tenant_id)
        drawn_kw = metered.kw(load[index]) if load else 0
        tenants.append(replace(tenant, interruptible_kw=min(tenant.interruptible_kw, max(drawn_kw - tenant.firm_kw, 0))))
    return tenants


def _export(metered: MeteredPeriod, prices: Mapping[datetime, Decimal], rules: MarketRules,
            dispatched: frozenset[datetime]) -> tuple[ProgramResult, list[BoundHour]]:
    intervals: dict[str, list[ExportInterval]] = {unit.unit_id: [] for unit in rules.generators}
    bound: list[BoundHour] = []
    for index, start in enumerate(metered.starts_utc):
        price = prices.get(start)
        if price is None or start in dispatched:
            continue
        units = [unit for unit in _units_at(metered, index, rules) if unit.online and not unit.emergency_only]
        spare_kw = sum(unit.pmax_kw - unit.output_kw for unit in units) - rules.limits.reserve_kw_min
        if spare_kw <= 0 and units:
            bound.append(BoundHour(start, "export", ("R-RESERVE",),
                                   (f"no spare output above the {rules.limits.reserve_kw_min} kW reserve",)))
        for unit in sorted(units, key=lambda u: (u.fuel_usd_per_mwh, u.unit_id)):
            kw = min(unit.pmax_kw - unit.output_kw, max(spare_kw, 0))
            spare_kw -= kw
            if kw > 0:
                energy_wh = kw * int(metered.interval.total_seconds()) * 1000 // 3600
                intervals[unit.unit_id].append(ExportInterval(start, energy_wh, price))
    revenue = cost = energy = emissions = 0
    for unit in rules.generators:
        result = export_value(intervals[unit.unit_id], unit.fuel_usd_per_mwh)
        revenue += result.allowed_revenue_usd_micros
        cost += result.allowed_cost_usd_micros
        energy += result.allowed_energy_wh
        emissions += result.allowed_energy_wh * unit.co2e_g_per_kwh // 1000
        bound += [BoundHour(start, "export", ("R-ECON",), (f"{unit.unit_id}: price under its fuel cost",))
                  for start in result.blocked_starts_utc]
    return ProgramResult("export", revenue_usd_micros=revenue, cost_usd_micros=cost, energy_wh=energy,
                         emissions_g=emissions), bound


def _dispatch(metered: MeteredPeriod, index: int, rules: MarketRules, minutes: int, price: Decimal,
              avoided_usd_per_kw: Decimal = Decimal(0)) -> ResponsePlan:
    """What could have been done in one interval: cut the grid draw, never into net export (DR pays no injection)."""
    target_kw = metered.kw(metered.grid_import_wh[index])
    request = ResponseRequest(target_kw, minutes, rules.notice_minutes, price, avoided_usd_per_kw)
    return plan_response(request, _tenants_at(metered, index, rules), _units_at(metered, index, rules), rules.limits)


def _economic_dr(metered: MeteredPeriod, prices: Mapping[datetime, Decimal], rules: MarketRules
                 ) -> tuple[ProgramResult, list[BoundHour], list[tuple[datetime, str, ResponsePlan]]]:
    """Hours priced at or above the threshold become events (runs of hours per local day); what the dispatch
    delivers is paid as PJM pays it: the reduction below the customer baseline (High 4 of 5 with SAA, computed
    from the period's own earlier days), times the hour's price. An event without enough earlier days for a
    baseline is not offered (R-BASELINE): nothing can be measured, so nothing is earned or spent."""
    if rules.dr_threshold_usd_per_mwh is None:
        return ProgramResult("economic_dr"), [], []
    if metered.interval != timedelta(hours=1):
        raise BadInput("market", None, "dr_program", "economic demand response settles hourly: hourly cells needed")
    zone = ZoneInfo(metered.time_zone)
    labels = [_hour_label(start, zone) for start in metered.starts_utc]
    load = _hourly_load(labels, metered.grid_import_wh)
    candidates = [index for index, start in enumerate(metered.starts_utc)
                  if (price := prices.get(start)) is not None and price >= rules.dr_threshold_usd_per_mwh
                  and metered.grid_import_wh[index] > 0]
    event_days = frozenset(labels[index][0] for index in candidates)
    plans: list[tuple[datetime, str, ResponsePlan]] = []
    bound: list[BoundHour] = []
    for event in _events(candidates, labels):
        day = labels[event[0]][0]
        try:
            baseline = pjm_customer_baseline(day, [labels[index][1] for index in event], load,
                                             event_days=event_days - {day})
        except BadInput as refused:
            bound += [BoundHour(metered.starts_utc[index], "economic_dr", ("R-BASELINE",), (refused.reason,))
                      for index in event]
            continue
        for index in event:
            start, price = metered.starts_utc[index], prices[metered.starts_utc[index]]
            plan = _dispatch(metered, index, rules, 60, price)
            hour = labels[index][1]
            # Paid on the metered load less what the response delivered, against the adjusted baseline.
            reduction_wh = max(Fraction(0), baseline.adjusted_wh_by_hour[hour]
                               - (metered.grid_import_wh[index] - plan.delivered_wh))
            paid = energy_amount_usd_micros(round(reduction_wh), price) if plan.executed else 0
            plans.append((start, "economic_dr", replace(plan, credit_usd_micros=paid)))
    return _summed("economic_dr", plans, rules), bound + _bound_of(plans), plans


def _hour_label(start_utc: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """(local day, hour-ending label): 1..24, the repeated fall-back hour's second pass labelled 25."""
    local = start_utc.astimezone(zone)
    return local.date(), 25 if local.fold else local.hour + 1


def _hourly_load(labels: Sequence[tuple[date, int]], energy_wh: Sequence[int]) -> dict[date, dict[int, int]]:
    load: dict[date, dict[int, int]] = {}
    for (day, hour), wh in zip(labels, energy_wh, strict=True):
        load.setdefault(day, {})[hour] = wh
    return load


def _events(candidates: Sequence[int], labels: Sequence[tuple[date, int]]) -> list[list[int]]:
    """Candidate hours grouped into runs of consecutive hour labels on one local day."""
    events: list[list[int]] = []
    for index in candidates:
        day, hour = labels[index]
        if events and labels[events[-1][-1]] == (day, hour - 1):
            events[-1].append(index)
        else:
            events.append([index])
    return events


def _coincident_peak(metered: MeteredPeriod, rules: MarketRules
                     ) -> tuple[ProgramResult, list[BoundHour], list[tuple[datetime, str, ResponsePlan]]]:
    where = {start: index for index, start in enumerate(metered.starts_utc)}
    minutes = int(metered.interval.total_seconds()) // 60
    # Each peak sets 1/N of the year's demand: a kW lower in one peak saves rate / N for the year.
    per_kw = rules.transmission_rate_usd_per_kw_year / rules.coincident_peak_count
    plans = [(start, "coincident_peak", _dispatch(metered, where[start], rules, minutes, Decimal(0), per_kw))
             for start in rules.coincident_peak_starts_utc if start in where]
    return _summed("coincident_peak", plans, rules), _bound_of(plans), plans


def _summed(program: str, plans: Sequence[tuple[datetime, str, ResponsePlan]], rules: MarketRules) -> ProgramResult:
    """Only executed plans count: one that R-ECON left on paper earns and costs nothing."""
    revenue = avoided = cost = energy = emissions = 0
    intensity = {unit.unit_id: unit.co2e_g_per_kwh for unit in rules.generators}
    for _, _, plan in plans:
        if not plan.executed:
            continue
        revenue += plan.credit_usd_micros
        avoided += plan.avoided_usd_micros
        cost += plan.start_cost_usd_micros + plan.fuel_cost_usd_micros + plan.tenant_credit_usd_micros
        energy += plan.delivered_wh
        emissions += sum(kw * plan.minutes * intensity[unit_id] // 60 for unit_id, kw in plan.unit_added_kw.items())
    return ProgramResult(program, revenue_usd_micros=revenue, avoided_cost_usd_micros=avoided, cost_usd_micros=cost,
                         energy_wh=energy, emissions_g=emissions)


def _bound_of(plans: Sequence[tuple[datetime, str, ResponsePlan]]) -> list[BoundHour]:
    bound = []
    for start, program, plan in plans:
        binding = [verdict for verdict in plan.verdicts if verdict.outcome != "allowed"
                   and "not needed" not in verdict.reason]
        if binding:
            bound.append(BoundHour(start, program, tuple(v.rule for v in binding),
                                   tuple(f"{v.candidate}: {v.reason}" for v in binding)))
    return bound


def _tenant_credit(plan: ResponsePlan, tenant_id: str, cut_kw: int, rules: MarketRules) -> int:
    if not plan.executed:
        return 0
    tenant = next(t for t in rules.tenants if t.tenant_id == tenant_id)
    return usd_to_micros(Decimal(cut_kw * plan.minutes) * tenant.credit_usd_per_mwh / 60_000)
