"""The cycle's emissions carried through a battery (docs/storage.md, "Emissions").

In a charging hour the battery is a consuming party (`retained:storage.<id>`): it takes its share of that hour's
grams like any consumer (on-site generation by the exported-share rule, grid by metered Wh, certificates of the
operator's claims under hourly matching). Those grams, already rounded with every other party's (one rounding
per figure), are spread over the charging hours by the battery's exact part of each hour (largest remainder) and
put into the pool's lots beside energy and cost (`settlement.storage_pool`): grid figures and certificate Wh into
the grid lot, on-site figures into the generation lots. The pool then runs as in settlement — the same hours,
sources, discharge split by the hour's consumption, stored end and losses key — so its lots carry the grams:

- whoever takes the discharge (tenants by id, `shared`, the export: `settlement.storage_hours.discharge_by_party`)
  takes the lots' grams in the discharge hour, in the same figures (a tenant's location-based grid figure includes
  the grid grams of the energy that charged the battery); the export's grams leave with it as those of exported
  on-site generation do (`retained:export`: the operator's, in no tenant's figures, never netted);
- discharge no metered use took stays in the pool and ends in the losses;
- the round-trip losses carry their grams to the losses key's parties; their certificate Wh are claimed by no one;
- what is still stored keeps its grams in the closing pool, the next period's opening pool.

Carbon-free energy travels the same way (docs/esg.md, rule 6, "CFE score"). In each charging hour the battery's charge
has carbon-free Wh by the rule of every consumer (esg.scopes.cfe: its share of carbon-free on-site generation, the
zero-carbon certificates matched to it, the grid's carbon-free fraction of the rest, capped at the charge). Their
period total, rounded down once to whole Wh (never more carbon-free energy than was charged), is spread over the
charging hours by the exact Wh of each (largest remainder) and put into the lots as `carbon_free_wh`: the on-site part
over the lots of carbon-free generation meters, the rest over the grid lot. Whoever takes the discharge adds the
carbon-free Wh it took to its CFE in the discharge hour (still capped at its load); those of the losses count in no
one's score, those still stored stay in the closing pool. The battery itself has no score.

The battery's own figure is then what it charged less what it handed on: the closing pool's grams less the opening
pool's (negative when it hands on more than it charged in the period). Every gram moves between parties as an
integer, so each campus figure, and tenants + retained = campus, are unchanged by the battery, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, cast

from campus import StorageAsset
from esg.factors import WH_PER_MWH
from esg.scopes.allocation import EXPORT, SHARED, UNALLOCATED, allocate_grams, storage_party, tenant_party
from esg.scopes.cfe import CarbonFreeHours
from esg.scopes.hour_rules import Accumulator
from esg.scopes.hourly_energy import HourlyEnergy, MeterRef
from esg.scopes.party_amounts import ZERO
from esg.scopes.scope2_market import FallbackRate, MarketOutcome
from settlement import allocate_largest_remainder
from settlement.storage_hours import (
    PARTY_SHARED,
    SOURCE_GRID,
    StorageHour,
    settle_asset_period,
    storage_hours_of,
    storage_interval,
)
from settlement.storage_pool import (
    AMOUNT_COST,
    PARTY_EXPORT,
    PARTY_OPERATOR,
    Lot,
    Pool,
    StorageInterval,
    StoragePeriod,
    charge_lots,
    make_lot,
    merge_by_source,
    opening_pool,
    period_stored_wh_end,
)

# The engine's components a battery carries, each as the tenant figure it lands in (cycle_result's names).
CARRIED = {
    "scope1": "scope2_onsite_generation",
    "scope2_location": "scope2_grid_location",
    "scope2_market": "scope2_grid_market",
    "scope2_market_hourly": "scope2_grid_market_hourly",
    "scope3_a": "scope3_cat3_upstream_fuels",
    "scope3_b": "scope3_cat3_upstream_power",
    "scope3_c": "scope3_cat3_td_losses",
}
ONSITE_COMPONENTS = frozenset({"scope1", "scope3_a"})
# The lot amount holding the Wh of a lot covered by certificates matched in its charging hour: they travel with the
# energy and may be claimed, in the discharge hour, by whoever takes it; those of losses are claimed by no one.
AMOUNT_CERTIFICATE_WH = "certificate_wh"
# The lot amount holding the carbon-free Wh of a lot (its charging hour's CFE rule): they count in the hourly CFE score
# of whoever takes the energy, in the discharge hour; those of losses in no one's.
AMOUNT_CARBON_FREE_WH = "carbon_free_wh"


def amount_name(component: str) -> str:
    """The lot amount holding a component's grams (`co2e_g_scope2_location`, ...)."""
    return f"co2e_g_{component}"


@dataclass(frozen=True)
class CarriedStorage:
    """What the batteries carried: the `CycleEmissions.storage` section, and per discharge hour the carbon-free Wh
    each party (`tenant:<id>`, `retained:<why>`) took from them, to add to its CFE of that hour."""

    section: dict[str, dict[str, Any]] = field(default_factory=dict)
    carbon_free_wh_by_hour: dict[datetime, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeCarbonFree:
    """The CFE rule's view of the cycle (esg.scopes.cfe) and the lot sources of carbon-free generation
    (`generation:<meter>`), which a battery's charge needs to know what of it was carbon-free and where that went."""

    hours: CarbonFreeHours | None = None
    sources: frozenset[str] = frozenset()

    def of_party(self, party: str) -> dict[datetime, tuple[Decimal, Decimal, Decimal]]:
        """Per hour with load: the party's carbon-free Wh on site, from the grid (certified and the grid's share),
        and in all, capped at its load."""
        if self.hours is None or party not in self.hours.parties:
            return {}
        return self.hours.of_party(party)


def carry_storage(parts_g: dict[str, dict[str, int]], totals: Accumulator, market: MarketOutcome,
                  fallback: FallbackRate, hourly: HourlyEnergy, meters: Sequence[MeterRef],
                  assets: Sequence[StorageAsset], openings: Mapping[str, Pool],
                  stored_wh_end_reported: Mapping[str, int] | None = None,
                  carbon_free: ChargeCarbonFree | None = None) -> CarriedStorage:
    """Move each battery's grams from its party to the takers of its energy in `parts_g` (component -> party ->
    integer grams, as allocated); returns the `CycleEmissions.storage` section (per asset: energy, the grams and
    carbon-free Wh charged, taken, lost and still stored, and the closing pool) and the carbon-free Wh each taker
    took per discharge hour."""
    if not assets:
        return CarriedStorage()
    carbon_free = carbon_free or ChargeCarbonFree()
    by_meter = cast(dict[str, dict[datetime, int]], hourly.sums.nested(hourly.hours()))
    section: dict[str, dict[str, Any]] = {}
    carried_by_hour: dict[datetime, dict[str, int]] = {}
    for asset in assets:
        party = storage_party(asset.asset_id)
        hours = storage_hours_of(by_meter, meters, asset)
        charge_carbon_free = carbon_free.of_party(party)
        hour_amounts = _charged_by_hour(party, hours, parts_g, totals, market, fallback, charge_carbon_free)
        onsite_carbon_free = _onsite_carbon_free_by_hour(hour_amounts, charge_carbon_free)
        intervals = [storage_interval(hour, with_amounts(
            _charge_lots(asset, hour), hour_amounts.get(hour.hour_start_utc, {}),
            onsite_carbon_free.get(hour.hour_start_utc, 0), carbon_free.sources)) for hour in hours]
        opening = opening_pool(asset, openings.get(asset.asset_id))
        period = _period(asset, opening, hours, intervals, (stored_wh_end_reported or {}).get(asset.asset_id))
        _add_carbon_free_taken(carried_by_hour, _taken_by_hour(opening, hours, intervals, period))
        for pool_party, lots in [*period.taken_by_party.items(), *period.losses_by_party.items()]:
            receiver = _engine_party(pool_party)
            for component in CARRIED:
                moved_g = sum(lot.amount(amount_name(component)) for lot in lots)
                parts_g[component][receiver] = parts_g[component].get(receiver, 0) + moved_g
                parts_g[component][party] = parts_g[component].get(party, 0) - moved_g
        section[asset.asset_id] = _section(asset, opening, hours, period, hour_amounts)
        for component, figure in CARRIED.items():
            # What the battery keeps of a figure is what it charged less what it handed on: closing less opening.
            kept_g = section[asset.asset_id]["closing"][figure] - section[asset.asset_id]["opening"][figure]
            assert parts_g[component].get(party, 0) == kept_g, f"{asset.asset_id}: {component} not conserved"
    return CarriedStorage(section, {hour: dict(sorted(by_party.items()))
                                    for hour, by_party in sorted(carried_by_hour.items())})


def _charged_by_hour(party: str, hours: Sequence[StorageHour], parts_g: Mapping[str, Mapping[str, int]],
                     totals: Accumulator, market: MarketOutcome, fallback: FallbackRate,
                     carbon_free: Mapping[datetime, tuple[Decimal, Decimal, Decimal]]
                     ) -> dict[datetime, dict[str, int]]:
    """Per charging hour, the integer grams of each component (and certificate and carbon-free Wh) the battery's
    charge took: its rounded figure spread over the hours by its exact part of each (largest remainder)."""
    charging = [hour.hour_start_utc for hour in hours if hour.charge_wh > 0]
    weights = _hour_weights(party, charging, totals, market, fallback)
    weights[AMOUNT_CARBON_FREE_WH] = {hour: carbon_free.get(hour, (ZERO, ZERO, ZERO))[2] for hour in charging}
    certified = market.certified_hourly.get(party, {})
    certificate_wh = sum((certified.get(hour, (Decimal(0), Decimal(0)))[0] for hour in charging), Decimal(0))
    totals_by_name = {amount_name(component): parts_g.get(component, {}).get(party, 0) for component in CARRIED}
    totals_by_name[AMOUNT_CERTIFICATE_WH] = int(certificate_wh.to_integral_value(rounding=ROUND_FLOOR))
    # Rounded down once: the hours' shares then never exceed their exact Wh, so no hour carries more carbon-free
    # energy than it charged.
    carbon_free_wh = sum(weights[AMOUNT_CARBON_FREE_WH].values(), ZERO)
    totals_by_name[AMOUNT_CARBON_FREE_WH] = int(carbon_free_wh.to_integral_value(rounding=ROUND_FLOOR))
    by_hour: dict[datetime, dict[str, int]] = {hour: {} for hour in charging}
    for name, total in totals_by_name.items():
        exact = {hour.isoformat(): weight for hour, weight in weights[name].items()}
        if total and not any(exact.values()):
            # Rounding alone gave the battery a gram: spread it by the energy charged.
            exact = {hour.hour_start_utc.isoformat(): Decimal(hour.charge_wh) for hour in hours if hour.charge_wh}
        spread = allocate_grams(total, exact) if exact else {}
        for hour in charging:
            by_hour[hour][name] = spread.get(hour.isoformat(), 0)
    return by_hour


def _hour_weights(party: str, charging: Sequence[datetime], totals: Accumulator, market: MarketOutcome,
                  fallback: FallbackRate) -> dict[str, dict[datetime, Decimal]]:
    """The battery's exact part of each charging hour, per amount: the hour rules' splits as recorded; annual
    market-based grams by the hour's grid Wh (annual matching has no hours); hourly market-based grams as the
    certificates' grams plus the uncovered Wh at the fallback rate; certificate Wh as matched."""
    zero = Decimal(0)
    recorded = totals.storage_hourly.get(party, {})
    certified = market.certified_hourly.get(party, {})
    rate = market.fallback_by_party.get(party, fallback).g_co2e_per_mwh
    uncovered = market.uncovered_hourly_wh
    weights: dict[str, dict[datetime, Decimal]] = {}
    for component in CARRIED:
        weights[amount_name(component)] = {hour: recorded.get(component, {}).get(hour, zero) for hour in charging}
    weights[amount_name("scope2_market")] = {hour: totals.grid_wh.get(party, hour) for hour in charging}
    weights[amount_name("scope2_market_hourly")] = {
        hour: certified.get(hour, (zero, zero))[1]
        + (uncovered.get(party, hour) if uncovered is not None else zero) * rate / WH_PER_MWH
        for hour in charging
    }
    weights[AMOUNT_CERTIFICATE_WH] = {hour: certified.get(hour, (zero, zero))[0] for hour in charging}
    return weights


def _onsite_carbon_free_by_hour(hour_amounts: Mapping[datetime, Mapping[str, int]],
                                carbon_free: Mapping[datetime, tuple[Decimal, Decimal, Decimal]]
                                ) -> dict[datetime, int]:
    """Of each charging hour's integer carbon-free Wh, the part from on-site generation: split from the grid's part
    by their exact Wh (largest remainder; a cap at the charge takes from both alike)."""
    onsite_by_hour: dict[datetime, int] = {}
    for hour, amounts in hour_amounts.items():
        total_wh = amounts.get(AMOUNT_CARBON_FREE_WH, 0)
        onsite_wh, grid_wh, _ = carbon_free.get(hour, (ZERO, ZERO, ZERO))
        if total_wh:
            onsite_by_hour[hour] = allocate_grams(total_wh, {"grid": grid_wh, "onsite": onsite_wh})["onsite"]
    return onsite_by_hour


def _charge_lots(asset: StorageAsset, hour: StorageHour) -> tuple[Lot, ...]:
    """The hour's charge lots as settlement makes them (same sources, shares and cost)."""
    cost_rates = {source: {AMOUNT_COST: price} for source, price in asset.supply_prices_usd_per_mwh or ()}
    return charge_lots(hour.charge_wh, hour.supply_wh_by_source, cost_rates)


def _period(asset: StorageAsset, opening: Pool, hours: Sequence[StorageHour], intervals: Sequence[StorageInterval],
            stored_wh_reported: int | None) -> StoragePeriod:
    """The pool over the hours as settlement runs it (same lots, cost, stored end, key), the lots with grams."""
    charge_wh = sum(hour.charge_wh for hour in hours)
    discharge_wh = sum(hour.discharge_wh for hour in hours)
    stored_wh_end = period_stored_wh_end(asset, opening.energy_wh, charge_wh, discharge_wh, stored_wh_reported)
    return settle_asset_period(asset, opening, intervals, stored_wh_end)


def _taken_by_hour(opening: Pool, hours: Sequence[StorageHour], intervals: Sequence[StorageInterval],
                   period: StoragePeriod) -> dict[datetime, dict[str, tuple[Lot, ...]]]:
    """Per discharge hour, the lots each party drew. The period keeps only each party's sum, so the draws are run
    again in settlement's order (charge first, then the parties in id order: `settle_storage_period`) and checked
    to add up to the period's, lot for lot."""
    pool = opening
    by_hour: dict[datetime, dict[str, tuple[Lot, ...]]] = {}
    drawn_by_party: dict[str, list[Lot]] = {}
    for hour, interval in zip(hours, intervals, strict=True):
        pool = pool.charged(interval.charge_lots)
        for party, energy_wh in sorted(interval.discharge_wh_by_party.items()):
            drawn, pool = pool.drawn(energy_wh)
            by_hour.setdefault(hour.hour_start_utc, {})[party] = drawn
            drawn_by_party.setdefault(party, []).extend(drawn)
    merged = {party: merge_by_source(lots) for party, lots in sorted(drawn_by_party.items())}
    assert merged == period.taken_by_party, "the discharge hours' draws differ from the period's"
    return by_hour


def _add_carbon_free_taken(carried_by_hour: dict[datetime, dict[str, int]],
                           taken_by_hour: Mapping[datetime, Mapping[str, Sequence[Lot]]]) -> None:
    """Add the carbon-free Wh of the lots each party drew in each hour to `carried_by_hour[hour][engine party]`."""
    for hour, taken in taken_by_hour.items():
        for pool_party, lots in taken.items():
            carbon_free_wh = sum(lot.amount(AMOUNT_CARBON_FREE_WH) for lot in lots)
            if carbon_free_wh:
                by_party = carried_by_hour.setdefault(hour, {})
                receiver = _engine_party(pool_party)
                by_party[receiver] = by_party.get(receiver, 0) + carbon_free_wh


def with_amounts(lots: Sequence[Lot], amounts: Mapping[str, int], onsite_carbon_free_wh: int = 0,
                 carbon_free_sources: frozenset[str] = frozenset()) -> tuple[Lot, ...]:
    """`lots` of one hour with `amounts` added: on-site figures over the generation lots, the others (grid figures,
    certificate Wh) over the grid lot, by Wh (largest remainder); all lots with energy when none of the kind has.
    Carbon-free Wh: `onsite_carbon_free_wh` of them over the lots of `carbon_free_sources` (else the generation
    lots), the rest over the grid lot."""
    added: list[dict[str, int]] = [dict(lot.amounts) for lot in lots]
    onsite_names = {amount_name(component) for component in ONSITE_COMPONENTS}
    no_sources: frozenset[str] = frozenset()
    for name, total in amounts.items():
        pieces = [(total, name in onsite_names, no_sources)]
        if name == AMOUNT_CARBON_FREE_WH:
            pieces = [(onsite_carbon_free_wh, True, carbon_free_sources),
                      (total - onsite_carbon_free_wh, False, no_sources)]
        for piece, onsite, preferred in pieces:
            if piece:
                _spread(lots, added, name, piece, _targets(lots, onsite, preferred))
    return tuple(make_lot(lot.source, lot.energy_wh, extra) for lot, extra in zip(lots, added, strict=True))


def _targets(lots: Sequence[Lot], onsite: bool, preferred: frozenset[str]) -> list[int]:
    """The lots an amount goes over: those of `preferred` sources, else generation lots (`onsite`) or the grid lot,
    else every lot with energy."""
    charged = [index for index, lot in enumerate(lots) if lot.energy_wh > 0]
    for kind in ([index for index in charged if lots[index].source in preferred],
                 [index for index in charged if lots[index].source.startswith("generation:") == onsite
                  and (onsite or lots[index].source == SOURCE_GRID)]):
        if kind:
            return kind
    return charged


def _spread(lots: Sequence[Lot], added: list[dict[str, int]], name: str, total: int, targets: Sequence[int]) -> None:
    assert targets, f"{total} of {name} for an hour that charged nothing"
    for index, share in zip(targets, allocate_largest_remainder(total, [lots[i].energy_wh for i in targets]),
                            strict=True):
        added[index][name] = added[index].get(name, 0) + share


def _engine_party(pool_party: str) -> str:
    if pool_party == PARTY_SHARED:
        return SHARED
    if pool_party == PARTY_OPERATOR:
        return UNALLOCATED
    if pool_party == PARTY_EXPORT:
        return EXPORT
    return tenant_party(pool_party)


def figures_of(lots: Sequence[Lot]) -> dict[str, int]:
    """Energy, certificate and carbon-free Wh and grams of lots as the tenant figures they land in, with the Scope 2
    and category 3 sums (location: on-site share + grid location; market likewise)."""
    grams = {figure: sum(lot.amount(amount_name(component)) for lot in lots) for component, figure in CARRIED.items()}
    onsite = grams["scope2_onsite_generation"]
    return {
        "energy_wh": sum(lot.energy_wh for lot in lots),
        "certificate_wh": sum(lot.amount(AMOUNT_CERTIFICATE_WH) for lot in lots),
        "carbon_free_wh": sum(lot.amount(AMOUNT_CARBON_FREE_WH) for lot in lots),
        **grams,
        "scope2_location": onsite + grams["scope2_grid_location"],
        "scope2_market": onsite + grams["scope2_grid_market"],
        "scope2_market_hourly": onsite + grams["scope2_grid_market_hourly"],
        "scope3_cat3": grams["scope3_cat3_upstream_fuels"] + grams["scope3_cat3_upstream_power"]
        + grams["scope3_cat3_td_losses"],
    }


def _section(asset: StorageAsset, opening: Pool, hours: Sequence[StorageHour], period: StoragePeriod,
             hour_amounts: Mapping[datetime, Mapping[str, int]]) -> dict[str, Any]:
    charged = [make_lot("charged", sum(hour.charge_wh for hour in hours), _summed(hour_amounts.values()))]
    return {
        "pool_method": asset.pool_method,
        "discharge_wh": sum(hour.discharge_wh for hour in hours),
        "losses_wh": period.losses_wh,
        **({"unmetered_discharge_wh": period.unmetered_discharge_wh} if period.unmetered_discharge_wh else {}),
        "opening": figures_of(opening.lots),
        "charged": figures_of(charged),
        "taken": {_engine_party(party): figures_of(lots) for party, lots in period.taken_by_party.items()},
        "losses": {_engine_party(party): figures_of(lots) for party, lots in period.losses_by_party.items()},
        "closing": figures_of(period.closing.lots),
        "closing_lots": [[lot.source, lot.energy_wh, dict(lot.amounts)] for lot in period.closing.lots],
    }


def _summed(amounts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for by_name in amounts:
        for name, value in by_name.items():
            summed[name] = summed.get(name, 0) + value
    return summed


def carried_pools(section: Mapping[str, Mapping[str, Any]]) -> dict[str, Pool]:
    """The closing pools of a `CycleEmissions.storage` section, to keep for the next period."""
    return {asset_id: Pool(entry["pool_method"], tuple(make_lot(str(source), int(energy_wh),
                                                                {str(k): int(v) for k, v in amounts.items()})
                                                       for source, energy_wh, amounts in entry["closing_lots"]))
            for asset_id, entry in sorted(section.items())}


def battery_shares(section: Mapping[str, Mapping[str, Any]], party: str) -> dict[str, dict[str, int]]:
    """Per battery, what `party` (`tenant:<id>`, `retained:<why>`) received from it: the energy it took and its share
    of the losses, summed, with their grams (figures as in `figures_of`); batteries it received nothing from are
    left out. These grams are inside the party's figures already: this names the part that came from storage."""
    shares: dict[str, dict[str, int]] = {}
    for asset_id, entry in sorted(section.items()):
        received = [entry[part][party] for part in ("taken", "losses") if party in entry[part]]
        if received:
            shares[asset_id] = {name: sum(figures.get(name, 0) for figures in received) for name in received[0]}
    return shares
