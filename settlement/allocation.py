"""Exact splits of a total into parts (energy in Wh, money in micro-USD, emissions in grams): largest remainder.

Why largest remainder (Hamilton's method): the parts must add up to the total to the last unit (a master bill
split across tenants, a shared meter split across tenants, a pool's cost priced per tenant), and each part must be
within one unit of its exact share. Every split in settlement goes through `_largest_remainder` below, whether the
exact shares come from integer weights (`allocate_largest_remainder`) or from exact per-part amounts
(`apportion_exact`, e.g. each tenant's Wh share times its own price).

Tie-breaking, the one rule: after flooring every exact share, the units left go to the largest fractional
remainders; equal remainders go to the lowest index. Callers order parts by tenant id (sorted), so a tie goes to
the lowest tenant id, the same way every run. A negative total is split as the mirror image of its absolute
value, so a credit splits exactly like the charge it reverses (the same tenants carry the extra unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from common.largest_remainder import round_to_total
from settlement.errors import AllocationWeightsInvalid


def allocate_largest_remainder(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split `total_minor` in proportion to non-negative integer `weights`; the parts sum to `total_minor`.

    Each part is the floor of its exact share `total * w_i / sum(w)` plus at most one unit (ties: see the module
    docstring). A zero weight always receives zero. Like every largest-remainder method it is not monotone in the
    total (the "Alabama paradox": raising the total by one unit can lower one part by one unit); callers needing
    monotonicity in a price or energy compute that quantity per tenant instead of re-splitting a total.
    """
    weight_list = [_checked_weight(index, weight) for index, weight in enumerate(weights)]
    if not weight_list:
        raise AllocationWeightsInvalid("no weights given")
    weight_total = sum(weight_list)
    if weight_total == 0:
        raise AllocationWeightsInvalid("all weights are zero, so no share is defined")
    return _largest_remainder(total_minor, [Fraction(total_minor * weight, weight_total) for weight in weight_list])


def apportion_exact(exact_parts: Sequence[Decimal]) -> list[int]:
    """Round exact amounts (e.g. micro-USD: each tenant's Wh share x its price) to integers that add up to the
    total rounded ONCE (ROUND_HALF_EVEN), instead of rounding each part on its own (which can lose or gain a unit
    against the pool). Each part is within one unit of its exact amount; parts may have either sign."""
    exact = [Fraction(part) for part in exact_parts]
    total = _round_half_even(sum(exact, Fraction(0)))
    return _largest_remainder(total, exact)


def assert_conserved(what: str, total: int, parts: Iterable[int]) -> None:
    """The invariant of every split, checked where the engine makes it: the parts add up to the total. A failure
    is a bug in the engine (never bad input), so it is an assertion naming the pool."""
    parts_total = sum(parts)
    assert parts_total == total, f"{what}: parts add up to {parts_total}, not to the total {total}"


def _largest_remainder(total: int, exact: list[Fraction]) -> list[int]:
    """Integers summing to `total`, each the floor of its exact share or one more (common.largest_remainder)."""
    return round_to_total(total, exact)


def _round_half_even(value: Fraction) -> int:
    # Python's round() on a Fraction rounds half to even, exactly.
    return round(value)


def _checked_weight(index: int, weight: int) -> int:
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise AllocationWeightsInvalid(f"weight {index} is {weight!r}, not an integer")
    if weight < 0:
        raise AllocationWeightsInvalid(f"weight {index} is negative ({weight})")
    return weight
