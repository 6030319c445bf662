"""Turning charges into tenant lines with their contract references and input hashes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from settlement.contracts import ContractVersion, FixedPriceContract
from settlement.engine.line_inputs import line_inputs_sha256_hex
from settlement.tariffs import Charge
from settlement.types import SettlementLine

UNIT_USD = "USD"


@dataclass(frozen=True)
class TenantCharge:
    tenant_id: str
    charge: Charge
    contract_id: int | None
    contract_version_id: int | None
    inputs_sha256_hex: str


def from_contract(tenant_id: str, charge: Charge, contract: ContractVersion, intervals_sha256_hex: str,
                  prices_sha256_hex: str = "", also: tuple[ContractVersion, ...] = ()) -> TenantCharge:
    """A line of `contract`; `also` names further contracts its amount depends on (e.g. the campus tariff behind
    a grid-bill allocation), so they are part of the line's input hash too."""
    involved = (contract, *also)
    ref = "|".join(f"settlement_contract:{c.contract_version_id}:{c.contract_key}:v{c.version}" for c in involved)
    terms_sha256_hex = "|".join(c.terms_sha256_hex for c in involved)
    inputs = line_inputs_sha256_hex(intervals_sha256_hex, ref, terms_sha256_hex, prices_sha256_hex)
    return TenantCharge(tenant_id, charge, None, contract.contract_version_id, inputs)


def from_fixed_price(tenant_id: str, charge: Charge, contract: FixedPriceContract, intervals_sha256_hex: str
                     ) -> TenantCharge:
    # The reference keeps the form its lines were first recorded with, so their input hashes stay the same.
    inputs = line_inputs_sha256_hex(intervals_sha256_hex, f"contract_v0:{contract.contract_id}:v{contract.version}")
    return TenantCharge(tenant_id, charge, contract.contract_id, None, inputs)


def usd_charge(description: str, clause: str, amount_usd_micros: int) -> Charge:
    """A money-only line: quantity 1, rate = the amount in USD (exact at six decimals)."""
    return Charge(description, clause, 1, UNIT_USD, Decimal(amount_usd_micros).scaleb(-6), amount_usd_micros)


def number_lines(charges: list[TenantCharge]) -> list[SettlementLine]:
    """Lines grouped by tenant (sorted), in the order each tenant's charges were produced, numbered from 1."""
    ordered = sorted(enumerate(charges), key=lambda pair: (pair[1].tenant_id, pair[0]))
    return [SettlementLine(line_no, item.tenant_id, item.charge.description, item.charge.clause,
                           item.charge.quantity_wh, item.charge.unit, item.charge.rate, item.charge.amount_usd_micros,
                           item.contract_id, item.inputs_sha256_hex, item.contract_version_id)
            for line_no, (_, item) in enumerate(ordered, start=1)]


