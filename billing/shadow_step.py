"""The cycle's shadow participation step: beside the real settlement, what the campus would have earned in its
ISO's markets under its `[market]` guardrails, from the same validated intervals and the campus's stored prices.

It never changes a bill: the result is recorded as the cycle step `shadow` and as one memo ledger entry in
USD_SHADOW/6 (never billed money). A campus without a `[market]` section records that it has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from billing import repository as repo
from billing.campus_period import load_campus_period
from billing.runs import step_name
from campus import (
    Meter,
    MeterRole,
    iso_submission_settings,
    load_campus,
    load_meters,
    load_storage_assets,
    load_tenants,
    market_settings,
)
from common.errors import BadInput
from intervals import ENERGY_COLUMNS, meter_cell_sums, read_intervals
from ledger import append_checkpointed, ensure_ledger, open_accounts
from ledger.accounts import account_spec
from market_adapters.price_files import campus_price_uris
from market_adapters.prices import latest_prices, read_prices_parquet, require_usd
from participation.document import memo_entry, shadow_document
from participation.registration import registration_package
from participation.report import ShadowReport, shadow_report
from participation.rules import market_rules
from participation.shadow import MeteredPeriod, shadow_period
from participation.storage_programs import storage_resource, with_storage
from settings import Settings

STEP = "shadow"


def run_shadow_step(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                    settlement_version: int, validated_uri: str, run_label: str = "") -> dict[str, Any]:
    """Compute, record and post the cycle's shadow participation; returns the recorded step result."""
    with engine.begin() as conn:
        section = market_settings(conn, campus_id)
        scope = load_campus_period(conn, campus_id, period)
        tenant_ids = [tenant.tenant_id for tenant in load_tenants(conn, campus_id)]
        storage_assets = load_storage_assets(conn, campus_id)
    campus, meters = scope.campus, list(scope.meters)
    start_utc, end_utc = scope.bounds_utc
    if not section:
        recorded: dict[str, Any] = {"status": "not_configured",
                                    "reason": "the campus file has no [market] section (docs/market-participation.md)"}
    else:
        node = section.get("node") or campus.settlement_point
        if not node:
            raise BadInput(campus_id, None, "market.node", "no price node: set market.node or campus.settlement_point")
        prices, price_minutes = _node_prices(campus_price_uris(settings, campus_id), node, section.get("price_market", "RT"),
                                             start_utc, end_utc)
        rules = market_rules(section, start_utc, end_utc)
        cell_minutes = max(price_minutes, *(m.interval_minutes for m in meters))
        if rules.dr_threshold_usd_per_mwh is not None:
            cell_minutes = max(cell_minutes, 60)  # economic demand response settles hourly
        metered = _metered(validated_uri, meters, [g.unit_id for g in rules.generators], start_utc, end_utc,
                           cell_minutes, campus.time_zone)
        grid_prices = _prices_on_grid(prices, metered.interval, price_minutes)
        result = shadow_period(metered, grid_prices, rules)
        cycles = int(section.get("storage_cycles_per_day_max") or 1)
        result = with_storage(result, metered, grid_prices, rules,
                              [storage_resource(asset, cycles) for asset in storage_assets])
        document = shadow_document(result, campus_id=campus_id, cycle_id=cycle_id, node=node,
                                   period_start_utc=start_utc, period_end_utc=end_utc,
                                   interval_minutes=int(metered.interval.total_seconds()) // 60)
        # Every tenant of the campus has a line: those not listed in [market] are firm, their effect zero.
        effect = {tenant_id: 0 for tenant_id in tenant_ids} | document["tenant_bill_effect_usd_micros"]
        document["tenant_bill_effect_usd_micros"] = dict(sorted(effect.items()))
        recorded = {"status": "computed", "settlement_version": settlement_version,
                    "priced_intervals": len(grid_prices), "intervals": len(metered.starts_utc), **document}
    with engine.begin() as conn:
        if recorded["status"] == "computed":
            entry = memo_entry(recorded, settlement_version, end_utc)
            if entry is not None:
                ensure_ledger(conn, settings.ledger_origin)
                open_accounts(conn, settings.ledger_origin,
                              [account_spec(p.account_path, p.asset_code) for p in entry.postings])
                append_checkpointed(conn, settings.ledger_origin, [entry], settings.signing_key_path)
                recorded["ledger_idempotency_key"] = entry.idempotency_key
        repo.record_step(conn, cycle_id, step_name(STEP, run_label), recorded)
    return recorded


def recorded_shadow(engine: Engine, cycle_id: str) -> dict[str, Any]:
    """The cycle's recorded shadow step (NotFound when the cycle has none: settled before the step existed)."""
    with engine.connect() as conn:
        return repo.load_step(conn, cycle_id, STEP)


def shadow_report_of(engine: Engine, cycle_id: str) -> ShadowReport:
    """The report model of the cycle's recorded shadow step (the staff page and the PDF render it)."""
    return shadow_report(cycle_id, recorded_shadow(engine, cycle_id))


def campus_registration(engine: Engine, campus_id: str, iso: str) -> dict[str, Any]:
    """The campus's ISO registration package from its latest campus file (docs/market-participation.md)."""
    with engine.connect() as conn:
        campus = load_campus(conn, campus_id)
        meters = load_meters(conn, campus_id)
        section = market_settings(conn, campus_id)
        _, duns = iso_submission_settings(conn, campus_id)
    return registration_package(iso, campus, meters, section, duns)


def _node_prices(uris: Sequence[str], node: str, market: str, start_utc: datetime, end_utc: datetime
                 ) -> tuple[dict[datetime, Decimal], int]:
    """The node's latest-version prices of `market` in the period, and their interval length in minutes."""
    tables = [read_prices_parquet(uri) for uri in uris]
    if not tables:
        return {}, 60
    table = pa.concat_tables(tables)
    mask = pc.and_(pc.equal(table["node"], node), pc.equal(table["market"], market))
    table = latest_prices(table.filter(mask))
    require_usd(table, f"{market} prices at {node}")
    minutes = {int(m) for m in table["interval_minutes"].to_pylist()}
    if len(minutes) > 1:
        raise BadInput(node, None, "interval_minutes", f"{market} prices at {node} mix interval lengths {sorted(minutes)}")
    prices = {start: price for start, price in zip(table["interval_start_utc"].to_pylist(),
                                                   table["lmp_usd_per_mwh"].to_pylist(), strict=True)
              if start_utc <= start < end_utc}
    return prices, minutes.pop() if minutes else 60


def _metered(validated_uri: str, meters: Sequence[Meter], generator_meters: Sequence[str], start_utc: datetime,
             end_utc: datetime, cell_minutes: int, time_zone: str) -> MeteredPeriod:
    """Grid import, each listed generator and each tenant, summed on cells of `cell_minutes` from the period start."""
    cell = timedelta(minutes=cell_minutes)
    count = int((end_utc - start_utc) / cell)
    starts = tuple(start_utc + n * cell for n in range(count))
    sums = meter_cell_sums(read_intervals(validated_uri, ENERGY_COLUMNS).table, cell_minutes)
    first = int((start_utc - datetime(1970, 1, 1, tzinfo=UTC)) / cell)
    by_meter: dict[str, list[int]] = {}
    for meter, period, energy_wh in zip(sums.meter_index.tolist(), sums.period_index.tolist(), sums.energy_wh.tolist(),
                                        strict=True):
        index = int(sums.period_numbers[period]) - first
        if 0 <= index < count:
            by_meter.setdefault(sums.meter_ids[meter], [0] * count)[index] += energy_wh
    zero = [0] * count

    def total(ids: Sequence[str]) -> tuple[int, ...]:
        return tuple(sum(values) for values in zip(*(by_meter.get(i, zero) for i in ids), strict=True)) if ids \
            else tuple(zero)

    tenants: dict[str, list[str]] = {}
    for meter in meters:
        if meter.role == MeterRole.TENANT and meter.tenant_id:
            tenants.setdefault(meter.tenant_id, []).append(meter.meter_id)
    grid = [m.meter_id for m in meters if m.role == MeterRole.GRID_IMPORT]
    return MeteredPeriod(cell, starts, total(grid), {g: tuple(by_meter.get(g, zero)) for g in generator_meters},
                         {tenant: total(ids) for tenant, ids in tenants.items()}, time_zone)


def _prices_on_grid(prices: Mapping[datetime, Decimal], cell: timedelta, price_minutes: int) -> dict[datetime, Decimal]:
    """Prices on the metered cells: as they are when the cells are the price intervals, else the mean of the price
    intervals a cell holds (all of them present: a cell with a missing price is left unpriced)."""
    step = timedelta(minutes=price_minutes)
    per_cell = int(cell / step)
    if per_cell <= 1:
        return dict(prices)
    grid: dict[datetime, list[Decimal]] = {}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for start, price in prices.items():
        grid.setdefault(epoch + ((start - epoch) // cell) * cell, []).append(price)
    with localcontext() as context:
        context.prec = 40
        return {start: sum(values, Decimal(0)) / len(values) for start, values in grid.items() if len(values) == per_cell}
