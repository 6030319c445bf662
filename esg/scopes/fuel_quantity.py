"""Scope 1 of a fuel quantity in its billing unit (scf, gallon, therm, MMBtu), HHV or LHV tagged.

For an ingest or a one-off (a diesel delivery, a gas bill). Volume units take the supplier's measured heat
content when an override gives one (40 CFR 98 Tier 2), else the edition's default; the mmBtu path is used
throughout, as the EPA Hub advises, so rounded per-unit factors never enter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from esg.errors import EmissionsInputInvalid
from esg.factors import (
    FactorEdition,
    FactorOverride,
    GasMassesG,
    co2e_g,
    effective_factor,
    gas_masses_g,
    mmbtu_hhv_from_quantity,
)
from esg.scopes.allocation import grams_half_even

UNIT_OF_HEAT_CONTENT = {
    "mmBtu per scf": "scf",
    "mmBtu per gallon": "gallon",
    "mmBtu per short ton": "short ton",
}


@dataclass(frozen=True)
class FuelQuantityEmissions:
    heat_input_mmbtu_hhv: Decimal
    masses: GasMassesG
    co2e_g_exact: Decimal
    co2e_g: int
    refs: tuple[str, ...]


def scope1_from_fuel_quantity(
    quantity: Decimal,
    unit: str,
    heating_value_basis: str,
    fuel_slug: str,
    edition: FactorEdition,
    day: date,
    meter_id: str = "",
    overrides: Sequence[FactorOverride] = (),
    gwp_set: str = "AR5",
    hhv_per_lhv: Decimal | None = None,
) -> FuelQuantityEmissions:
    """Per-gas grams and CO2e (rounded half-even once) of burning `quantity` `unit` of `fuel_slug`."""
    published = edition.combustion_factor(fuel_slug)
    active = [o for o in overrides if o.meter_id == meter_id and o.covers(day)]
    refs = [published.ref]
    heat_content = None
    if unit in UNIT_OF_HEAT_CONTENT.values():
        if UNIT_OF_HEAT_CONTENT.get(published.heat_content_unit) != unit:
            raise EmissionsInputInvalid(
                "fuel quantity", None, "unit", f"{published.fuel_type} is not tabled per {unit}"
            )
        heat_content = published.heat_content_hhv
        for override in active:
            if override.parameter == "heat_content_mmbtu_per_scf" and unit == "scf":
                heat_content = override.value
                refs.append(f"override/{override.override_id}/{override.kind}/{override.parameter}")
    mmbtu = mmbtu_hhv_from_quantity(quantity, unit, heating_value_basis, heat_content, hhv_per_lhv)
    factor = effective_factor(published, active)
    masses = gas_masses_g(mmbtu, factor)
    gwp = edition.gwp_set(gwp_set)
    exact = co2e_g(masses, gwp.ch4, gwp.n2o)
    return FuelQuantityEmissions(
        mmbtu, masses, exact, grams_half_even(exact), (*refs, *factor.refs[1:], *gwp.refs)
    )
