"""Hourly carbon-free energy (CFE) score per tenant, no banking of surplus between hours.

    CFE_h = S_h + min(G_h, C_h) + g_h x max(0, G_h - C_h) + B_h,  capped at the tenant's load L_h
    score = sum_h CFE_h / sum_h L_h
S = the tenant's share of on-site carbon-free generation it consumed; G = its grid supply; C = zero-carbon
granular certificates matched to it in that hour; g = carbon-free share of the grid mix (0 when unknown); B = the
carbon-free Wh of battery energy it took in that hour, worked out by this same rule for the battery's charge in
the hours that charged it (esg.scopes.storage_carry). Computed hour by hour for every party at once (Decimal
arrays), in the order of the hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from esg.scopes.party_amounts import ZERO, PartyHours, decimal_zeros


@dataclass(frozen=True)
class CarbonFreeHours:
    """Per hour (in the order of `hours`) and consuming party (in the order of `parties`), the exact carbon-free Wh
    of its own supply before the cap, by term: on-site (`S_h`), certified (`min(G, C)`) and the grid's share
    (`g x max(0, G - C)`); and its load `L_h`, the cap."""

    parties: tuple[str, ...]
    hours: tuple[datetime, ...]
    onsite_wh: tuple[np.ndarray, ...]
    certified_wh: tuple[np.ndarray, ...]
    grid_share_wh: tuple[np.ndarray, ...]
    load_wh: tuple[np.ndarray, ...]

    def capped_wh(self, index: int, carried_wh: np.ndarray | None = None) -> np.ndarray:
        """Hour `index`'s CFE_h of every party, with `carried_wh` (B_h) added: capped at the load, so an hour
        without load adds a zero."""
        # Summed in the rule's order (S + min(G, C) + g x max(0, G - C)), so the figures without a battery stay those
        # computed before batteries carried carbon-free energy, to the last digit.
        carbon_free = self.onsite_wh[index] + self.certified_wh[index] + self.grid_share_wh[index]
        if carried_wh is not None:
            carbon_free = carbon_free + carried_wh
        capped: np.ndarray = np.minimum(carbon_free, self.load_wh[index])
        return capped

    def of_party(self, party: str) -> dict[datetime, tuple[Decimal, Decimal, Decimal]]:
        """One party's hours with load: its carbon-free Wh on site (S_h), from the grid (min(G, C) plus
        g x max(0, G - C)), and CFE_h, capped at its load."""
        position = self.parties.index(party)
        result: dict[datetime, tuple[Decimal, Decimal, Decimal]] = {}
        for index, hour in enumerate(self.hours):
            if self.load_wh[index][position]:
                onsite: Decimal = self.onsite_wh[index][position]
                certified: Decimal = self.certified_wh[index][position]
                grid_share: Decimal = self.grid_share_wh[index][position]
                capped = min(onsite + certified + grid_share, Decimal(self.load_wh[index][position]))
                result[hour] = (onsite, certified + grid_share, capped)
        return result


def carbon_free_hours(
    load_wh: Sequence[np.ndarray],
    onsite_carbon_free_wh: PartyHours,
    grid_wh: PartyHours,
    certificate_wh: Mapping[str, Mapping[datetime, Decimal]],
    grid_carbon_free_fraction: Mapping[datetime, Decimal],
) -> CarbonFreeHours:
    """The parts of CFE_h over the hours of `grid_wh` (`load_wh[h]`: each party's Wh in hour `h`)."""
    parties = grid_wh.parties
    party_index = {party: index for index, party in enumerate(parties)}
    certificates_by_hour: dict[datetime, list[tuple[int, Decimal]]] = {}
    for party, by_hour in certificate_wh.items():
        if party in party_index:
            for hour, energy_wh in by_hour.items():
                certificates_by_hour.setdefault(hour, []).append((party_index[party], energy_wh))
    zeros = decimal_zeros(len(parties))
    onsite: list[np.ndarray] = []
    certified: list[np.ndarray] = []
    grid_share: list[np.ndarray] = []
    for index, hour in enumerate(grid_wh.hours):
        grid_h = grid_wh.hour_column(index)
        certificates_h = zeros.copy()
        for position, energy_wh in certificates_by_hour.get(hour, []):
            certificates_h[position] = energy_wh
        onsite.append(onsite_carbon_free_wh.hour_column(index))
        certified.append(np.minimum(grid_h, certificates_h))
        grid_share.append(grid_carbon_free_fraction.get(hour, ZERO) * np.maximum(zeros, grid_h - certificates_h))
    return CarbonFreeHours(parties, tuple(grid_wh.hours), tuple(onsite), tuple(certified), tuple(grid_share),
                           tuple(load_wh))


def cfe_wh_by_party(hours: CarbonFreeHours,
                    carried_wh: Mapping[datetime, Mapping[str, int]] | None = None) -> np.ndarray:
    """Carbon-free Wh of each consuming party summed over the hours, a Decimal per party; `carried_wh[hour][party]`
    (B_h) is what it received from batteries in that hour (parties that are not consumers are ignored)."""
    party_index = {party: index for index, party in enumerate(hours.parties)}
    total = decimal_zeros(len(hours.parties))
    for index, hour in enumerate(hours.hours):
        carried_h = None
        received = {party: wh for party, wh in (carried_wh or {}).get(hour, {}).items() if party in party_index}
        if received:
            carried_h = decimal_zeros(len(hours.parties))
            for party, energy_wh in received.items():
                carried_h[party_index[party]] += energy_wh
        total = total + hours.capped_wh(index, carried_h)
    return total


def cfe_score_text(carbon_free_wh: Decimal, load_wh: int) -> str:
    """The score as a decimal string with 4 places (half-even), `""` when there was no load."""
    if load_wh == 0:
        return ""
    return str((carbon_free_wh / load_wh).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))
