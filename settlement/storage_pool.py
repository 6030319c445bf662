"""The pool of charging energy behind a battery (docs/storage.md): energy discharged takes the sources, prices and
carbon of the energy that charged it.

A lot is energy from one source (grid import, a generation meter, the energy stored before the books began) with
extensive integer amounts that travel with it: micro-USD of cost, grams CO2e location- and market-based, Wh
covered by hourly-matched certificates. Drawing Wh from a lot takes the same share of each amount, split by
largest remainder, so whatever is drawn plus what stays adds up exactly to what went in.

Two documented methods (the campus file's `pool_method`):
- `fifo`: discharge takes the oldest charging energy first, lot by lot, in charge order.
- `pro_rata`: the pool is one average of everything charged and not yet drawn, per source: each draw takes every
  source in proportion to its energy (largest remainder, ties to the earlier source).

One period of one battery (`settle_storage_period`): in each interval the battery charges first, then whoever took
discharged energy draws it (parties in id order). Discharge that no metered use took (`unmetered_discharge_wh`) is
not drawn in its interval: it stays in the pool and so ends in the losses. At the period's end the round-trip losses
are the pool's energy less the energy still stored; they are drawn from the pool by the same method and split: the
export's part in proportion to the energy it took (losses of arbitrage are not the tenants'), the rest among the
parties by the asset's losses key (or, with no key, with the export's, by the energy each party took). What stays
is the closing pool, the next period's opening pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal

from campus import StorageAsset
from common.errors import DomainError
from settlement.allocation import allocate_largest_remainder

PoolMethod = Literal["fifo", "pro_rata"]
AMOUNT_COST = "cost_usd_micros"
SOURCE_OPENING = "opening"
"""Energy stored before the books began: no source and no price known (its amounts are zero)."""
SOURCE_UNMETERED = "unmetered"
"""Charge in an interval where no source was metered (a metering inconsistency the storage VEE rules report): its
source and price are unknown, so its amounts are zero."""
PARTY_EXPORT = "export"
"""The campus's export, a taker of discharged energy: billed to no tenant, its cost and grams the campus's."""
PARTY_OPERATOR = "operator"


class StoragePoolShort(DomainError):
    """More energy drawn from a battery than went into it: the storage VEE rules should have stopped the data."""


@dataclass(frozen=True)
class Lot:
    source: str
    energy_wh: int
    amounts: tuple[tuple[str, int], ...] = ()
    """(name, integer amount) pairs sorted by name, e.g. ("co2e_g_location", 41_000), ("cost_usd_micros", ...)."""

    def amount(self, name: str) -> int:
        return dict(self.amounts).get(name, 0)


def make_lot(source: str, energy_wh: int, amounts: Mapping[str, int] | None = None) -> Lot:
    assert energy_wh >= 0, f"lot of {energy_wh} Wh from {source}"
    return Lot(source, energy_wh, tuple(sorted((amounts or {}).items())))


def split_lot(lot: Lot, energy_wh: int) -> tuple[Lot, Lot]:
    """(taken, rest): `energy_wh` of the lot and the same share of each amount, the rest keeping the remainder."""
    assert 0 <= energy_wh <= lot.energy_wh, f"{energy_wh} Wh from a lot of {lot.energy_wh}"
    rest_wh = lot.energy_wh - energy_wh
    taken: list[tuple[str, int]] = []
    rest: list[tuple[str, int]] = []
    for name, total in lot.amounts:
        if lot.energy_wh == 0:
            taken_amount, rest_amount = 0, total
        else:
            taken_amount, rest_amount = allocate_largest_remainder(total, [energy_wh, rest_wh])
        taken.append((name, taken_amount))
        rest.append((name, rest_amount))
    return Lot(lot.source, energy_wh, tuple(taken)), Lot(lot.source, rest_wh, tuple(rest))


def merge_by_source(lots: Sequence[Lot]) -> tuple[Lot, ...]:
    """One lot per source (first-seen order), energy and amounts summed."""
    energy: dict[str, int] = {}
    amounts: dict[str, dict[str, int]] = {}
    for lot in lots:
        energy[lot.source] = energy.get(lot.source, 0) + lot.energy_wh
        totals = amounts.setdefault(lot.source, {})
        for name, value in lot.amounts:
            totals[name] = totals.get(name, 0) + value
    return tuple(make_lot(source, energy[source], amounts[source]) for source in energy)


@dataclass(frozen=True)
class Pool:
    method: PoolMethod = "fifo"
    lots: tuple[Lot, ...] = ()

    @property
    def energy_wh(self) -> int:
        return sum(lot.energy_wh for lot in self.lots)

    def charged(self, lots: Sequence[Lot]) -> Pool:
        added = tuple(lot for lot in lots if lot.energy_wh > 0)
        if self.method == "pro_rata":
            return Pool(self.method, merge_by_source(self.lots + added))
        return Pool(self.method, self.lots + added)

    def drawn(self, energy_wh: int) -> tuple[tuple[Lot, ...], Pool]:
        """(lots taken, pool left) for `energy_wh` drawn by the pool's method."""
        if energy_wh > self.energy_wh:
            raise StoragePoolShort(f"{energy_wh} Wh drawn from a battery holding {self.energy_wh} Wh of charged energy")
        if energy_wh == 0:
            return (), self
        if self.method == "pro_rata":
            shares = allocate_largest_remainder(energy_wh, [lot.energy_wh for lot in self.lots])
        else:
            shares, left_wh = [], energy_wh
            for lot in self.lots:
                share = min(left_wh, lot.energy_wh)
                shares.append(share)
                left_wh -= share
        taken: list[Lot] = []
        kept: list[Lot] = []
        for lot, share in zip(self.lots, shares, strict=True):
            piece, rest = split_lot(lot, share)
            if piece.energy_wh:
                taken.append(piece)
            if rest.energy_wh or any(value for _, value in rest.amounts):
                kept.append(rest)
        return tuple(taken), Pool(self.method, tuple(kept))


def estimated_stored_wh_end(stored_wh_start: int, charge_wh: int, discharge_wh: int, efficiency_permille_min: int,
                            efficiency_permille_max: int, stored_wh_floor: int, capacity_wh_usable: int) -> int:
    """The stored energy at a period's end when no state of charge is read: the start plus the charge at the middle
    of the asset's efficiency range less the discharge, kept within floor and capacity (rounded half-even)."""
    efficiency_permille = Decimal(efficiency_permille_min + efficiency_permille_max) / 2
    kept_wh = int((Decimal(charge_wh) * efficiency_permille / 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return min(max(stored_wh_start + kept_wh - discharge_wh, stored_wh_floor), capacity_wh_usable)


def opening_pool(asset: StorageAsset, recorded: Pool | None) -> Pool:
    """The pool a period opens with: what the previous period left (as recorded), else the energy stored when the
    asset entered the books (its source and price unknown: no amounts)."""
    if recorded is not None:
        return Pool(asset.pool_method, recorded.lots)
    initial = (make_lot(SOURCE_OPENING, asset.state_of_charge_wh_initial),) if asset.state_of_charge_wh_initial else ()
    return Pool(asset.pool_method, initial)


def period_stored_wh_end(asset: StorageAsset, opening_wh: int, charge_wh: int, discharge_wh: int,
                         stored_wh_reported: int | None = None) -> int:
    """The energy a period leaves stored, as settlement and emissions both take it: the state of charge the battery
    reported at the period's end where there is one (`meterdata.state_of_charge.stored_wh_at_period_end`), else
    estimated from the efficiency range (`estimated_stored_wh_end`); never more than the pool holds (neither the
    floor the estimate keeps nor a reading above what went in can create energy)."""
    stored_wh_end = stored_wh_reported if stored_wh_reported is not None else estimated_stored_wh_end(
        opening_wh, charge_wh, discharge_wh, asset.round_trip_efficiency_permille_min,
        asset.round_trip_efficiency_permille_max, asset.state_of_charge_wh_min, asset.capacity_wh_usable)
    return max(0, min(stored_wh_end, opening_wh + charge_wh - discharge_wh))


def pools_with_carried_amounts(settled: Mapping[str, Pool], carried: Mapping[str, Pool]) -> dict[str, Pool]:
    """The pools to keep: settlement's closing pools, each replaced by the emissions' closing pool of the same
    battery (the same lots, energy and cost, with grams and certificate Wh beside them), and the emissions' pools
    of batteries settlement does not price. Both ran the same hours through the same pool: a difference in energy
    or cost is a bug, not a choice."""
    kept = dict(settled)
    for asset_id, pool in carried.items():
        if asset_id in settled:
            ours = [(lot.source, lot.energy_wh, lot.amount(AMOUNT_COST)) for lot in settled[asset_id].lots]
            theirs = [(lot.source, lot.energy_wh, lot.amount(AMOUNT_COST)) for lot in pool.lots]
            assert ours == theirs, f"battery {asset_id}: emissions' pool differs from settlement's"
        kept[asset_id] = pool
    return dict(sorted(kept.items()))


def charge_lots(charge_wh: int, supply_wh_by_source: Mapping[str, int],
                rates_per_wh_by_source: Mapping[str, Mapping[str, Decimal]]) -> tuple[Lot, ...]:
    """The lots of one interval's charge: the battery took its energy from the campus's sources of the interval in
    proportion to what each supplied (largest remainder, sources in name order); each amount is the lot's Wh
    times the source's rate per Wh, rounded once (ROUND_HALF_EVEN). A price in USD/MWh is a cost rate in micro-USD
    per Wh as it stands; an intensity in g/kWh is a rate of g_per_kwh / 1000 grams per Wh."""
    if charge_wh == 0:
        return ()
    sources = sorted(source for source, energy_wh in supply_wh_by_source.items() if energy_wh > 0)
    if not sources:
        # Nothing metered supplied the interval (the storage VEE rules report it): the energy is in the battery, so
        # the pool holds it, from no known source at no cost.
        return (make_lot(SOURCE_UNMETERED, charge_wh),)
    shares = allocate_largest_remainder(charge_wh, [supply_wh_by_source[source] for source in sources])
    lots = []
    for source, energy_wh in zip(sources, shares, strict=True):
        rates = rates_per_wh_by_source.get(source, {})
        with localcontext() as context:
            context.prec = 60  # exact for any bigint Wh times a numeric(18,6) rate
            amounts = {name: int((Decimal(energy_wh) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
                       for name, rate in rates.items()}
        lots.append(make_lot(source, energy_wh, amounts))
    return tuple(lots)


@dataclass(frozen=True)
class StorageInterval:
    """One interval of one battery: the lots that charged it, and who took its discharge (party id -> Wh)."""

    charge_lots: tuple[Lot, ...] = ()
    discharge_wh_by_party: Mapping[str, int] = field(default_factory=dict)
    unmetered_discharge_wh: int = 0
    """Discharge no metered use took (docs/storage.md): left in the pool, so it ends in the period's losses."""
    label: str = ""
    """Where the interval lies (its start), for a refusal's message."""


@dataclass(frozen=True)
class StoragePeriod:
    taken_by_party: dict[str, tuple[Lot, ...]]
    """Discharged energy each party took, one lot per source."""
    losses_by_party: dict[str, tuple[Lot, ...]]
    """Round-trip losses each party carries, one lot per source."""
    losses_wh: int
    """Every Wh the pool lost in the period: the round trip, and the discharge no metered use took."""
    closing: Pool
    unmetered_discharge_wh: int = 0
    """The part of `losses_wh` that was discharged in intervals with no metered use."""


def settle_storage_period(opening: Pool, intervals: Sequence[StorageInterval], stored_wh_end: int,
                          losses_key: Mapping[str, int]) -> StoragePeriod:
    """Run the period's intervals through the pool; see the module doc. `stored_wh_end` is the energy still in
    the battery at the end (read, or estimated: docs/storage.md); the pool beyond it is lost."""
    pool = opening
    taken: dict[str, list[Lot]] = {}
    for interval in intervals:
        pool = pool.charged(interval.charge_lots)
        for party in sorted(interval.discharge_wh_by_party):
            try:
                drawn, pool = pool.drawn(interval.discharge_wh_by_party[party])
            except StoragePoolShort as error:
                raise StoragePoolShort(f"{party} took {interval.discharge_wh_by_party[party]} Wh in the interval "
                                       f"starting {interval.label or '?'}: {error}") from error
            taken.setdefault(party, []).extend(drawn)
    losses_wh = pool.energy_wh - stored_wh_end
    if losses_wh < 0:
        raise StoragePoolShort(f"{stored_wh_end} Wh stored at the end but only {pool.energy_wh} Wh of charged "
                               "energy is left in the pool")
    taken_wh = {party: sum(lot.energy_wh for lot in lots) for party, lots in taken.items()}
    losses: dict[str, list[Lot]] = {}
    for party, share_wh in losses_shares_wh(losses_wh, losses_key, taken_wh).items():
        drawn, pool = pool.drawn(share_wh)
        losses.setdefault(party, []).extend(drawn)
    return StoragePeriod({party: merge_by_source(lots) for party, lots in sorted(taken.items())},
                         {party: merge_by_source(lots) for party, lots in sorted(losses.items())},
                         losses_wh, pool, sum(interval.unmetered_discharge_wh for interval in intervals))


def losses_shares_wh(losses_wh: int, losses_key: Mapping[str, int], taken_wh: Mapping[str, int]) -> dict[str, int]:
    """Party -> Wh of the period's losses (largest remainder, parties in id order). With a key, the export first
    takes its part by the energy it took (the round trip of exported energy is the campus's), the key splits the
    rest; with no key, every party (the export included) by the energy it took; with neither, the operator."""
    if losses_wh == 0:
        return {}
    shares: dict[str, int] = {}
    rest_wh = losses_wh
    keyed = {party: weight for party, weight in losses_key.items() if weight > 0}
    exported_wh = taken_wh.get(PARTY_EXPORT, 0)
    if keyed and exported_wh:
        shares[PARTY_EXPORT], rest_wh = allocate_largest_remainder(losses_wh, [exported_wh,
                                                                               sum(taken_wh.values()) - exported_wh])
    weights = keyed or {party: energy_wh for party, energy_wh in taken_wh.items() if energy_wh > 0}
    if not weights:
        # Nobody took energy and no key: the losses stay with the operator.
        weights = {PARTY_OPERATOR: 1}
    parties = sorted(weights)
    if rest_wh:
        for party, share_wh in zip(parties, allocate_largest_remainder(rest_wh, [weights[p] for p in parties]),
                                   strict=True):
            shares[party] = shares.get(party, 0) + share_wh
    return {party: share_wh for party, share_wh in sorted(shares.items()) if share_wh}
