"""The campus energy balance, the energy-share split of shared consumption, and tenant totals (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from campus import MeterRole
from settlement.allocation import allocate_largest_remainder
from settlement.engine.meters import MeterRef
from settlement.errors import AllocationWeightsInvalid
from settlement.types import EnergyBalance


def energy_balance(meters: Sequence[MeterRef], energy_wh_by_meter: Mapping[str, int]) -> EnergyBalance:
    """Sum energy by meter role; losses are the residual that closes the balance (fuel meters are heat, not
    electricity, and stay out of it)."""
    by_role: dict[str, int] = {}
    for meter in meters:
        by_role[meter.role] = by_role.get(meter.role, 0) + energy_wh_by_meter.get(meter.meter_id, 0)
    generation_wh = by_role.get(MeterRole.GENERATION, 0)
    grid_import_wh = by_role.get(MeterRole.GRID_IMPORT, 0)
    export_wh = by_role.get(MeterRole.EXPORT, 0)
    tenant_wh = by_role.get(MeterRole.TENANT, 0)
    shared_wh = by_role.get(MeterRole.SHARED, 0)
    charge_wh = by_role.get(MeterRole.STORAGE_CHARGE, 0)
    discharge_wh = by_role.get(MeterRole.STORAGE_DISCHARGE, 0)
    # Sources = generation + import + discharge; uses = export + tenants + shared + charge + losses.
    losses_wh = generation_wh + grid_import_wh + discharge_wh - export_wh - tenant_wh - shared_wh - charge_wh
    return EnergyBalance(generation_wh, grid_import_wh, export_wh, tenant_wh, shared_wh, losses_wh, charge_wh,
                         discharge_wh)


def shared_allocation_wh(shared_wh: int, consumption_wh_by_tenant: Mapping[str, int]) -> dict[str, int]:
    """Split shared Wh by energy share; tenants in sorted order so ties fall the same way every run."""
    tenant_ids = sorted(consumption_wh_by_tenant)
    if shared_wh == 0:
        return {tenant_id: 0 for tenant_id in tenant_ids}
    weights = [max(consumption_wh_by_tenant[tenant_id], 0) for tenant_id in tenant_ids]
    if not any(weights):
        raise AllocationWeightsInvalid(f"{shared_wh} Wh of shared consumption but no tenant consumed energy")
    return dict(zip(tenant_ids, allocate_largest_remainder(shared_wh, weights), strict=True))


