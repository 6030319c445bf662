"""Hourly carbon-free energy (CFE) score per tenant, no banking of surplus between hours.

    CFE_h = S_h + min(G_h, C_h) + g_h x max(0, G_h - C_h),  capped at the tenant's load L_h
    score = sum_h CFE_h / sum_h L_h
S = the tenant's share of on-site carbon-free generation it consumed; G = its grid supply; C = zero-carbon
granular certificates matched to it in that hour; g = carbon-free share of the grid mix (0 when unknown).
Computed hour by hour for every party at once (Decimal arrays), in the order of the hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from esg.scopes.party_amounts import ZERO, PartyHours, decimal_zeros


def cfe_wh_by_party(
    load_wh: Sequence[np.ndarray],
    onsite_carbon_free_wh: PartyHours,
    grid_wh: PartyHours,
    certificate_wh: Mapping[str, Mapping[datetime, Decimal]],
    grid_carbon_free_fraction: Mapping[datetime, Decimal],
) -> np.ndarray:
    """Carbon-free Wh of each consuming party over the hours of `grid_wh` (`load_wh[h]`: each party's Wh in
    hour `h`), summed hour by hour over the hours with load; a Decimal per party."""
    parties = grid_wh.parties
    party_index = {party: index for index, party in enumerate(parties)}
    certificates_by_hour: dict[datetime, list[tuple[int, Decimal]]] = {}
    for party, by_hour in certificate_wh.items():
        if party in party_index:
            for hour, energy_wh in by_hour.items():
                certificates_by_hour.setdefault(hour, []).append((party_index[party], energy_wh))
    zeros = decimal_zeros(len(parties))
    total = decimal_zeros(len(parties))
    for index, hour in enumerate(grid_wh.hours):
        grid_h = grid_wh.hour_column(index)
        certificates_h = zeros.copy()
        for position, energy_wh in certificates_by_hour.get(hour, []):
            certificates_h[position] = energy_wh
        carbon_free_h = (
            onsite_carbon_free_wh.hour_column(index)
            + np.minimum(grid_h, certificates_h)
            + grid_carbon_free_fraction.get(hour, ZERO) * np.maximum(zeros, grid_h - certificates_h)
        )
        # Capped at the load: an hour without load adds a zero.
        total = total + np.minimum(carbon_free_h, load_wh[index])
    return total


def cfe_score_text(carbon_free_wh: Decimal, load_wh: int) -> str:
    """The score as a decimal string with 4 places (half-even), `""` when there was no load."""
    if load_wh == 0:
        return ""
    return str((carbon_free_wh / load_wh).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))
