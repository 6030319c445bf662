"""Allocation methods: hand-worked energy, capacity, coincident-peak and fixed-share splits that conserve the total,
loss factors, and the property that every method's split sums exactly to the total."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from settlement.engine import (
    allocate_by_weights,
    apply_loss_factor,
    weights_for,
)
from settlement.errors import AllocationWeightsInvalid

TENANTS = ["alpha", "beta", "gamma"]
LOADS = {"alpha": np.array([10, 50, 20], dtype=np.int64), "beta": np.array([30, 40, 90], dtype=np.int64),
         "gamma": np.array([5, 10, 5], dtype=np.int64)}


def _split(method: str, total: int, **kwargs: object) -> dict[str, int]:
    args = {"energy_wh_by_tenant": {}, "capacity_kw": {}, "fixed_shares": {}, "load_wh_by_tenant": LOADS,
            "peak_count": 1}
    args.update(kwargs)
    return allocate_by_weights(total, weights_for(method, tenant_ids=TENANTS, **args))  # type: ignore[arg-type]


def test_coincident_peak_uses_the_campus_peak_interval() -> None:
    """Campus totals per interval 45, 100, 115 -> peak is interval 3 (20 / 90 / 5 of 115). $1,150.00 in cents
    (115,000): alpha 20,000, beta 90,000, gamma 5,000. With the top two intervals (3 and 2): weights 70 / 130 / 15
    of 215 -> 115,000 x 70/215 = 37,441.86, x 130/215 = 69,534.88, x 15/215 = 8,023.26; floors leave 2 cents,
    remainders .86 (alpha) and .88 (beta) are the largest -> 37,442 / 69,535 / 8,023."""
    assert _split("coincident_peak", 115_000) == {"alpha": 20_000, "beta": 90_000, "gamma": 5_000}
    assert _split("coincident_peak", 115_000, peak_count=2) == {"alpha": 37_442, "beta": 69_535, "gamma": 8_023}


def test_capacity_and_fixed_shares() -> None:
    """Capacity 2.5 / 5 / 2.5 MW of $100.01 (10,001 cents) -> 2,500.25 / 5,000.5 / 2,500.25 -> floors 2,500 /
    5,000 / 2,500, one cent left, beta's remainder (.5) beats .25 -> 2,500 / 5,001 / 2,500. Fixed 0.5 / 0.3 / 0.2
    of 10 -> 5 / 3 / 2."""
    capacity = {t: Decimal(kw) for t, kw in zip(TENANTS, ["2500", "5000", "2500"], strict=True)}
    assert _split("capacity", 10_001, capacity_kw=capacity) == {"alpha": 2_500, "beta": 5_001, "gamma": 2_500}
    shares = {t: Decimal(s) for t, s in zip(TENANTS, ["0.5", "0.3", "0.2"], strict=True)}
    assert _split("fixed", 10, fixed_shares=shares) == {"alpha": 5, "beta": 3, "gamma": 2}


def test_unknown_method_or_foreign_tenant_is_refused() -> None:
    """A misspelt method or a share for a tenant not being billed is an error, not a silent zero."""
    with pytest.raises(AllocationWeightsInvalid):
        _split("by_vibes", 10)
    with pytest.raises(AllocationWeightsInvalid):
        _split("fixed", 10, fixed_shares={"omega": Decimal(1)})


def test_loss_factor_grosses_up_each_interval_half_even() -> None:
    """SDG&E-style factor 1.0444: 100,000 Wh -> 104,440; 1,000 Wh x 1.0445 = 1,044.5 -> 1,044 (half-even)."""
    assert apply_loss_factor(np.array([100_000], dtype=np.int64), Decimal("1.0444")).tolist() == [104_440]
    assert apply_loss_factor(np.array([1_000], dtype=np.int64), Decimal("1.0445")).tolist() == [1_044]


@settings(max_examples=80, deadline=None)
@given(total=st.integers(-(10**12), 10**12),
       loads=st.lists(st.lists(st.integers(0, 10**6), min_size=4, max_size=4), min_size=3, max_size=3),
       method=st.sampled_from(["energy", "coincident_peak"]))
@example(total=7, loads=[[0] * 4] * 3, method="energy")  # nothing used: refused
@example(total=-10**12, loads=[[0] * 4, [0, 0, 0, 1], [0] * 4], method="coincident_peak")  # one tenant takes all
def test_every_split_conserves_the_total(total: int, loads: list[list[int]], method: str) -> None:
    """Property: whatever the loads, the tenants' parts add up to the total exactly; the split is refused exactly
    when every weight is zero (no share is defined), and then nothing is returned.

    Break caught: a refusal of valid weights (e.g. rejecting a zero weight among non-zero ones) fails here, as does
    any split whose parts miss the total by a unit."""
    series = {t: np.array(load, dtype=np.int64) for t, load in zip(TENANTS, loads, strict=True)}
    energy = {t: int(sum(load)) for t, load in zip(TENANTS, loads, strict=True)}
    weights = weights_for(method, energy, {}, {}, series, 2, TENANTS)
    if not any(weights.values()):
        with pytest.raises(AllocationWeightsInvalid, match="all weights are zero"):
            allocate_by_weights(total, weights)
        return
    parts = allocate_by_weights(total, weights)
    assert sum(parts.values()) == total
    assert all(part == 0 for tenant, part in parts.items() if weights[tenant] == 0)
