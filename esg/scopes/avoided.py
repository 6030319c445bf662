"""Avoided emissions of exported energy: optional information, kept apart from the inventory and never netted.

Exported MWh x the eGRID *non-baseload* rate of the campus subregion (the EPA Hub's rate for estimating
reductions; the inventory itself uses total-output rates). Reported beside the inventory, never subtracted
from Scope 1 (Corporate Standard; GHG Protocol on avoided emissions).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from esg.factors import G_PER_LB, WH_PER_MWH, FactorLibrary, load_factor_library
from esg.scopes.allocation import grams_half_even
from esg.scopes.cycle_emissions import CycleEmissions


@dataclass(frozen=True)
class AvoidedEmissions:
    export_wh: int
    g_co2e: int
    rate_ref: str
    gwp_set: str


def avoided_emissions_of_exports(
    emissions: CycleEmissions, library: FactorLibrary | None = None
) -> AvoidedEmissions | None:
    """None when the edition has no non-baseload rate for the subregion (nothing is guessed)."""
    edition = (library or load_factor_library()).edition(emissions.factor_edition)
    grid = edition.grid_factor(emissions.campus_egrid_subregion)
    if grid.nonbaseload_lb_per_mwh is None:
        return None
    gwp = edition.gwp_set(emissions.gwp_set)
    co2, ch4, n2o = grid.nonbaseload_lb_per_mwh
    g_per_mwh = (co2 + gwp.ch4 * ch4 + gwp.n2o * n2o) * G_PER_LB
    export_wh = emissions.energy_wh["export_wh"]
    exact_g = Decimal(export_wh) / WH_PER_MWH * g_per_mwh
    return AvoidedEmissions(export_wh, grams_half_even(exact_g), f"{grid.ref}/nonbaseload", emissions.gwp_set)
