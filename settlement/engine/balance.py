"""Contract v0 settlement rule (pure).

Each tenant pays its metered consumption at its supply price. Shared consumption (cooling, common load) is split
across tenants by energy share, exactly (largest remainder on Wh), and billed at each tenant's same supply price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from campus import MeterRole
from settlement.allocation import allocate_largest_remainder
from settlement.engine.meters import ContractV0, MeterRef
from settlement.errors import AllocationWeightsInvalid
from settlement.hashing import line_inputs_sha256_hex
from settlement.money import energy_amount_usd_micros
from settlement.types import EnergyBalance, SettlementLine, SettlementResult


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
    losses_wh = generation_wh + grid_import_wh - export_wh - tenant_wh - shared_wh
    return EnergyBalance(generation_wh, grid_import_wh, export_wh, tenant_wh, shared_wh, losses_wh)


def tenant_consumption_wh(meters: Sequence[MeterRef], energy_wh_by_meter: Mapping[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for meter in meters:
        if meter.role == MeterRole.TENANT:
            assert meter.tenant_id is not None
            totals[meter.tenant_id] = totals.get(meter.tenant_id, 0) + energy_wh_by_meter.get(meter.meter_id, 0)
    return totals


def shared_allocation_wh(shared_wh: int, consumption_wh_by_tenant: Mapping[str, int]) -> dict[str, int]:
    """Split shared Wh by energy share; tenants in sorted order so ties fall the same way every run."""
    tenant_ids = sorted(consumption_wh_by_tenant)
    if shared_wh == 0:
        return {tenant_id: 0 for tenant_id in tenant_ids}
    weights = [max(consumption_wh_by_tenant[tenant_id], 0) for tenant_id in tenant_ids]
    if not any(weights):
        raise AllocationWeightsInvalid(f"{shared_wh} Wh of shared consumption but no tenant consumed energy")
    return dict(zip(tenant_ids, allocate_largest_remainder(shared_wh, weights), strict=True))


def settle_v0(
    meters: Sequence[MeterRef],
    contracts: Mapping[str, ContractV0],
    energy_wh_by_meter: Mapping[str, int],
    intervals_sha256_hex: str,
    tenant_ids: Sequence[str] | None = None,
) -> SettlementResult:
    """Lines per tenant (sorted by tenant id): metered consumption, then its shared-consumption share.

    `tenant_ids` names the tenants billed (those occupying the period); None bills every tenant with a
    contract or a meter. Shared consumption is split among the billed tenants only."""
    balance = energy_balance(meters, energy_wh_by_meter)
    metered = tenant_consumption_wh(meters, energy_wh_by_meter)
    if tenant_ids is None:
        consumption = {tenant_id: 0 for tenant_id in contracts}
        consumption.update(metered)
    else:
        consumption = {tenant_id: metered.get(tenant_id, 0) for tenant_id in tenant_ids}
    shared = shared_allocation_wh(balance.shared_consumption_wh, consumption) if consumption else {}
    lines: list[SettlementLine] = []
    for tenant_id in sorted(consumption):
        contract = contracts[tenant_id]
        inputs = line_inputs_sha256_hex(intervals_sha256_hex, f"contract_v0:{contract.contract_id}:v{contract.version}")
        for description, clause, energy_wh in (
            ("Metered consumption", "v0.supply_price", consumption[tenant_id]),
            ("Shared consumption (energy share)", "v0.shared_by_energy_share", shared[tenant_id]),
        ):
            price = contract.supply_price_usd_per_mwh
            lines.append(_energy_line(len(lines) + 1, tenant_id, description, clause, energy_wh, price,
                                      contract.contract_id, inputs))
    return SettlementResult(
        lines=lines,
        energy_balance=balance,
        tenant_totals_usd_micros=tenant_totals(lines),
        contract_versions={tenant_id: contracts[tenant_id].version for tenant_id in sorted(consumption)},
        intervals_sha256_hex=intervals_sha256_hex,
    )


def _energy_line(line_no: int, tenant_id: str, description: str, clause: str, energy_wh: int,
                 price_usd_per_mwh: Decimal, contract_id: int | None, inputs_sha256_hex: str) -> SettlementLine:
    return SettlementLine(line_no, tenant_id, description, clause, energy_wh, "MWh", price_usd_per_mwh,
                          energy_amount_usd_micros(energy_wh, price_usd_per_mwh), contract_id, inputs_sha256_hex)


def tenant_totals(lines: Sequence[SettlementLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.tenant_id] = totals.get(line.tenant_id, 0) + line.amount_usd_micros
    return dict(sorted(totals.items()))
