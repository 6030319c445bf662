"""Shared pools split across tenants: shared consumption, losses, turbine fuel, the campus utility bill, and
PPAs bought by the campus. Energy pools are split in Wh and priced per tenant; money pools are split in micro-USD.
Either way the split is a largest-remainder allocation, so the tenants' parts add up to the pool exactly.

Only the tenants occupying the segment share its pools. Capacity and fixed shares weigh each tenant's share by
the days it occupies the segment (a tenant there for half of it bears half its share's weight); energy and
coincident peak shares need no such factor, since a tenant's load is zero on the days it is not there.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np

from campus import MeterRole
from common.errors import BadInput
from settlement.allocation import assert_conserved
from settlement.contracts import (
    CLAUSE_FIXED_PRICE_SHARED,
    KIND_ALLOCATION,
    KIND_PPA,
    KIND_TARIFF,
    METHOD_CAPACITY,
    METHOD_COINCIDENT_PEAK,
    METHOD_FIXED,
    AllocationTerms,
    ContractVersion,
    allocation_terms,
    source_of,
    tariff_terms,
)
from settlement.engine.allocation_methods import allocate_by_weights, named_interval_weights, weights_for
from settlement.engine.balance import shared_allocation_wh
from settlement.engine.inputs import (
    SERIES_EXPORT,
    SERIES_GRID_IMPORT,
    CampusInputs,
    Series,
    tenant_series_key,
)
from settlement.engine.lines import TenantCharge, from_contract, from_fixed_price, usd_charge
from settlement.engine.ppa_charges import ppa_pool_usd_micros
from settlement.engine.segments import local_days
from settlement.engine.tariff_charges import (
    bill_series,
    component_total_usd_micros,
    export_credit_totals,
    options_for,
)
from settlement.errors import ContractMissing
from settlement.money import pool_energy_amounts_usd_micros
from settlement.tariffs import UNIT_MWH, BillOptions, Charge, MonthBill, datetime_to_utc_us, display_rate
from settlement.types import EnergyBalance

WH_THERMAL_PER_MMBTU = Decimal("293071.07")


def pool_charges(inputs: CampusInputs, balance: EnergyBalance) -> list[TenantCharge]:
    allocations = sorted((c for c in inputs.contracts if c.kind == KIND_ALLOCATION), key=lambda c: c.contract_key)
    parsed = [(contract, allocation_terms(contract)) for contract in allocations]
    charges: list[TenantCharge] = []
    if not any(terms.pool == "shared_consumption" for _, terms in parsed):
        charges.extend(_shared_at_fixed_prices(inputs, balance.shared_consumption_wh))
    for contract, terms in parsed:
        if terms.pool in ("shared_consumption", "losses"):
            pool_wh = balance.shared_consumption_wh if terms.pool == "shared_consumption" else balance.losses_wh
            charges.extend(_energy_pool(inputs, contract, terms, pool_wh))
        elif terms.pool == "grid_tariff":
            charges.extend(_grid_tariff_pool(inputs, contract, terms))
        else:
            charges.extend(_money_pool(inputs, contract, terms, _money_pool_total(inputs, contract, terms),
                                       _pool_sources(inputs, terms)))
    return charges


def _tenant_energy_wh(inputs: CampusInputs) -> dict[str, int]:
    return {t: int(inputs.series[tenant_series_key(t)].energy_wh.sum()) for t in inputs.tenant_ids}


def pool_weights(inputs: CampusInputs, terms: AllocationTerms) -> dict[str, int]:
    """Integer weights of the billed tenants for an allocation contract's method (capacity and fixed shares by
    days occupied in the segment)."""
    loads = {t: inputs.series[tenant_series_key(t)].energy_wh for t in inputs.tenant_ids}
    if terms.method == METHOD_COINCIDENT_PEAK and len({load.size for load in loads.values()}) > 1:
        raise BadInput("allocation", None, "method", "coincident peak needs every tenant on one interval grid")
    if terms.method == METHOD_COINCIDENT_PEAK and terms.peak_intervals_utc and inputs.tenant_ids:
        period_series = inputs.period_series or inputs.series
        period_loads = {t: period_series[tenant_series_key(t)].energy_wh for t in inputs.tenant_ids}
        return named_interval_weights(period_loads, _cell_indexes(period_series, inputs.tenant_ids[0], terms))
    weights = weights_for(terms.method, _tenant_energy_wh(inputs), _of_billed(inputs, terms.capacity_kw),
                          _of_billed(inputs, terms.fixed_shares), loads, terms.peak_count, inputs.tenant_ids)
    if terms.method in (METHOD_CAPACITY, METHOD_FIXED) and inputs.windows:
        segment_days = len(local_days(inputs.period_start_utc, inputs.period_end_utc, inputs.time_zone))
        return {t: weight * (inputs.windows[t].days if t in inputs.windows else segment_days)
                for t, weight in weights.items()}
    return weights


def _of_billed(inputs: CampusInputs, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """Shares without the campus tenants absent from the segment (a name the campus does not know stays, so
    `weights_for` still refuses it)."""
    absent = inputs.absent_tenant_ids
    return {tenant_id: share for tenant_id, share in shares.items() if tenant_id not in absent}


def _cell_indexes(period_series: dict[str, Series], tenant_id: str, terms: AllocationTerms) -> list[int]:
    """Grid cells holding each named peak instant (searched: a period settled in segments joins their
    grids); an instant outside the period is an error, not a zero."""
    series = period_series[tenant_series_key(tenant_id)]
    step_us = series.interval_minutes * 60_000_000
    indexes = []
    for instant in terms.peak_intervals_utc:
        instant_us = datetime_to_utc_us(instant)
        index = int(np.searchsorted(series.starts_utc_us, instant_us, side="right")) - 1
        if index < 0 or instant_us >= int(series.starts_utc_us[index]) + step_us:
            raise BadInput("allocation", None, "peak_intervals_utc", f"{instant.isoformat()} is outside the period")
        indexes.append(index)
    return indexes


def _shared_at_fixed_prices(inputs: CampusInputs, shared_wh: int) -> list[TenantCharge]:
    """No shared-consumption contract: split by energy share, billed at each tenant's fixed price."""
    if not inputs.tenant_ids:
        return []
    shares = shared_allocation_wh(shared_wh, _tenant_energy_wh(inputs))
    contracts = []
    for tenant_id in inputs.tenant_ids:
        contract = inputs.fixed_prices.get(tenant_id)
        if contract is None:
            raise ContractMissing(inputs.campus_id, tenant_id, inputs.period_start_utc.isoformat())
        contracts.append(contract)
    prices = [contract.price_usd_per_mwh for contract in contracts]
    amounts = _priced_split("shared consumption at fixed prices", shared_wh, inputs.tenant_ids, shares, prices)
    return [from_fixed_price(tenant_id, Charge("Shared consumption (energy share)", CLAUSE_FIXED_PRICE_SHARED,
                                               shares[tenant_id], UNIT_MWH, price, amount),
                             contract, inputs.intervals_sha256_hex)
            for tenant_id, contract, price, amount in zip(inputs.tenant_ids, contracts, prices, amounts, strict=True)]


def _priced_split(pool: str, pool_wh: int, tenant_ids: list[str], shares_wh: dict[str, int],
                  prices_usd_per_mwh: list[Decimal]) -> list[int]:
    """The micro-USD of an energy pool split into tenant Wh shares, each at its price: the pool's exact amount
    rounded once and apportioned (`pool_energy_amounts_usd_micros`), so the tenant lines add up to the pool's
    money as their Wh add up to its energy. Checks both."""
    energy_wh = [shares_wh[tenant_id] for tenant_id in tenant_ids]
    assert_conserved(f"pool {pool} (Wh)", pool_wh, energy_wh)
    amounts = pool_energy_amounts_usd_micros(energy_wh, prices_usd_per_mwh)
    with localcontext() as context:
        context.prec = 60
        exact_usd_micros = sum((Decimal(wh) * price for wh, price in zip(energy_wh, prices_usd_per_mwh,
                                                                          strict=True)), Decimal(0))
    pool_usd_micros = int(exact_usd_micros.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert_conserved(f"pool {pool} (micro-USD)", pool_usd_micros, amounts)
    return amounts


def _energy_pool(inputs: CampusInputs, contract: ContractVersion, terms: AllocationTerms, pool_wh: int
                 ) -> list[TenantCharge]:
    shares = allocate_by_weights(pool_wh, pool_weights(inputs, terms)) if pool_wh else dict.fromkeys(inputs.tenant_ids, 0)
    prices = []
    for tenant_id in inputs.tenant_ids:
        price = terms.price_usd_per_mwh
        if price is None:
            fixed_price = inputs.fixed_prices.get(tenant_id)
            if fixed_price is None:
                raise ContractMissing(inputs.campus_id, tenant_id, inputs.period_start_utc.isoformat())
            price = fixed_price.price_usd_per_mwh
        prices.append(price)
    amounts = _priced_split(f"{contract.contract_key} ({terms.pool})", pool_wh, inputs.tenant_ids, shares, prices)
    description = f"Allocated {terms.pool.replace('_', ' ')} ({terms.method})"
    return [from_contract(tenant_id, Charge(description, f"allocation.{terms.pool}", shares[tenant_id], UNIT_MWH,
                                            price, amount), contract, inputs.intervals_sha256_hex)
            for tenant_id, price, amount in zip(inputs.tenant_ids, prices, amounts, strict=True)]


def _pool_sources(inputs: CampusInputs, terms: AllocationTerms) -> tuple[ContractVersion, ...]:
    """The contracts a money pool's total comes from (they belong in each allocated line's input hash)."""
    if terms.pool == "grid_tariff":
        return tuple(_campus_tariffs(inputs)[:1])
    if terms.pool == "ppa":
        return tuple(sorted((c for c in inputs.contracts if c.kind == KIND_PPA and c.tenant_id is None),
                            key=lambda c: c.contract_key))
    return ()


def _campus_tariffs(inputs: CampusInputs) -> list[ContractVersion]:
    return sorted((c for c in inputs.contracts if c.kind == KIND_TARIFF and c.tenant_id is None),
                  key=lambda c: c.contract_key)


def _money_pool(inputs: CampusInputs, contract: ContractVersion, terms: AllocationTerms, pool_usd_micros: int,
                sources: tuple[ContractVersion, ...]) -> list[TenantCharge]:
    shares = allocate_by_weights(pool_usd_micros, pool_weights(inputs, terms)) if pool_usd_micros \
        else dict.fromkeys(inputs.tenant_ids, 0)
    if inputs.tenant_ids:
        assert_conserved(f"pool {contract.contract_key} ({terms.pool}, micro-USD)", pool_usd_micros,
                         [shares[tenant_id] for tenant_id in inputs.tenant_ids])
    label = f"Allocated {terms.pool.replace('_', ' ')}" + (f" ({terms.component})" if terms.pool == "grid_tariff"
                                                            else "")
    return [from_contract(tenant_id, usd_charge(f"{label} by {terms.method}", f"allocation.{terms.pool}",
                                                shares[tenant_id]), contract, inputs.intervals_sha256_hex,
                          _prices_sha(inputs) if terms.pool == "ppa" else "", sources)
            for tenant_id in inputs.tenant_ids]


def _prices_sha(inputs: CampusInputs) -> str:
    return "|".join(series.sha256_hex for _, series in sorted(inputs.prices.items()))


def _money_pool_total(inputs: CampusInputs, contract: ContractVersion, terms: AllocationTerms) -> int:
    if terms.pool == "turbine_fuel":
        heat_wh = sum(inputs.meter_totals_wh.get(m.meter_id, 0) for m in inputs.meters
                      if m.role == MeterRole.FUEL)
        assert terms.fuel_price_usd_per_mmbtu is not None
        with localcontext() as context:
            context.prec = 50  # the MMBtu conversion divides; round once, below, to the micro-dollar
            exact_usd = Decimal(heat_wh) / WH_THERMAL_PER_MMBTU * terms.fuel_price_usd_per_mmbtu
            return int((exact_usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert terms.pool == "ppa", terms.pool
    return ppa_pool_usd_micros(inputs)


def _grid_bills(inputs: CampusInputs, contract: ContractVersion) -> list[MonthBill]:
    """The campus utility bill: grid import billed, export meters credited per the tariff's metering option."""
    campus_tariffs = _campus_tariffs(inputs)
    if not campus_tariffs:
        raise BadInput(source_of(contract), None, "pool", "grid_tariff needs a campus urdb_tariff contract")
    tariff = tariff_terms(campus_tariffs[0])
    base = BillOptions(inputs.time_zone, month_days=inputs.month_days)
    return bill_series(tariff, inputs.series[SERIES_GRID_IMPORT], options_for(tariff, base),
                       inputs.series.get(SERIES_EXPORT))


def _grid_tariff_pool(inputs: CampusInputs, contract: ContractVersion, terms: AllocationTerms
                      ) -> list[TenantCharge]:
    """The chosen charges as one USD line per tenant (as before), then, for "all" and "export", the export credit
    as a line of its own: the credited MWh and the (negative) credit are each split by the same weights with
    largest remainder, so tenant parts add up to the bill's own figures; the rate is their ratio, for reading."""
    bills = _grid_bills(inputs, contract)
    sources = _pool_sources(inputs, terms)
    charges = [] if terms.component == "export" else \
        _money_pool(inputs, contract, terms, component_total_usd_micros(bills, terms.component), sources)
    credited_wh, credit_usd_micros = export_credit_totals(bills)
    if terms.component == "all" and credited_wh == 0 and credit_usd_micros == 0:
        return charges  # nothing exported or credited: the bill reads as it always did
    if terms.component not in ("all", "export") or not inputs.tenant_ids:
        return charges
    weights = pool_weights(inputs, terms)
    zero = dict.fromkeys(inputs.tenant_ids, 0)
    wh_parts = allocate_by_weights(credited_wh, weights) if credited_wh else zero
    usd_parts = allocate_by_weights(credit_usd_micros, weights) if credit_usd_micros else zero
    pool = f"pool {contract.contract_key} (grid_tariff export credit"
    assert_conserved(f"{pool}, Wh)", credited_wh, [wh_parts[tenant_id] for tenant_id in inputs.tenant_ids])
    assert_conserved(f"{pool}, micro-USD)", credit_usd_micros, [usd_parts[t] for t in inputs.tenant_ids])
    for tenant_id in inputs.tenant_ids:
        charge = Charge(f"Allocated grid tariff export credit by {terms.method}", "allocation.grid_tariff.export",
                        wh_parts[tenant_id], UNIT_MWH, display_rate(usd_parts[tenant_id], wh_parts[tenant_id]),
                        usd_parts[tenant_id])
        charges.append(from_contract(tenant_id, charge, contract, inputs.intervals_sha256_hex, "", sources))
    return charges
