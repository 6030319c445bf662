"""Carbon legs for the settlement's ledger entry: asset `TCO2E/6` (grams CO2e), signed amounts summing to zero.

Credits (negative) name where the emissions arise, at the campus: `campus:<c>:emissions:scope1`, `:scope2`
(location-based grid) and `:scope3_cat3`. Debits (positive) name who carries them: `tenant:<t>:emissions` (the
tenant's location-based Scope 2), `tenant:<t>:emissions:scope3_cat3`, and `campus:<c>:emissions:retained:<why>`
for what stays with the operator (exports, shared services, hours without consumption). Market-based Scope 2 is a
second view of the same energy, balanced on its own: `tenant:<t>:emissions:scope2_market` and
`campus:<c>:emissions:retained:<why>:scope2_market` against `campus:<c>:emissions:scope2_market`.
"""

from __future__ import annotations

from esg.scopes.cycle_emissions import CycleEmissions
from ledger import AccountSpec, Leg, unbalanced_asset
from ledger.accounts import (
    ASSET_CARBON,
    account_spec,
    campus_emissions,
    campus_emissions_retained,
    tenant_emissions,
)


def carbon_ledger_postings(emissions: CycleEmissions, campus_id: str) -> list[Leg]:
    """(account_path, "TCO2E/6", amount_g) legs; zero legs are left out; the amounts sum to zero."""
    legs: list[Leg] = [
        (campus_emissions(campus_id, "scope1"), ASSET_CARBON, -emissions.campus_scope1_g_co2e),
        (campus_emissions(campus_id, "scope2"), ASSET_CARBON, -emissions.campus_scope2_location_g_co2e),
        (campus_emissions(campus_id, "scope3_cat3"), ASSET_CARBON, -emissions.campus_scope3_cat3_g_co2e),
        (campus_emissions(campus_id, "scope1_shared_services"), ASSET_CARBON,
         -emissions.campus_scope1_shared_services_g_co2e),
    ]
    for tenant_id, figures in sorted(emissions.tenant_g_co2e.items()):
        legs.append((tenant_emissions(tenant_id), ASSET_CARBON, figures["scope2_location"]))
        legs.append((tenant_emissions(tenant_id, "scope3_cat3"), ASSET_CARBON, figures["scope3_cat3"]))
        legs.append((tenant_emissions(tenant_id, "scope3_shared_services"), ASSET_CARBON, _shared(figures)))
    for why, figures in sorted(emissions.retained_g_co2e.items()):
        legs.append((campus_emissions_retained(campus_id, why), ASSET_CARBON, figures["scope2_location"]))
        legs.append((campus_emissions_retained(campus_id, why, "scope3_cat3"), ASSET_CARBON, figures["scope3_cat3"]))
        legs.append((campus_emissions_retained(campus_id, why, "shared_services"), ASSET_CARBON, _shared(figures)))
    legs += market_view_legs(emissions, campus_id)
    legs = [leg for leg in legs if leg[2] != 0]
    assert unbalanced_asset(legs) is None, "carbon legs must balance"
    return legs


def market_view_legs(emissions: CycleEmissions, campus_id: str) -> list[Leg]:
    """The market-based view, balanced on its own: each party's market-based Scope 2 (its share of on-site
    generation plus its market-based grid figure) against one campus source holding their sum."""
    carriers: list[Leg] = [
        (tenant_emissions(tenant_id, "scope2_market"), ASSET_CARBON, figures.get("scope2_market", 0))
        for tenant_id, figures in sorted(emissions.tenant_g_co2e.items())
    ]
    carriers += [
        (campus_emissions_retained(campus_id, why, "scope2_market"), ASSET_CARBON, figures.get("scope2_market", 0))
        for why, figures in sorted(emissions.retained_g_co2e.items())
    ]
    total_g = sum(amount for _, _, amount in carriers)
    return [(campus_emissions(campus_id, "scope2_market"), ASSET_CARBON, -total_g), *carriers]


def _shared(figures: dict[str, int]) -> int:
    # Results recorded before shared services existed have no such keys: they had none.
    return figures.get("scope3_cat1_shared_services", 0) + figures.get("scope3_cat8_shared_services", 0)


def carbon_ledger_meta(emissions: CycleEmissions) -> dict[str, str]:
    """Strings for the entry's meta: factor edition and refs, the result hash and the meter data hashes."""
    return {
        "esg_factor_edition": emissions.factor_edition,
        "esg_gwp_set": emissions.gwp_set,
        "esg_factor_refs": ",".join(emissions.factor_refs),
        "esg_result_sha256": emissions.sha256(),
        "esg_intervals_file_sha256": str(emissions.inputs["intervals_file_sha256"]),
        "esg_source_sha256": ",".join(emissions.inputs["source_sha256"]),
        "esg_campus_scope2_market_g_co2e": str(emissions.campus_scope2_market_g_co2e),
    }


def carbon_account_specs(legs: list[Leg]) -> list[AccountSpec]:
    """Ledger `AccountSpec`s to open before posting `legs`: campus sources are credit-normal, carriers
    debit-normal (ledger.accounts)."""
    return [account_spec(account, asset) for account, asset in sorted({(account, asset) for account, asset, _ in legs})]
