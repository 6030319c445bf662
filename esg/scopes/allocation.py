"""Splitting campus emissions among parties, hour by hour, and rounding them to grams without losing one.

Parties are strings: `tenant:<tenant_id>` for tenants, `retained:<why>` for what stays with the operator
(`export`, `shared`, `unallocated`, `resold`). Per hour the split is exact Decimal; only the period totals are
rounded, once: the campus total is rounded half-even, then split among parties with the largest-remainder
method over their exact shares (in micrograms), so the parties add up to the campus figure to the gram and
each is within one gram of its exact share.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from esg.factors import MICROGRAMS_PER_G
from esg.scopes.party_amounts import Consumption, PartySplit, decimal_zeros
from settlement import allocate_largest_remainder

EXPORT = "retained:export"
SHARED = "retained:shared"
UNALLOCATED = "retained:unallocated"
RESOLD = "retained:resold"
STORAGE_PREFIX = "retained:storage."


def tenant_party(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"


def storage_party(asset_id: str) -> str:
    """A battery as a consuming party: its charge in the charging hour (the ledger's `retained:<why>` has no colon)."""
    return f"{STORAGE_PREFIX}{asset_id}"


def split_by_consumption(amount: Decimal, consumers: Consumption) -> PartySplit:
    """Split in proportion to consumed Wh; with no consumption the amount stays with the operator."""
    party_count = len(consumers.has_part)
    if consumers.total_wh == 0:
        return PartySplit(decimal_zeros(party_count), consumers.has_part, {UNALLOCATED: amount} if amount else {})
    if not amount:
        # Every part is zero (a switched-off rule, an hour without fuel): the parties still take their part.
        return PartySplit(decimal_zeros(party_count), consumers.has_part, {})
    # Element by element `amount * energy_wh / total_wh`, the same two Decimal operations per party.
    return PartySplit(amount * consumers.energy_wh_exact / consumers.total_wh, consumers.has_part, {})


def split_onsite(amount: Decimal, generation_wh: int, export_wh: int, consumers: Consumption) -> PartySplit:
    """Split emissions of on-site generation: the exported share first, the rest by consumption.

    Export leaves from on-site generation (the campus does not re-export imports), so the exported share is
    min(export, generation) / generation. It stays in the operator's Scope 1 (never netted) and is only
    labelled `retained:export`, so tenants do not carry emissions of energy they did not use.
    """
    if generation_wh == 0:
        return split_by_consumption(amount, consumers)
    exported_wh = min(export_wh, generation_wh)
    exported = amount * exported_wh / generation_wh
    split = split_by_consumption(amount - exported, consumers)
    if exported:
        split.others[EXPORT] = split.others.get(EXPORT, Decimal(0)) + exported
    return split


def add_into(target: dict[str, Decimal], parts: Mapping[str, Decimal]) -> None:
    for party, amount in parts.items():
        target[party] = target.get(party, Decimal(0)) + amount


def grams_half_even(exact_g: Decimal) -> int:
    # Half-even: a tie never biases a long series of monthly reports in one direction.
    return int(exact_g.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def allocate_grams(total_g: int, exact_shares_g: Mapping[str, Decimal]) -> dict[str, int]:
    """Integer grams per party that add up to `total_g`, weighted by the exact shares."""
    parties = sorted(exact_shares_g)
    weights_ug = [
        int((exact_shares_g[party] * MICROGRAMS_PER_G).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        for party in parties
    ]
    if total_g == 0 or sum(weights_ug) == 0:
        assert total_g == 0, "a non-zero total needs a non-zero share to land on"
        return {party: 0 for party in parties}
    return dict(zip(parties, allocate_largest_remainder(total_g, weights_ug), strict=True))
