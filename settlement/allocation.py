"""Exact allocation of an integer total (minor units or Wh) across shares: largest remainder.

Why largest remainder: the parts must add up to the total to the last unit (a master bill split across tenants,
a shared meter split across tenants), and each part must be within one unit of its exact proportional share.
"""

from __future__ import annotations

from collections.abc import Sequence

from settlement.errors import AllocationWeightsInvalid


def allocate_largest_remainder(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split `total_minor` in proportion to non-negative integer `weights`; the parts sum to `total_minor`.

    Each part is the floor of its exact share `total * w_i / sum(w)` plus at most one unit. The units left
    after flooring go to the largest fractional remainders; equal remainders favour the lowest index, so the
    result is deterministic. A negative total is split as the mirror image of its absolute value, so that
    `allocate(-t, w) == [-p for p in allocate(t, w)]` (a credit splits exactly like the charge it reverses).
    A zero weight always receives zero. Like every largest-remainder method it is not monotone in the total
    (the "Alabama paradox": raising the total by one unit can lower one part by one unit); callers needing
    monotonicity in a price or energy compute that quantity per tenant instead of re-splitting a total.
    """
    weight_list = [_checked_weight(index, weight) for index, weight in enumerate(weights)]
    if not weight_list:
        raise AllocationWeightsInvalid("no weights given")
    weight_total = sum(weight_list)
    if weight_total == 0:
        raise AllocationWeightsInvalid("all weights are zero, so no share is defined")
    if total_minor < 0:
        return [-part for part in allocate_largest_remainder(-total_minor, weight_list)]
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weight_list:
        part, remainder = divmod(total_minor * weight, weight_total)
        parts.append(part)
        remainders.append(remainder)
    units_left = total_minor - sum(parts)
    assert 0 <= units_left < len(parts), "flooring leaves fewer units than there are parts"
    # Sort by remainder descending, then index ascending: ties go to the lowest index.
    order = sorted(range(len(parts)), key=lambda index: (-remainders[index], index))
    for index in order[:units_left]:
        parts[index] += 1
    assert sum(parts) == total_minor
    return parts


def _checked_weight(index: int, weight: int) -> int:
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise AllocationWeightsInvalid(f"weight {index} is {weight!r}, not an integer")
    if weight < 0:
        raise AllocationWeightsInvalid(f"weight {index} is negative ({weight})")
    return weight
