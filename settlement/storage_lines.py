"""Billed lines of batteries (docs/storage.md): energy a tenant took from a battery at the cost of the energy that
charged it, its share of the round-trip losses at the same costs, and a storage service's fixed monthly charge.

A line's amount is the pool's cost drawn, to the micro-USD (so a tenant's lines plus what stays in the pool add up
exactly to what charging cost); its rate is that cost per MWh, shown to six decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from campus import StorageAsset
from common.canonical_json import sha256_hex
from settlement.money import usd_to_micros
from settlement.storage_pool import AMOUNT_COST, Lot, StoragePeriod
from settlement.types import SettlementLine, SettlementResult, with_lines_after_each_tenant

RATE_QUANTUM = Decimal("0.000001")
CLAUSE_SUPPLY = "storage.supply"
CLAUSE_LOSSES = "storage.losses"
CLAUSE_SERVICE = "storage.service"


def average_rate_usd_per_mwh(lot: Lot) -> Decimal:
    """Cost per MWh of a lot: micro-USD per Wh is USD per MWh."""
    if lot.energy_wh == 0:
        return Decimal(0)
    return (Decimal(lot.amount(AMOUNT_COST)) / Decimal(lot.energy_wh)).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)


def storage_energy_lines(asset_id: str, period: StoragePeriod, tenant_ids: set[str], first_line_no: int,
                         inputs_sha256_hex: str) -> list[SettlementLine]:
    """One line per tenant and charging source for the energy taken, then one per tenant and source for the
    losses; parties that are not tenants (shared services, the operator) get no line."""
    lines: list[SettlementLine] = []
    for clause, noun, by_party in ((CLAUSE_SUPPLY, "Battery supply", period.taken_by_party),
                                   (CLAUSE_LOSSES, "Battery losses", period.losses_by_party)):
        for party, lots in sorted(by_party.items()):
            if party not in tenant_ids:
                continue
            for lot in lots:
                lines.append(SettlementLine(
                    line_no=first_line_no + len(lines), tenant_id=party,
                    description=f"{noun} ({asset_id}), charged from {lot.source}", clause=clause,
                    quantity_wh=lot.energy_wh, unit="MWh", rate_usd_per_mwh=average_rate_usd_per_mwh(lot),
                    amount_usd_micros=lot.amount(AMOUNT_COST), contract_id=None,
                    inputs_sha256_hex=inputs_sha256_hex))
    return lines


def storage_service_lines(asset: StorageAsset, tenant_ids: set[str], first_line_no: int) -> list[SettlementLine]:
    """A fixed charge per billing month for each reserved-capacity service of an occupying tenant; the line's input
    hash is that of the service's terms."""
    lines: list[SettlementLine] = []
    for service in asset.services:
        if service.tenant_id not in tenant_ids:
            continue
        inputs_sha256_hex = sha256_hex({"asset": asset.asset_id, "service": service.service_id,
                                        "tenant": service.tenant_id, "reserved_wh": service.reserved_wh,
                                        "fee_usd_per_month": str(service.fee_usd_per_month)})
        lines.append(SettlementLine(
            line_no=first_line_no + len(lines), tenant_id=service.tenant_id,
            description=f"Storage service {service.service_id} ({asset.asset_id}): {service.reserved_wh} Wh reserved",
            clause=CLAUSE_SERVICE, quantity_wh=1, unit="month", rate_usd_per_mwh=service.fee_usd_per_month,
            amount_usd_micros=usd_to_micros(service.fee_usd_per_month), contract_id=None,
            inputs_sha256_hex=inputs_sha256_hex))
    return lines


def add_storage_services(result: SettlementResult, assets: Sequence[StorageAsset],
                         tenant_ids: Sequence[str]) -> SettlementResult:
    """`result` with each billed tenant's storage-service charges after its other lines (one per service and
    billing cycle, a month)."""
    extra = [line for asset in assets for line in storage_service_lines(asset, set(tenant_ids), 0)]
    return with_lines_after_each_tenant(result, extra) if extra else result
