"""Tier arithmetic (pure, exact Decimal): how much of a cumulative quantity falls in each tier."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from settlement.tariffs.urdb import Tier


def tier_segments(quantity: Decimal, tiers: Sequence[Tier], bound_scale: Decimal) -> list[Decimal]:
    """Quantity in each tier, filling from the first: tier k holds the part between bound k-1 and bound k
    (bounds are cumulative and multiplied by `bound_scale`, e.g. days for a daily tier). The last tier is open
    even if the tariff gives it a bound, so no quantity is ever left unpriced."""
    segments: list[Decimal] = []
    lower = Decimal(0)
    for index, tier in enumerate(tiers):
        is_last = index == len(tiers) - 1
        upper = None if tier.max_quantity is None or is_last else tier.max_quantity * bound_scale
        if upper is None:
            segments.append(max(quantity - lower, Decimal(0)))
        else:
            segments.append(max(min(quantity, upper) - lower, Decimal(0)))
            lower = max(lower, upper)
    return segments


def tiered_amount_usd(quantity: Decimal, tiers: Sequence[Tier], bound_scale: Decimal) -> Decimal:
    """Sum over tiers of (quantity in tier) x (tier rate); exact."""
    return sum((segment * tier.rate_usd for segment, tier in zip(tier_segments(quantity, tiers, bound_scale), tiers,
                                                                  strict=True)), Decimal(0))


def overlap_in_tiers(cumulative_before: Decimal, quantity: Decimal, tiers: Sequence[Tier],
                     bound_scale: Decimal) -> Decimal:
    """Amount for `quantity` arriving when `cumulative_before` has already been billed this month (chronological
    fill): the quantity takes the tiers that the running total passes through while it arrives."""
    after = tier_segments(cumulative_before + quantity, tiers, bound_scale)
    before = tier_segments(cumulative_before, tiers, bound_scale)
    return sum(((a - b) * tier.rate_usd for a, b, tier in zip(after, before, tiers, strict=True)), Decimal(0))
