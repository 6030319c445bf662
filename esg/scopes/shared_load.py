"""Emissions of shared loads (cooling, lighting of common areas) follow the MWh billed for them.

The settlement bills each tenant a share of the shared-consumption meters' Wh (by energy, capacity, coincident
peak or fixed shares: the campus's `allocation` contract). The emissions of those Wh (`retained:shared` in the
hourly calculation) then belong to the same tenants in the same proportion: each base figure of the shared party
is split over the tenants by largest remainder, weighted by the billed Wh, so the tenants' parts add up to it to
the gram; the composite figures (Scope 2 = on-site share + grid share, category 3 = its activities) are sums of
the moved parts, so they still add up. With no Wh billed the figures stay with the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from esg.scopes.cycle_emissions import CycleEmissions
from settlement import allocate_largest_remainder

SHARED_WHY = "shared"
BASE_FIGURES = (
    "scope2_onsite_generation",
    "scope2_grid_location",
    "scope2_grid_market",
    "scope2_grid_market_hourly",
    "scope3_cat3_upstream_fuels",
    "scope3_cat3_upstream_power",
    "scope3_cat3_td_losses",
    "scope3_cat3_resold_power",
    "scope3_cat1_shared_services",
    "scope3_cat8_shared_services",
)
SCOPE3_PARTS = ("scope3_cat3_upstream_fuels", "scope3_cat3_upstream_power", "scope3_cat3_td_losses",
                "scope3_cat3_resold_power")


def allocate_shared_load(emissions: CycleEmissions, billed_shared_wh_by_tenant: Mapping[str, int]) -> CycleEmissions:
    """Move the operator's `shared` figures to the tenants by the shared Wh billed to each (see module doc)."""
    shared = emissions.retained_g_co2e.get(SHARED_WHY)
    tenant_ids = sorted(emissions.tenant_g_co2e)
    weights = [max(billed_shared_wh_by_tenant.get(tenant_id, 0), 0) for tenant_id in tenant_ids]
    if not shared or not any(weights):
        return emissions
    tenants = {tenant_id: dict(figures) for tenant_id, figures in emissions.tenant_g_co2e.items()}
    for name in BASE_FIGURES:
        if name not in shared:
            continue
        parts = allocate_largest_remainder(shared.get(name, 0), weights)
        for tenant_id, part in zip(tenant_ids, parts, strict=True):
            tenants[tenant_id][name] = tenants[tenant_id].get(name, 0) + part
    if "scope3_cat3" in shared and not any(name in shared for name in SCOPE3_PARTS):
        # A result without the per-activity split moves its category 3 total as one figure.
        for tenant_id, part in zip(tenant_ids, allocate_largest_remainder(shared["scope3_cat3"], weights),
                                   strict=True):
            tenants[tenant_id]["scope3_cat3"] = tenants[tenant_id].get("scope3_cat3", 0) + part
    for figures in tenants.values():
        _recompose(figures)
    retained = {why: figures for why, figures in emissions.retained_g_co2e.items() if why != SHARED_WHY}
    tenant_energy = {
        tenant_id: {**energy, "shared_load_billed_wh": max(billed_shared_wh_by_tenant.get(tenant_id, 0), 0)}
        for tenant_id, energy in emissions.tenant_energy_wh.items()
    }
    return replace(
        emissions,
        tenant_g_co2e=tenants,
        retained_g_co2e=retained,
        tenant_energy_wh=tenant_energy,
        conventions={**emissions.conventions,
                     "shared_load": "emissions of shared consumption follow the shared MWh billed to each tenant "
                                    "(largest remainder, to the gram)"},
        inputs={**emissions.inputs,
                "shared_load_billed_wh": {t: billed_shared_wh_by_tenant.get(t, 0) for t in tenant_ids}},
    )


def _recompose(figures: dict[str, int]) -> None:
    onsite = figures.get("scope2_onsite_generation", 0)
    figures["scope2_location"] = onsite + figures.get("scope2_grid_location", 0)
    figures["scope2_market"] = onsite + figures.get("scope2_grid_market", 0)
    figures["scope2_market_hourly"] = onsite + figures.get("scope2_grid_market_hourly", 0)
    if any(name in figures for name in SCOPE3_PARTS):
        figures["scope3_cat3"] = sum(figures.get(name, 0) for name in SCOPE3_PARTS)
