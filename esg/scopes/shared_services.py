"""Operator Scope 1 that delivers no energy (refrigerant leaks, backup-generator tests), passed to tenants as Scope 3.

Rule (see docs/esg.md, allocation rule 4): these emissions are the operator's Scope 1; tenants receive them
as Scope 3 category 1 (purchased services) or category 8 (upstream leased assets, by lease type), split by a
declared key (contracted kW, floor area, kW reserved) with largest remainder. A refrigerant leak is its mass
(kg, from a mass balance or top-up record) times its GWP; the library has all-gas GWPs from EPA Hub 2025
Table 11 (AR5 only), so another GWP set is refused for these gases rather than mixed silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from esg.errors import EmissionsInputInvalid, FactorMissing
from esg.factors import G_PER_KG, FactorEdition, FactorLibrary
from esg.scopes.allocation import UNALLOCATED, add_into, tenant_party
from esg.scopes.fuel_quantity import scope1_from_fuel_quantity

REFRIGERANT_GWP_TABLE = "epa-hub-2025/table11"
CATEGORIES = ("cat1_purchased_services", "cat8_upstream_leased_assets")
KINDS = ("refrigerant", "fuel")
QUALITIES = ("measured", "estimated", "default")


@dataclass(frozen=True)
class SharedServiceSource:
    """One emission without delivered energy, with the declared key that passes it on to tenants.

    `substance` is a Table 11 name or formula (`HFC-134a`, `SF6`) for a refrigerant or insulating gas, or a
    Table 1 fuel slug for fuel; `unit` is `kg` for gases, a fuel unit otherwise.
    """

    source_id: str
    kind: str
    substance: str
    quantity: Decimal
    unit: str
    occurred_on: date
    key_name: str
    allocation_key_by_tenant: Mapping[str, int]
    tenant_scope3_category: str = "cat1_purchased_services"
    quality: str = "measured"
    heating_value_basis: str = "HHV"

    def __post_init__(self) -> None:
        where = f"shared service {self.source_id}"
        for name, value, allowed in (
            ("kind", self.kind, KINDS),
            ("tenant_scope3_category", self.tenant_scope3_category, CATEGORIES),
            ("quality", self.quality, QUALITIES),
        ):
            if value not in allowed:
                raise EmissionsInputInvalid(where, None, name, f"{value!r} not in {allowed}")
        if self.quantity < 0 or any(weight < 0 for weight in self.allocation_key_by_tenant.values()):
            raise EmissionsInputInvalid(
                where, None, "quantity", "quantities and key weights must not be negative"
            )
        if self.kind == "refrigerant" and self.unit != "kg":
            raise EmissionsInputInvalid(where, None, "unit", "a refrigerant is given in kg")


@dataclass
class SharedServicesOutcome:
    """Exact grams per category and party, per-gas masses, refs."""

    shares_by_category: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    total_by_category: dict[str, Decimal] = field(default_factory=dict)
    gases_g: dict[str, Decimal] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)
    qualities: list[str] = field(default_factory=list)


def shared_services_emissions(
    sources: Sequence[SharedServiceSource], library: FactorLibrary, edition: FactorEdition, gwp_set: str
) -> SharedServicesOutcome:
    outcome = SharedServicesOutcome()
    for source in sources:
        exact_g = _source_g_co2e(source, library, edition, gwp_set, outcome)
        parts = _split_by_key(exact_g, source.allocation_key_by_tenant)
        add_into(outcome.shares_by_category.setdefault(source.tenant_scope3_category, {}), parts)
        category = source.tenant_scope3_category
        outcome.total_by_category[category] = outcome.total_by_category.get(category, Decimal(0)) + exact_g
        outcome.qualities.append(source.quality)
    return outcome


def _source_g_co2e(
    source: SharedServiceSource,
    library: FactorLibrary,
    edition: FactorEdition,
    gwp_set: str,
    outcome: SharedServicesOutcome,
) -> Decimal:
    if source.kind == "fuel":
        fuel = scope1_from_fuel_quantity(
            source.quantity,
            source.unit,
            source.heating_value_basis,
            source.substance,
            edition,
            source.occurred_on,
            gwp_set=gwp_set,
        )
        for gas, mass in (("CO2", fuel.masses.co2_g), ("CH4", fuel.masses.ch4_g), ("N2O", fuel.masses.n2o_g)):
            outcome.gases_g[gas] = outcome.gases_g.get(gas, Decimal(0)) + mass
        outcome.refs.extend(fuel.refs)
        return fuel.co2e_g_exact
    gwp, ref, name = refrigerant_gwp(library, source.substance, gwp_set)
    mass_g = source.quantity * G_PER_KG
    outcome.gases_g[name] = outcome.gases_g.get(name, Decimal(0)) + mass_g
    outcome.refs.append(ref)
    return mass_g * gwp


def refrigerant_gwp(library: FactorLibrary, substance: str, gwp_set: str) -> tuple[Decimal, str, str]:
    """(GWP100, ref, name) of a gas from EPA Hub 2025 Table 11, matched by name or formula; AR5 only."""
    if gwp_set != "AR5":
        raise FactorMissing(
            REFRIGERANT_GWP_TABLE, f"{substance} at {gwp_set} (the library holds AR5 for these gases)"
        )
    gas = library.gas_gwps_ar5.get(substance)
    if gas is None:
        raise FactorMissing(REFRIGERANT_GWP_TABLE, substance)
    return gas.gwp100_ar5, gas.ref, gas.name


def _split_by_key(exact_g: Decimal, key: Mapping[str, int]) -> dict[str, Decimal]:
    total = sum(key.values())
    if total == 0:
        return {UNALLOCATED: exact_g} if exact_g else {}
    return {tenant_party(tenant): exact_g * weight / total for tenant, weight in key.items() if weight}
