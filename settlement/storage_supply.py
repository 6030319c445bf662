"""A cycle's battery supply (docs/storage.md, "Settlement"): for each battery whose campus file prices its sources
(`supply_prices_usd_per_mwh`), the period's hours run through the charging-source pool opened from what the previous
period left, and each billed tenant that took discharged energy

- pays it, and its share of the round-trip losses, at the pool's cost (`storage.supply`, `storage.losses` lines);
- is credited the same Wh of its own consumption at its contract's average energy rate of the period
  (`storage.supply_replaced`): battery supply replaces the contract price for the share the battery covered.

The energy rate is the tenant's energy-priced consumption lines (fixed-price supply and tariff lines in MWh) summed,
amount over Wh, so the credit never exceeds what the contract charged for the energy. Demand and monthly charges
stay as the contract has them: the battery does not change the tenant's meter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pyarrow as pa

from campus import StorageAsset
from settlement.contracts import CLAUSE_FIXED_PRICE_SUPPLY
from settlement.storage_hours import MeterLike, storage_figures, storage_hours, storage_period
from settlement.storage_lines import RATE_QUANTUM, storage_energy_lines
from settlement.storage_pool import AMOUNT_COST, Pool, opening_pool, period_stored_wh_end
from settlement.tariffs import UNIT_MWH
from settlement.types import SettlementLine, SettlementResult, with_lines_after_each_tenant

CLAUSE_SUPPLY_REPLACED = "storage.supply_replaced"


def energy_rate_usd_per_mwh(lines: Sequence[SettlementLine], tenant_id: str) -> tuple[int, int]:
    """(micro-USD, Wh) of the tenant's energy-priced consumption lines."""
    mine = [line for line in lines if line.tenant_id == tenant_id and line.unit == UNIT_MWH
            and (line.clause == CLAUSE_FIXED_PRICE_SUPPLY or line.clause.startswith("tariff."))]
    return sum(line.amount_usd_micros for line in mine), sum(line.quantity_wh for line in mine)


def replaced_line(lines: Sequence[SettlementLine], tenant_id: str, asset_id: str, taken_wh: int,
                  inputs_sha256_hex: str) -> SettlementLine | None:
    """The credit of `taken_wh` of the tenant's consumption at its contract energy rate (None: no such line)."""
    amount_usd_micros, energy_wh = energy_rate_usd_per_mwh(lines, tenant_id)
    if energy_wh <= 0 or taken_wh == 0:
        return None
    covered_wh = min(taken_wh, energy_wh)
    with localcontext() as context:
        context.prec = 60
        credit = int((Decimal(amount_usd_micros) * covered_wh / energy_wh).quantize(Decimal(1), ROUND_HALF_EVEN))
        rate = (Decimal(amount_usd_micros) / energy_wh).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)
    return SettlementLine(line_no=0, tenant_id=tenant_id,
                          description=f"Contract supply replaced by battery ({asset_id})",
                          clause=CLAUSE_SUPPLY_REPLACED, quantity_wh=-covered_wh, unit=UNIT_MWH,
                          rate_usd_per_mwh=rate, amount_usd_micros=-credit, contract_id=None,
                          inputs_sha256_hex=inputs_sha256_hex)


def priced_assets(assets: Sequence[StorageAsset]) -> list[StorageAsset]:
    return [asset for asset in assets if asset.supply_prices_usd_per_mwh is not None]


def add_battery_supply(result: SettlementResult, assets: Sequence[StorageAsset], openings: Mapping[str, Pool],
                       energy_rows: pa.Table, meters: Sequence[MeterLike], billed_tenant_ids: Sequence[str],
                       stored_wh_reported_end: Mapping[str, int] | None = None) -> SettlementResult:
    """`result` with each priced battery's supply, losses and replaced-supply lines after each tenant's other lines,
    and the closing pools (`SettlementResult.storage_pools`), which `record_settlement` keeps for the next period.
    `stored_wh_reported_end`: asset id -> the state of charge reported at the period's end, where reported."""
    billed = set(billed_tenant_ids)
    extra: list[SettlementLine] = []
    closing: dict[str, Pool] = {}
    figures: dict[str, dict[str, int]] = {}
    for asset in priced_assets(assets):
        opening = opening_pool(asset, openings.get(asset.asset_id))
        hours = storage_hours(energy_rows, meters, asset)
        charge_wh = sum(hour.charge_wh for hour in hours)
        discharge_wh = sum(hour.discharge_wh for hour in hours)
        stored_wh_end = period_stored_wh_end(asset, opening.energy_wh, charge_wh, discharge_wh,
                                             (stored_wh_reported_end or {}).get(asset.asset_id))
        rates = {source: {AMOUNT_COST: price} for source, price in asset.supply_prices_usd_per_mwh or ()}
        period = storage_period(asset, hours, opening, stored_wh_end, rates)
        extra.extend(storage_energy_lines(asset.asset_id, period, billed, 0, result.intervals_sha256_hex))
        for tenant_id, lots in period.taken_by_party.items():
            if tenant_id in billed:
                line = replaced_line(result.lines, tenant_id, asset.asset_id, sum(lot.energy_wh for lot in lots),
                                     result.intervals_sha256_hex)
                if line is not None:
                    extra.append(line)
        closing[asset.asset_id] = period.closing
        figures[asset.asset_id] = storage_figures(hours, period)
    if not closing:
        return result
    with_lines = with_lines_after_each_tenant(result, extra) if extra else result
    return replace(with_lines, storage_pools=closing, storage_figures=figures)
