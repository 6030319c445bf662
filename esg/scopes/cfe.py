"""Hourly carbon-free energy (CFE) score per tenant, no banking of surplus between hours.

    CFE_h = S_h + min(G_h, C_h) + g_h x max(0, G_h - C_h),  capped at the tenant's load L_h
    score = sum_h CFE_h / sum_h L_h
S = the tenant's share of on-site carbon-free generation it consumed; G = its grid supply; C = zero-carbon
granular certificates matched to it in that hour; g = carbon-free share of the grid mix (0 when unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal


def cfe_wh(
    load_wh: Mapping[datetime, int],
    onsite_carbon_free_wh: Mapping[datetime, Decimal],
    grid_wh: Mapping[datetime, Decimal],
    certificate_wh: Mapping[datetime, Decimal],
    grid_carbon_free_fraction: Mapping[datetime, Decimal],
) -> Decimal:
    """Carbon-free Wh of one tenant over the hours of `load_wh`."""
    total = Decimal(0)
    for hour, tenant_load_wh in load_wh.items():
        grid_h = grid_wh.get(hour, Decimal(0))
        certificates_h = certificate_wh.get(hour, Decimal(0))
        carbon_free_h = (
            onsite_carbon_free_wh.get(hour, Decimal(0))
            + min(grid_h, certificates_h)
            + grid_carbon_free_fraction.get(hour, Decimal(0)) * max(Decimal(0), grid_h - certificates_h)
        )
        total += min(carbon_free_h, Decimal(tenant_load_wh))
    return total


def cfe_score_text(carbon_free_wh: Decimal, load_wh: int) -> str:
    """The score as a decimal string with 4 places (half-even), `""` when there was no load."""
    if load_wh == 0:
        return ""
    return str((carbon_free_wh / load_wh).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))
