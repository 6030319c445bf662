"""The one largest-remainder rounding (Hamilton's method): exact shares to integers that add up to the total.

Settlement splits money and energy across tenants with it (settlement.allocation) and the live connectors split a
register difference across the intervals of a gap with it (connectors.intervals): one rule, one home, so a Wh
is never lost or doubled by rounding anywhere.

Tie-breaking: after flooring every exact share, the units left go to the largest fractional remainders; equal
remainders go to the lowest index. A negative total is split as the mirror image of its absolute value.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


def round_to_total(total: int, exact: Sequence[Fraction]) -> list[int]:
    """Integers summing to `total`, each the floor of its exact share or one more: the spare units go to the
    largest remainders, ties to the lowest index. `exact` must sum to `total` within less than one unit per
    part (true of proportional shares, and of exact amounts whose sum was rounded to `total`)."""
    if total < 0:
        return [-part for part in round_to_total(-total, [-share for share in exact])]
    floors = [share.numerator // share.denominator for share in exact]
    remainders = [share - floor for share, floor in zip(exact, floors, strict=True)]
    units_left = total - sum(floors)
    with_remainder = sum(1 for remainder in remainders if remainder)
    assert 0 <= units_left <= with_remainder, "the exact shares do not round to the total"
    order = sorted(range(len(exact)), key=lambda index: (-remainders[index], index))
    parts = list(floors)
    for index in order[:units_left]:
        parts[index] += 1
    assert sum(parts) == total
    return parts


def split_by_weights(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to non-negative integer `weights` (at least one positive)."""
    assert weights and all(weight >= 0 for weight in weights) and sum(weights) > 0, "weights must be positive"
    weight_total = sum(weights)
    return round_to_total(total, [Fraction(total * weight, weight_total) for weight in weights])
