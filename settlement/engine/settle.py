"""The campus engine (pure): tenant tariffs or fixed prices, shared pools, PPAs and virtual PPAs -> lines.

Order of a tenant's lines: its own consumption (tariff or fixed price), then pool shares in contract-key order, then
its PPAs and virtual PPAs in contract-key order. Every amount is rounded once, per line (ROUND_HALF_EVEN, micro-USD).
The inputs are one segment of the period (`settlement.engine.segments`); only the tenants occupying it are billed.
"""

from __future__ import annotations

from collections.abc import Sequence

from settlement.contracts import (
    CLAUSE_FIXED_PRICE_SUPPLY,
    KIND_PPA,
    KIND_TARIFF,
    KIND_VPPA,
    ContractVersion,
    tariff_terms,
)
from settlement.engine.balance import energy_balance
from settlement.engine.inputs import CampusInputs, tenant_series_key
from settlement.engine.lines import TenantCharge, from_contract, from_fixed_price, number_lines
from settlement.engine.occupancy import occupied_part
from settlement.engine.pools import pool_charges
from settlement.engine.ppa_charges import ppa_charges, vppa_charges
from settlement.engine.tariff_charges import bill_series, month_charges, options_for
from settlement.errors import ContractMissing
from settlement.money import energy_amount_usd_micros
from settlement.tariffs import UNIT_MWH, BillOptions, Charge
from settlement.types import SettlementResult, tenant_totals


def settle_campus(inputs: CampusInputs) -> SettlementResult:
    balance = energy_balance(inputs.meters, inputs.meter_totals_wh)
    charges: list[TenantCharge] = []
    for tenant_id in inputs.tenant_ids:
        charges.extend(_consumption_charges(inputs, tenant_id))
    charges.extend(pool_charges(inputs, balance))
    for contract in _sorted(inputs.contracts, KIND_PPA):
        if _buyer_billed(inputs, contract):
            charges.extend(ppa_charges(inputs, contract))
    for contract in _sorted(inputs.contracts, KIND_VPPA):
        if _buyer_billed(inputs, contract):
            charges.extend(vppa_charges(inputs, contract))
    lines = number_lines(charges)
    versions = {contract.contract_key: contract.version for contract in inputs.contracts}
    # Fixed-price versions are keyed "v0:<tenant>" (as first recorded) so they can never collide with a
    # contract key.
    versions.update({f"v0:{tenant_id}": contract.version for tenant_id, contract in inputs.fixed_prices.items()})
    prices = {f"{node}|{market}": series.sha256_hex for (node, market), series in sorted(inputs.prices.items())}
    return SettlementResult(lines, balance, tenant_totals(lines), dict(sorted(versions.items())),
                            inputs.intervals_sha256_hex, prices)


def _buyer_billed(inputs: CampusInputs, contract: ContractVersion) -> bool:
    """A tenant's own contract is settled only while the tenant occupies the campus (campus ones always)."""
    return contract.tenant_id is None or contract.tenant_id not in inputs.absent_tenant_ids


def _sorted(contracts: Sequence[ContractVersion], kind: str) -> list[ContractVersion]:
    return sorted((c for c in contracts if c.kind == kind), key=lambda c: c.contract_key)


def _consumption_charges(inputs: CampusInputs, tenant_id: str) -> list[TenantCharge]:
    """The tenant's metered consumption under its URDB tariff contract, else at its fixed price. A tariff
    bills only the days the tenant occupies (its monthly charges prorated by them); its energy is what its
    meters read."""
    series = occupied_part(inputs.series[tenant_series_key(tenant_id)], inputs.windows.get(tenant_id))
    tariffs = [c for c in _sorted(inputs.contracts, KIND_TARIFF) if c.tenant_id == tenant_id]
    if tariffs:
        contract = tariffs[0]
        terms = tariff_terms(contract)
        base = BillOptions(inputs.time_zone, month_days=inputs.month_days)
        bills = bill_series(terms, series, options_for(terms, base))
        return [from_contract(tenant_id, charge, contract, inputs.intervals_sha256_hex)
                for bill in bills for charge in month_charges(bill, f"Tariff {terms.tariff.name or contract.contract_key}")]
    fixed_price = inputs.fixed_prices.get(tenant_id)
    if fixed_price is None:
        raise ContractMissing(inputs.campus_id, tenant_id, inputs.period_start_utc.isoformat())
    energy_wh = int(series.energy_wh.sum())
    price = fixed_price.price_usd_per_mwh
    charge = Charge("Metered consumption", CLAUSE_FIXED_PRICE_SUPPLY, energy_wh, UNIT_MWH, price,
                    energy_amount_usd_micros(energy_wh, price))
    return [from_fixed_price(tenant_id, charge, fixed_price, inputs.intervals_sha256_hex)]
