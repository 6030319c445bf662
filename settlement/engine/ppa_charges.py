"""PPAs and virtual PPAs on a campus: the contract's meters form one delivery series, priced by `settlement.contracts.ppa`."""

from __future__ import annotations

import numpy as np

from common.errors import BadInput
from settlement.contracts import (
    FORM_INDEX,
    KIND_PPA,
    ContractVersion,
    annual_counted_charge,
    days_by_contract_year,
    ppa_terms,
    settle_ppa_energy,
    settle_ppa_extras,
    settle_vppa,
    source_of,
    vppa_terms,
    wh_by_contract_year,
)
from settlement.engine.inputs import CampusInputs, Series, meter_series_key
from settlement.engine.lines import TenantCharge, from_contract
from settlement.engine.prices import PriceSeries, prices_for_intervals
from settlement.engine.segments import local_days
from settlement.tariffs import Charge

DEEMED_SERIES_PREFIX = "deemed:"


def delivery_series(inputs: CampusInputs, contract: ContractVersion, series_keys: list[str], required: bool
                    ) -> Series | None:
    """Sum of the named series (one grid required); None when none exists and it is not required (deemed data)."""
    parts = [inputs.series[key] for key in series_keys if key in inputs.series]
    if not parts:
        if required:
            raise BadInput(source_of(contract), None, "meter_ids", f"no interval data for {series_keys}")
        return None
    if len({(p.interval_minutes, p.energy_wh.size) for p in parts}) > 1:
        raise BadInput(source_of(contract), None, "meter_ids", "the meters are on different interval grids")
    return Series(parts[0].starts_utc_us, np.sum([p.energy_wh for p in parts], axis=0, dtype=np.int64),
                  parts[0].interval_minutes)


def _delivering(series: Series) -> Series:
    """Only the intervals with energy: an interval that delivers nothing settles to zero whatever its price, so it
    needs no price (and a missing price there must not block the cycle)."""
    mask = series.energy_wh != 0
    return Series(series.starts_utc_us[mask], series.energy_wh[mask], series.interval_minutes)


def _meter_keys(meter_ids: tuple[str, ...]) -> list[str]:
    return [meter_series_key(meter_id) for meter_id in meter_ids]


def _deemed_keys(meter_ids: tuple[str, ...]) -> list[str]:
    return [DEEMED_SERIES_PREFIX + meter_id for meter_id in meter_ids]


def _ppa_contract_charges(inputs: CampusInputs, contract: ContractVersion) -> tuple[list[Charge], str]:
    terms = ppa_terms(contract)
    series = delivery_series(inputs, contract, _meter_keys(terms.meter_ids), True)
    assert series is not None
    lmps, prices_sha = None, ""
    if terms.ppa.form == FORM_INDEX:
        assert terms.ppa.index is not None
        series = _delivering(series)
        price_series = _prices(inputs, contract, terms.ppa.index.node, terms.ppa.index.market)
        lmps, prices_sha = prices_for_intervals(price_series, series.starts_utc_us, series.interval_minutes), \
            price_series.sha256_hex
    charges = settle_ppa_energy(terms.ppa, series.starts_utc_us, series.energy_wh, inputs.time_zone, lmps)
    # Deemed energy and the shortfall are priced at the contract year of their own intervals and days (a month
    # crossing an anniversary pays each part at its year's price), like the delivered energy above.
    deemed = delivery_series(inputs, contract, _deemed_keys(terms.meter_ids), False)
    deemed_wh_by_year = {} if deemed is None else \
        wh_by_contract_year(deemed.starts_utc_us, deemed.energy_wh, inputs.time_zone, terms.ppa.first_delivery)
    days = local_days(inputs.period_start_utc, inputs.period_end_utc, inputs.time_zone)
    charges += settle_ppa_extras(terms.ppa, int(series.energy_wh.sum()), deemed_wh_by_year,
                                 days_by_contract_year(days, terms.ppa.first_delivery), inputs.segment_days,
                                 inputs.segment_index)
    if terms.ppa.take_or_pay_mwh_per_contract_year is not None:
        delivered = wh_by_contract_year(series.starts_utc_us, series.energy_wh, inputs.time_zone,
                                        terms.ppa.first_delivery)
        charges += _annual_counted(contract.contract_key, delivered, deemed_wh_by_year)
    return charges, prices_sha


def _annual_counted(contract_key: str, delivered_wh_by_year: dict[int, int], deemed_wh_by_year: dict[int, int]
                    ) -> list[Charge]:
    """Zero-dollar lines recording the Wh (delivered + deemed) counted toward each contract year's annual
    minimum; the month holding a year's last day reconciles it (`settlement.engine.annual`)."""
    years = sorted(set(delivered_wh_by_year) | set(deemed_wh_by_year))
    counted = {year: delivered_wh_by_year.get(year, 0) + deemed_wh_by_year.get(year, 0) for year in years}
    return [annual_counted_charge(contract_key, year, wh) for year, wh in counted.items() if wh]


def _prices(inputs: CampusInputs, contract: ContractVersion, node: str, market: str) -> PriceSeries:
    price_series = inputs.prices.get((node, market))
    if price_series is None:
        raise BadInput(source_of(contract), None, "node", f"no price file supplied for {market} {node}")
    return price_series


def ppa_charges(inputs: CampusInputs, contract: ContractVersion) -> list[TenantCharge]:
    """Lines for a PPA bought by a tenant; a campus-bought PPA (no tenant) reaches tenants via pool "ppa"."""
    if contract.tenant_id is None:
        return []
    charges, prices_sha = _ppa_contract_charges(inputs, contract)
    return [from_contract(contract.tenant_id, charge, contract, inputs.intervals_sha256_hex, prices_sha)
            for charge in charges]


def ppa_pool_usd_micros(inputs: CampusInputs) -> int:
    """Total cost of the PPAs bought by the campus itself (to be allocated to tenants)."""
    total = 0
    for contract in inputs.contracts:
        if contract.kind == KIND_PPA and contract.tenant_id is None:
            total += sum(charge.amount_usd_micros for charge in _ppa_contract_charges(inputs, contract)[0])
    return total


def vppa_charges(inputs: CampusInputs, contract: ContractVersion) -> list[TenantCharge]:
    terms = vppa_terms(contract)
    if contract.tenant_id is None:
        raise BadInput(source_of(contract), None, "tenant_id", "a virtual PPA needs a buyer tenant")
    series = delivery_series(inputs, contract, _meter_keys(terms.meter_ids), True)
    assert series is not None
    series = _delivering(series)
    price_series = _prices(inputs, contract, terms.node, terms.market)
    lmps = prices_for_intervals(price_series, series.starts_utc_us, series.interval_minutes)
    charge = settle_vppa(terms.strike_usd_per_mwh, series.energy_wh.tolist(), lmps.tolist(),
                         terms.settle_negative_prices, terms.node)
    return [from_contract(contract.tenant_id, charge, contract, inputs.intervals_sha256_hex, price_series.sha256_hex)]
