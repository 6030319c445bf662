"""Settle a campus period from its files: the interval Parquet is read once, each contract segment aggregated
in one numba pass and priced by the pure rules, and the segments' results joined into one (`results`).

`settle_campus_files` reads the files, then calls its pure part on the rows in memory (`settle_campus_rows`).
A period without a contract change is one segment and settles as it always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campus import StorageAsset, Tenant
from intervals import ENERGY_COLUMNS, MeterIntervals, intervals_of, table_within_period
from settlement.contracts import (
    KIND_PPA,
    KIND_VPPA,
    ContractVersion,
    FixedPriceContract,
    ppa_terms,
    vppa_terms,
)
from settlement.engine.annual import add_annual_reconciliation
from settlement.engine.balance import energy_balance
from settlement.engine.inputs import CampusInputs, Series, tenant_series_key
from settlement.engine.loader import (
    aggregate_series,
    deemed_plan,
    series_minutes_for,
    series_plan,
    split_deemed,
)
from settlement.engine.meters import MeterRef
from settlement.engine.occupancy import SegmentOccupancy, check_energy_within_occupancy, segment_occupancy
from settlement.engine.prices import PriceSeries, price_series, read_price_file
from settlement.engine.results import combine_segments
from settlement.engine.segments import ContractSegment, local_days, month_days
from settlement.engine.settle import settle_campus
from settlement.engine.true_up import NetMeteringYear, add_true_up
from settlement.storage_hours import reported_stored_wh_end
from settlement.storage_lines import add_storage_services
from settlement.storage_pool import Pool
from settlement.storage_supply import add_battery_supply, priced_assets
from settlement.types import SettlementResult


@dataclass(frozen=True)
class CampusSetup:
    """The campus facts the engine reads from the database (kept apart so the engine can run without it).

    `tenant_ids` are the campus's tenants and `tenants` their occupancy (an id without a `Tenant` occupies
    every day). `segments` is the period cut where contract versions change; empty: one segment under
    `contracts` and `fixed_prices`. `annual_counted_before_wh`: Wh counted toward annual take-or-pay minimums by
    earlier recorded periods, per counted clause (`settlement.engine.annual`); `true_up_before`: the campus's
    net-metering figures recorded earlier in the true-up year closing in this period (`settlement.engine.true_up`).
    """

    campus_id: str
    time_zone: ZoneInfo
    meters: list[MeterRef]
    tenant_ids: list[str]
    contracts: list[ContractVersion]
    fixed_prices: dict[str, FixedPriceContract]
    tenants: tuple[Tenant, ...] = ()
    segments: tuple[ContractSegment, ...] = ()
    annual_counted_before_wh: dict[str, int] = field(default_factory=dict)
    true_up_before: NetMeteringYear | None = None
    storage: tuple[StorageAsset, ...] = ()
    """The campus's batteries: their storage services are billed each cycle (settlement.storage_lines)."""
    storage_openings: dict[str, Pool] = field(default_factory=dict)
    """Each battery's pool as the previous period's recorded settlement left it (settlement.storage_supply)."""

    def segments_of(self, start_utc: datetime, end_utc: datetime) -> tuple[ContractSegment, ...]:
        if self.segments:
            return self.segments
        days = local_days(start_utc, end_utc, self.time_zone)
        return (ContractSegment(start_utc, end_utc, days[0], days[-1], tuple(self.contracts),
                                self.fixed_prices),)


@dataclass(frozen=True)
class _PeriodRows:
    """The period's rows split into energy and deemed rows; a segment takes its own window of them unless it
    is the whole period."""

    uri: str
    sha256_hex: str
    energy: pa.Table
    deemed: pa.Table
    segmented: bool

    def within(self, table: pa.Table, segment: ContractSegment) -> pa.Table:
        return table_within_period(table, segment.start_utc, segment.end_utc) if self.segmented else table


def settle_campus_files(setup: CampusSetup, start_utc: datetime, end_utc: datetime,
                        intervals: str | MeterIntervals, prices_uris: Sequence[str]) -> SettlementResult:
    """The campus engine from files: the interval Parquet (unless `intervals` was read already; only its energy
    columns otherwise) and each price file needed are read once, then `settle_campus_rows`."""
    contracts = _distinct(c for segment in setup.segments_of(start_utc, end_utc) for c in segment.contracts)
    rows = intervals_of(intervals, ENERGY_COLUMNS)
    return settle_campus_rows(setup, start_utc, end_utc, rows, load_prices(contracts, prices_uris),
                              reported_stored_wh_end(priced_assets(setup.storage), rows.uri, end_utc))


def settle_campus_rows(setup: CampusSetup, start_utc: datetime, end_utc: datetime, intervals: MeterIntervals,
                       prices: dict[tuple[str, str], PriceSeries],
                       stored_wh_reported_end: dict[str, int] | None = None) -> SettlementResult:
    """The full engine on rows in memory (rows outside the period are left out): one numba pass per segment,
    the pure rules, the segments joined, then the annual reconciliations that close in the period (take-or-pay,
    net-metering true-up). `stored_wh_reported_end`: each battery's state of charge reported at the period's end
    (settlement.storage_hours.reported_stored_wh_end)."""
    intervals = intervals.within(start_utc, end_utc).select(ENERGY_COLUMNS)
    energy_rows, deemed_rows = split_deemed(intervals.uri, intervals.table)
    segments = setup.segments_of(start_utc, end_utc)
    rows = _PeriodRows(intervals.uri, intervals.sha256_hex, energy_rows, deemed_rows, len(segments) > 1)
    occupancies = [segment_occupancy(setup.tenant_ids, setup.tenants, s.start_utc, s.end_utc, setup.time_zone)
                   for s in segments]
    prorating = len(segments) > 1 or any(occupancy.windows for occupancy in occupancies)
    days = month_days(start_utc, end_utc, setup.time_zone) if prorating else {}
    planned = sorted({tenant_id for occupancy in occupancies for tenant_id in occupancy.tenant_ids})
    inputs = [_segment_inputs(setup, segment, occupancy, planned, rows, prices, days)
              for segment, occupancy in zip(segments, occupancies, strict=True)]
    if len(inputs) > 1:
        segment_days = tuple((segment.last_day - segment.first_day).days + 1 for segment in segments)
        inputs = [replace(one, segment_days=segment_days, segment_index=index) for index, one in enumerate(inputs)]
    if len(inputs) == 1:
        result = settle_campus(inputs[0])
    else:
        period_series = _joined_tenant_series(inputs, planned)
        inputs = [replace(one, period_series=period_series) for one in inputs]
        results = [settle_campus(one) for one in inputs]
        totals = _summed([one.meter_totals_wh for one in inputs])
        result = combine_segments(list(zip(segments, results, strict=True)), energy_balance(setup.meters, totals))
    result = add_annual_reconciliation(result, segments, setup.annual_counted_before_wh)
    result = add_true_up(result, inputs[-1], setup.true_up_before)
    result = add_storage_services(result, setup.storage, planned)
    return add_battery_supply(result, setup.storage, setup.storage_openings, energy_rows, setup.meters, planned,
                              stored_wh_reported_end)


def _segment_inputs(setup: CampusSetup, segment: ContractSegment, occupancy: SegmentOccupancy,
                    planned: list[str], rows: _PeriodRows, prices: dict[tuple[str, str], PriceSeries],
                    days: dict[int, int]) -> CampusInputs:
    """Aggregate one segment's rows into series (a series for every tenant billed in any segment, so the
    segments' grids join into the period's) and check no tenant has energy outside its occupancy."""
    start_utc, end_utc, meters = segment.start_utc, segment.end_utc, setup.meters
    ppa_meter_ids = sorted({meter_id for c in segment.contracts if c.kind in (KIND_PPA, KIND_VPPA)
                            for meter_id in _meter_ids(c)})
    plan = series_plan(meters, planned, ppa_meter_ids)
    totals, series = aggregate_series(rows.uri, rows.within(rows.energy, segment), meters, plan,
                                      series_minutes_for(meters, plan, planned), start_utc, end_utc)
    deemed_rows = rows.within(rows.deemed, segment)
    if deemed_rows.num_rows:
        deemed = deemed_plan(plan, ppa_meter_ids)
        minutes = {key: series[plan[meter_id]].interval_minutes for meter_id, key in deemed.items()}
        series.update(aggregate_series(rows.uri, deemed_rows, meters, deemed, minutes, start_utc, end_utc)[1])
    check_energy_within_occupancy(rows.uri, occupancy, series, meters, totals)
    needed = _needed_prices(segment.contracts)
    return CampusInputs(setup.campus_id, setup.time_zone, start_utc, end_utc, meters, totals,
                        occupancy.tenant_ids, series, segment.fixed_prices, list(segment.contracts),
                        {key: found for key, found in prices.items() if key in needed}, rows.sha256_hex,
                        occupancy.windows, occupancy.absent_tenant_ids, days)


def _joined_tenant_series(inputs: Sequence[CampusInputs], tenant_ids: Sequence[str]) -> dict[str, Series]:
    """Each tenant's load over the whole period: its segments' series, end to end."""
    joined: dict[str, Series] = {}
    for tenant_id in tenant_ids:
        parts = [segment_inputs.series[tenant_series_key(tenant_id)] for segment_inputs in inputs]
        joined[tenant_series_key(tenant_id)] = Series(np.concatenate([part.starts_utc_us for part in parts]),
                                                      np.concatenate([part.energy_wh for part in parts]),
                                                      parts[0].interval_minutes)
    return joined


def _summed(totals: Sequence[dict[str, int]]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for part in totals:
        for meter_id, energy_wh in part.items():
            summed[meter_id] = summed.get(meter_id, 0) + energy_wh
    return summed


def _distinct(contracts: Iterable[ContractVersion]) -> list[ContractVersion]:
    return list({(c.contract_key, c.version): c for c in contracts}.values())


def _meter_ids(contract: ContractVersion) -> tuple[str, ...]:
    return ppa_terms(contract).meter_ids if contract.kind == KIND_PPA else vppa_terms(contract).meter_ids


def _needed_prices(contracts: Iterable[ContractVersion]) -> set[tuple[str, str]]:
    """Every (node, market) an index PPA or virtual PPA among `contracts` settles against."""
    needed: set[tuple[str, str]] = set()
    for contract in contracts:
        if contract.kind == KIND_VPPA:
            terms = vppa_terms(contract)
            needed.add((terms.node, terms.market))
        elif contract.kind == KIND_PPA and ppa_terms(contract).ppa.index is not None:
            index = ppa_terms(contract).ppa.index
            assert index is not None
            needed.add((index.node, index.market))
    return needed


def load_prices(contracts: list[ContractVersion], prices_uris: Sequence[str]
                 ) -> dict[tuple[str, str], PriceSeries]:
    """Every (node, market) the contracts need, from every price file that has it (a campus's store keeps one
    file per upload: July's and August's prices are two files). Where files overlap, the highest version of an
    interval wins, as inside one file; the series' hash names each contributing file's sha256, joined by "|"."""
    needed = sorted(_needed_prices(contracts))
    if not needed:
        return {}  # nothing settles against a price: no price file is read
    parts: dict[tuple[str, str], list[tuple[pa.Table, str]]] = {key: [] for key in needed}
    for uri in prices_uris:
        table, sha256_hex = read_price_file(uri)
        for node, market in needed:
            mask = pc.and_(pc.equal(table.column("node"), node), pc.equal(table.column("market"), market))
            rows = table.filter(mask)
            if rows.num_rows:
                parts[(node, market)].append((rows, sha256_hex))
    return {(node, market): price_series(pa.concat_tables([rows for rows, _ in found]), node, market,
                                         "|".join(sha256_hex for _, sha256_hex in found))
            for (node, market), found in parts.items() if found}
