"""Largest-remainder allocation: exact sums, hand-worked splits, deterministic ties, and bad weights refused."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement import AllocationWeightsInvalid, allocate_largest_remainder


def test_hand_worked_split_of_100_by_1_1_1_gives_the_spare_unit_to_the_first() -> None:
    """100 / 3 = 33 rem 1 each; the three remainders tie, so the lowest index gets the spare unit."""
    assert allocate_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]


def test_hand_worked_split_goes_to_largest_remainders() -> None:
    """1000 by 2:3:5 over 10 -> 200, 300, 500 exactly; 10 by 1:2:4 over 7 -> 10/7=1.43, 20/7=2.86, 40/7=5.71.

    Floors 1+2+5 = 8, two units left; remainders 3/7, 6/7, 5/7 -> indexes 1 and 2 get one each: [1, 3, 6].
    """
    assert allocate_largest_remainder(1000, [2, 3, 5]) == [200, 300, 500]
    assert allocate_largest_remainder(10, [1, 2, 4]) == [1, 3, 6]


def test_negative_total_mirrors_the_positive_split() -> None:
    """A credit of -10 by 1:2:4 is the negation of the charge split [1, 3, 6]."""
    assert allocate_largest_remainder(-10, [1, 2, 4]) == [-1, -3, -6]


def test_zero_weight_gets_nothing_and_zero_total_gives_zeros() -> None:
    """A tenant with no energy receives no share; nothing to split gives all zeros."""
    assert allocate_largest_remainder(7, [0, 1, 0, 1]) == [0, 4, 0, 3]
    assert allocate_largest_remainder(0, [5, 6]) == [0, 0]


@pytest.mark.parametrize("weights", [[], [0, 0, 0], [1, -1], [1.5, 2]])
def test_weights_that_define_no_share_are_refused_as_bad_input(weights: list[int]) -> None:
    """Empty, all-zero, negative or non-integer weights raise a BadInput naming the weights field."""
    with pytest.raises(AllocationWeightsInvalid) as caught:
        allocate_largest_remainder(100, weights)
    assert isinstance(caught.value, BadInput)
    assert caught.value.field == "weights"


weights_strategy = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=12).filter(any)


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=-(10**15), max_value=10**15), weights=weights_strategy)
def test_parts_sum_to_total_and_stay_within_one_unit_of_the_exact_share(total: int, weights: list[int]) -> None:
    """Property: sum is exact, each part differs from total*w/W by less than one unit, zero weights get zero."""
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts) == total
    weight_total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact_share = Fraction(total * weight, weight_total)
        assert abs(part - exact_share) < 1
        if weight == 0:
            assert part == 0
