"""Shared-infrastructure allocation across tenants: which weights, then an exact largest-remainder split.

Methods: by energy share, by contracted capacity, by coincident peak (each tenant's load in the campus's highest
intervals), or by fixed shares. Weights are integers so the split is exact; fixed shares given as decimals are
scaled by 10^6 (a share with more than six decimals is refused). Loss factors gross metered energy up to the supply
point, per interval, rounded ROUND_HALF_EVEN to the Wh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from settlement.allocation import allocate_largest_remainder
from settlement.contracts import (
    METHOD_CAPACITY,
    METHOD_COINCIDENT_PEAK,
    METHOD_ENERGY,
    METHOD_FIXED,
    METHODS,
)
from settlement.errors import AllocationWeightsInvalid

FIXED_SHARE_SCALE = 1_000_000


def allocate_by_weights(total_minor: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `total_minor` across tenants (sorted by id, so ties fall the same way every run)."""
    tenant_ids = sorted(weights)
    parts = allocate_largest_remainder(total_minor, [weights[tenant_id] for tenant_id in tenant_ids])
    return dict(zip(tenant_ids, parts, strict=True))


def fixed_share_weights(shares: Mapping[str, Decimal]) -> dict[str, int]:
    weights: dict[str, int] = {}
    for tenant_id, share in shares.items():
        scaled = share * FIXED_SHARE_SCALE
        if scaled != scaled.to_integral_value() or share < 0:
            raise AllocationWeightsInvalid(f"share {share} of {tenant_id} is negative or has more than 6 decimals")
        weights[tenant_id] = int(scaled)
    return weights


def capacity_weights(capacity_kw: Mapping[str, Decimal]) -> dict[str, int]:
    """Contracted capacity in kW -> integer W weights (exact for up to 3 decimals of kW)."""
    weights: dict[str, int] = {}
    for tenant_id, kw in capacity_kw.items():
        watts = kw * 1000
        if watts != watts.to_integral_value() or kw < 0:
            raise AllocationWeightsInvalid(f"capacity {kw} kW of {tenant_id} is negative or finer than 1 W")
        weights[tenant_id] = int(watts)
    return weights


def coincident_peak_weights(load_wh_by_tenant: Mapping[str, npt.NDArray[np.int64]], peak_count: int
                            ) -> dict[str, int]:
    """Each tenant's energy in the `peak_count` intervals where the tenants' total load is highest (ties: the
    earlier interval first). All series share one interval grid."""
    tenant_ids = sorted(load_wh_by_tenant)
    matrix = np.vstack([load_wh_by_tenant[tenant_id] for tenant_id in tenant_ids])
    campus_total = matrix.sum(axis=0, dtype=np.int64)
    # Stable sort on the negated total: highest first, earliest first among equals.
    peak_indexes = np.argsort(-campus_total, kind="stable")[:peak_count]
    return {tenant_id: int(matrix[row, peak_indexes].sum(dtype=np.int64)) for row, tenant_id in enumerate(tenant_ids)}


def apply_loss_factor(energy_wh: npt.NDArray[np.int64], loss_factor: Decimal) -> npt.NDArray[np.int64]:
    """Metered Wh x loss factor, per interval, ROUND_HALF_EVEN to the Wh (factor 1 returns the input unchanged)."""
    if loss_factor == 1:
        return energy_wh
    return np.array([int((Decimal(wh) * loss_factor).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
                     for wh in energy_wh.tolist()], dtype=np.int64)


def weights_for(method: str, energy_wh_by_tenant: Mapping[str, int], capacity_kw: Mapping[str, Decimal],
                fixed_shares: Mapping[str, Decimal], load_wh_by_tenant: Mapping[str, npt.NDArray[np.int64]],
                peak_count: int, tenant_ids: Sequence[str]) -> dict[str, int]:
    """Integer weights for every tenant in `tenant_ids` under `method` (missing entries weigh zero)."""
    if method == METHOD_ENERGY:
        raw = {tenant_id: max(energy_wh_by_tenant.get(tenant_id, 0), 0) for tenant_id in tenant_ids}
    elif method == METHOD_CAPACITY:
        raw = capacity_weights(capacity_kw)
    elif method == METHOD_FIXED:
        raw = fixed_share_weights(fixed_shares)
    elif method == METHOD_COINCIDENT_PEAK:
        raw = coincident_peak_weights({t: load_wh_by_tenant[t] for t in tenant_ids}, peak_count)
    else:
        raise AllocationWeightsInvalid(f"method {method!r} is not one of {METHODS}")
    unknown = sorted(set(raw) - set(tenant_ids))
    if unknown:
        raise AllocationWeightsInvalid(f"weights name tenants that are not billed: {unknown}")
    return {tenant_id: raw.get(tenant_id, 0) for tenant_id in tenant_ids}


def named_interval_weights(load_wh_by_tenant: Mapping[str, npt.NDArray[np.int64]], cell_indexes: Sequence[int]
                           ) -> dict[str, int]:
    """Each tenant's energy in the named intervals (system coincident peaks given by the ISO or utility)."""
    return {tenant_id: int(sum(int(load[index]) for index in cell_indexes))
            for tenant_id, load in sorted(load_wh_by_tenant.items())}
