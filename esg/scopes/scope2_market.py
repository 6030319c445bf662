"""Market-based Scope 2: certificates and PPA attributes first, then a supplier rate, then the residual mix.

Hierarchy (Scope 2 Guidance Table 6.3): instruments -> supplier-specific rate -> residual mix -> grid average
(only when no residual mix exists, disclosed as such). Two matching rules are computed side by side:
- annual (2015 Guidance): a claim covers its beneficiary's grid Wh anywhere in the cycle;
- hourly (revision draft): only granular certificates count, each against its beneficiary's grid Wh in its
  own hour; surplus in an hour is not banked.
A claim covers only its beneficiary's load (never spread); what it cannot cover is reported as unused.
Deliverability: a lot from another grid zone than the campus is not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from esg.certificates import CertificateClaim, CertificateLot
from esg.factors import WH_PER_MWH
from esg.scopes.allocation import SHARED, STORAGE_PREFIX, UNALLOCATED
from esg.scopes.party_amounts import PartyHours

RATE_PRECEDENCE = ("supplier", "residual_mix")


@dataclass(frozen=True)
class MarketRate:
    """A contractual emission rate for the campus's grid supply in `zone` (grams CO2e per MWh)."""

    kind: str
    zone: str
    g_co2e_per_mwh: Decimal
    ref: str
    # A supplier rate may cover one tenant's supply only (a green tariff it buys through the operator).
    tenant_id: str | None = None


@dataclass(frozen=True)
class FallbackRate:
    g_co2e_per_mwh: Decimal
    ref: str
    kind: str
    quality: str


@dataclass
class MarketOutcome:
    grid_market_g: dict[str, Decimal] = field(default_factory=dict)
    grid_market_hourly_g: dict[str, Decimal] = field(default_factory=dict)
    covered_wh_hourly: dict[str, dict[datetime, Decimal]] = field(default_factory=dict)
    instrument_rows: list[dict[str, Any]] = field(default_factory=list)
    # Per party: Wh of grid supply by the method that priced it ("instrument" or the fallback's kind), under
    # annual and hourly matching; and per party the hourly method as runs [first hour, hour count, method].
    method_wh: dict[str, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    method_hours: dict[str, list[list[Any]]] = field(default_factory=dict)
    fallback_by_party: dict[str, FallbackRate] = field(default_factory=dict)
    # Under hourly matching, per party and hour: the Wh certificates covered and their grams, and the grid Wh
    # none covered (what a battery's charge carries: esg.scopes.storage_carry).
    certified_hourly: dict[str, dict[datetime, tuple[Decimal, Decimal]]] = field(default_factory=dict)
    uncovered_hourly_wh: PartyHours | None = None


def choose_fallback_rate(
    rates: Sequence[MarketRate],
    zone: str,
    grid_average_g_per_mwh: Decimal,
    grid_average_ref: str,
    tenant_id: str | None = None,
) -> FallbackRate:
    """The rate for consumption no instrument covers (Scope 2 Guidance Table 6.3): the tenant's own supplier
    rate, the campus's supplier rate, the residual mix, and only when none exists the grid average (flagged)."""
    if tenant_id is not None:
        for rate in rates:
            if rate.kind == "supplier" and rate.tenant_id == tenant_id:
                return FallbackRate(rate.g_co2e_per_mwh, rate.ref, "supplier", "measured")
    for kind in RATE_PRECEDENCE:
        for rate in rates:
            if rate.kind == kind and rate.tenant_id is None and rate.zone == zone:
                return FallbackRate(rate.g_co2e_per_mwh, rate.ref, kind, "measured")
    # Quality Criterion 8: no residual mix available, so the grid average is used and flagged as a default.
    return FallbackRate(grid_average_g_per_mwh, grid_average_ref, "grid_average", "default")


def tenant_of_party(party: str) -> str | None:
    return party.removeprefix("tenant:") if party.startswith("tenant:") else None


def beneficiary_parties(claim: CertificateClaim, storage_parties: tuple[str, ...] = ()) -> tuple[str, ...]:
    # An operator's own certificates cover the operator's own load: shared services, the batteries' charge (whose
    # certificates then travel with the stored energy), then unallocated.
    return (SHARED, *storage_parties, UNALLOCATED) if claim.beneficiary == "campus" else (claim.beneficiary,)


def market_scope2(
    grid_wh_by_party_hour: PartyHours,
    claims: Sequence[tuple[CertificateLot, CertificateClaim]],
    campus_zone: str,
    period: tuple[datetime, datetime],
    fallback: FallbackRate,
    deliverable_zones: frozenset[str] = frozenset(),
    fallback_by_party: dict[str, FallbackRate] | None = None,
) -> MarketOutcome:
    """Grams CO2e of each party's grid supply under annual and hourly matching.

    A lot applies when its zone is the campus zone or one of `deliverable_zones` (other names of the same
    market boundary, e.g. a registry's `ERCOT` for eGRID `ERCT`), declared by the reporting entity. What no
    instrument covers is priced at the party's entry of `fallback_by_party`, else at `fallback`, in both
    matchings (hourly matching fills an hour's unmatched load with the same rate, never the grid average when
    a residual mix exists).
    """
    outcome = MarketOutcome()
    fallback_by_party = fallback_by_party or {}
    remaining_annual_wh = grid_wh_by_party_hour.totals()
    grid_total_wh = dict(remaining_annual_wh)
    grid_parties = list(remaining_annual_wh)
    remaining_hourly_wh = grid_wh_by_party_hour.copy()
    covered_annual_g = {party: Decimal(0) for party in grid_parties}
    covered_hourly_g = {party: Decimal(0) for party in grid_parties}
    touched_hours: set[datetime] = set()
    storage_parties = tuple(party for party in grid_wh_by_party_hour.parties if party.startswith(STORAGE_PREFIX))
    for lot, claim in sorted(claims, key=lambda pair: pair[1].claim_id):
        reason = _not_applicable_reason(lot, claim, campus_zone, deliverable_zones, period)
        row: dict[str, Any] = _instrument_row(lot, claim, reason)
        if reason is None:
            row["applied_annual_wh"] = _apply_annual(lot, claim, remaining_annual_wh, covered_annual_g,
                                                     storage_parties)
            row["applied_hourly_wh"] = _apply_hourly(
                lot, claim, remaining_hourly_wh, covered_hourly_g, outcome, storage_parties
            )
            if lot.is_hourly():
                touched_hours.add(lot.vintage_start_utc.replace(minute=0, second=0, microsecond=0))
            row["unused_annual_wh"] = claim.energy_wh - row["applied_annual_wh"]
        outcome.instrument_rows.append(row)
    uncovered_hourly_by_party = remaining_hourly_wh.totals()
    outcome.uncovered_hourly_wh = remaining_hourly_wh
    for party in grid_parties:
        party_fallback = fallback_by_party.get(party, fallback)
        outcome.fallback_by_party[party] = party_fallback
        uncovered_annual_wh = remaining_annual_wh[party]
        uncovered_hourly_wh = uncovered_hourly_by_party[party]
        rate = party_fallback.g_co2e_per_mwh
        outcome.grid_market_g[party] = covered_annual_g[party] + uncovered_annual_wh * rate / WH_PER_MWH
        outcome.grid_market_hourly_g[party] = (
            covered_hourly_g[party] + uncovered_hourly_wh * rate / WH_PER_MWH
        )
        outcome.method_wh[party] = {
            "annual": _by_method(grid_total_wh[party], uncovered_annual_wh, party_fallback.kind),
            "hourly": _by_method(grid_total_wh[party], uncovered_hourly_wh, party_fallback.kind),
        }
    outcome.method_hours = hourly_method_runs(grid_wh_by_party_hour, remaining_hourly_wh, outcome.fallback_by_party,
                                              fallback.kind, grid_parties, frozenset(touched_hours))
    return outcome


def _by_method(grid_wh: Decimal, uncovered_wh: Decimal, fallback_kind: str) -> dict[str, Decimal]:
    methods = {"instrument": grid_wh - uncovered_wh, fallback_kind: uncovered_wh}
    return {method: energy_wh for method, energy_wh in methods.items() if energy_wh}


def hourly_method_runs(
    grid_wh: PartyHours,
    uncovered_wh: PartyHours,
    fallback_by_party: dict[str, FallbackRate],
    default_kind: str,
    parties: Sequence[str],
    touched_hours: frozenset[datetime] = frozenset(),
) -> dict[str, list[list[Any]]]:
    """Per party, the method of each hour's grid supply as runs [first hour (ISO), hour count, method]:
    `instrument` (granular certificates cover the hour), the fallback's kind (none do), `instrument+<kind>`
    (partly), `none` (no grid supply that hour). Consecutive hours of one method form one run. Only the
    `touched_hours` (where a certificate was applied) compare amounts party by party."""
    hours = grid_wh.hours
    # 0 none, 1 fallback, 2 partly covered, 3 instrument; one row per hour over the consuming parties.
    codes = np.zeros((len(hours), len(grid_wh.parties)), dtype=np.int8)
    others: dict[str, np.ndarray] = {}
    for index, (hour, supplied, left) in enumerate(zip(hours, grid_wh.splits, uncovered_wh.splits, strict=True)):
        if hour in touched_hours:
            present = supplied.has_part & (supplied.parts != 0)
            full = present & (left.parts == supplied.parts)
            none_left = present & (left.parts == 0)
            codes[index] = np.where(full, 1, np.where(none_left, 3, np.where(present, 2, 0)))
        elif supplied.has_part.any() and supplied.parts[int(np.argmax(supplied.has_part))] != 0:
            # A split of a non-zero amount: every consuming party has a non-zero part, all at the fallback.
            codes[index] = supplied.has_part
        for party, amount in supplied.others.items():
            left_amount = left.others.get(party, Decimal(0))
            code = 0 if not amount else 1 if left_amount == amount else 3 if not left_amount else 2
            others.setdefault(party, np.zeros(len(hours), dtype=np.int8))[index] = code
    columns = {party: codes[:, position] for position, party in enumerate(grid_wh.parties)}
    columns.update(others)
    hour_names = [hour.isoformat() for hour in hours]
    runs: dict[str, list[list[Any]]] = {}
    for party in parties:
        column = columns.get(party)
        if column is None or not len(column):
            runs[party] = []
            continue
        kind = fallback_by_party[party].kind if party in fallback_by_party else default_kind
        names = ("none", kind, f"instrument+{kind}", "instrument")
        starts = [0, *(np.flatnonzero(np.diff(column)) + 1).tolist()]
        ends = [*starts[1:], len(column)]
        runs[party] = [[hour_names[first], last - first, names[int(column[first])]]
                       for first, last in zip(starts, ends, strict=True)]
    return runs


def _not_applicable_reason(
    lot: CertificateLot,
    claim: CertificateClaim,
    campus_zone: str,
    deliverable_zones: frozenset[str],
    period: tuple[datetime, datetime],
) -> str | None:
    if lot.zone != campus_zone and lot.zone not in deliverable_zones:
        return f"zone {lot.zone} is not deliverable to {campus_zone}"
    if claim.lot_id != lot.lot_id:
        return f"claim names lot {claim.lot_id}, paired with lot {lot.lot_id}"
    if claim.consumption_start_utc < lot.vintage_start_utc or claim.consumption_end_utc > lot.vintage_end_utc:
        # Claims normally pass the registry's vintage check; pairs handed in directly are checked again here.
        return "consumption window is outside the certificate vintage"
    if claim.consumption_start_utc < period[0] or claim.consumption_end_utc > period[1]:
        return "consumption window is not inside the reporting period"
    return None


def _instrument_row(lot: CertificateLot, claim: CertificateClaim, reason: str | None) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "claim_id": claim.claim_id,
        "instrument": lot.instrument,
        "technology": lot.technology,
        "zone": lot.zone,
        "facility": lot.facility,
        "commissioning_date": lot.commissioning_date.isoformat() if lot.commissioning_date else "",
        "vintage_start_utc": lot.vintage_start_utc.isoformat(),
        "beneficiary": claim.beneficiary,
        "claimed_wh": claim.energy_wh,
        "emission_rate_g_co2e_per_mwh": lot.emission_rate_g_co2e_per_mwh,
        "applied_annual_wh": 0,
        "applied_hourly_wh": 0,
        "unused_annual_wh": claim.energy_wh,
        "not_applied_reason": reason or "",
    }


def _apply_annual(
    lot: CertificateLot,
    claim: CertificateClaim,
    remaining_wh: dict[str, Decimal],
    covered_g: dict[str, Decimal],
    storage_parties: tuple[str, ...],
) -> int:
    left_wh = Decimal(claim.energy_wh)
    for party in beneficiary_parties(claim, storage_parties):
        used_wh = min(left_wh, remaining_wh.get(party, Decimal(0)))
        if used_wh <= 0:
            continue
        remaining_wh[party] -= used_wh
        covered_g[party] += used_wh * lot.emission_rate_g_co2e_per_mwh / WH_PER_MWH
        left_wh -= used_wh
    return _whole_wh(Decimal(claim.energy_wh) - left_wh)


def _apply_hourly(
    lot: CertificateLot,
    claim: CertificateClaim,
    remaining_wh: PartyHours,
    covered_g: dict[str, Decimal],
    outcome: MarketOutcome,
    storage_parties: tuple[str, ...],
) -> int:
    if not lot.is_hourly():
        return 0
    hour = lot.vintage_start_utc.replace(minute=0, second=0, microsecond=0)
    left_wh = Decimal(claim.energy_wh)
    for party in beneficiary_parties(claim, storage_parties):
        remaining_in_hour_wh = remaining_wh.get(party, hour)
        used_wh = min(left_wh, remaining_in_hour_wh)
        if used_wh <= 0:
            continue
        remaining_wh.set(party, hour, remaining_in_hour_wh - used_wh)
        used_g = used_wh * lot.emission_rate_g_co2e_per_mwh / WH_PER_MWH
        covered_g[party] += used_g
        certified_wh, certified_g = outcome.certified_hourly.setdefault(party, {}).get(hour, (Decimal(0), Decimal(0)))
        outcome.certified_hourly[party][hour] = (certified_wh + used_wh, certified_g + used_g)
        if lot.emission_rate_g_co2e_per_mwh == 0:
            party_cover = outcome.covered_wh_hourly.setdefault(party, {})
            party_cover[hour] = party_cover.get(hour, Decimal(0)) + used_wh
        left_wh -= used_wh
    return _whole_wh(Decimal(claim.energy_wh) - left_wh)


def _whole_wh(energy_wh: Decimal) -> int:
    # Certificates are counted in whole Wh, rounded down (EnergyTag GC face value), for the disclosure rows.
    return int(energy_wh.to_integral_value(rounding="ROUND_FLOOR"))
