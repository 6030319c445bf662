"""Settlement service: load inputs, call the pure rules, record the lines. What the settle activity calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from common.errors import NotFound
from common.timeutil import require_utc
from settlement import repository
from settlement.campus import ROLE_TENANT, ContractV0, MeterRef
from settlement.campus_engine import settle_campus
from settlement.campus_inputs import CampusInputs
from settlement.campus_loader import (
    aggregate_series,
    deemed_plan,
    read_intervals_for_engine,
    series_minutes_for,
    series_plan,
    split_deemed,
)
from settlement.contract_repository import contracts_in_force
from settlement.contract_terms import ppa_terms, vppa_terms
from settlement.contracts import KIND_PPA, KIND_VPPA, ContractVersion
from settlement.delta import AdjustmentLine, delta_lines, tenant_deltas
from settlement.errors import ContractMissing
from settlement.prices import PriceSeries, price_series, read_price_file
from settlement.rules_v0 import settle_v0
from settlement.types import SettlementResult


def settle_cycle(conn: Connection, campus_id: str, cycle_id: str, period_start_utc: datetime,
                 period_end_utc: datetime, intervals_uri: str, prices_uris: Sequence[str] = ()) -> SettlementResult:
    """Settle one billing cycle of a campus from its validated interval Parquet (INTERVAL_SCHEMA).

    Contracts are the versions in force at the period start (in the campus's local calendar). When the campus has
    full contracts (table `settlement_contract`) the full engine prices the period; otherwise the v0 rule applies
    (core table `contract`). Index-priced contracts read PRICE_SCHEMA files from `prices_uris`. Nothing is written
    (see `record_settlement`). The result does not depend on `cycle_id`, so a retry prices exactly the same.
    """
    start_utc = require_utc(period_start_utc, "period_start_utc")
    end_utc = require_utc(period_end_utc, "period_end_utc")
    time_zone = ZoneInfo(repository.campus_time_zone(conn, campus_id))
    as_of = start_utc.astimezone(time_zone).date()
    contracts = contracts_in_force(conn, campus_id, as_of)
    if contracts:
        return _settle_full(conn, campus_id, time_zone, start_utc, end_utc, intervals_uri, contracts, prices_uris)
    meters = repository.campus_meters(conn, campus_id)
    table, intervals_sha256_hex = read_intervals_for_engine(intervals_uri, start_utc, end_utc)
    energy_rows, _ = split_deemed(intervals_uri, table)  # deemed energy has no price under v0 contracts
    energy, _ = aggregate_series(intervals_uri, energy_rows, meters, {}, {}, start_utc, end_utc)
    contracts_v0 = repository.contracts_v0_effective(conn, campus_id, as_of)
    for tenant_id in _billed_tenants(conn, campus_id, meters):
        if tenant_id not in contracts_v0:
            raise ContractMissing(campus_id, tenant_id, as_of.isoformat())
    return settle_v0(meters, contracts_v0, energy, intervals_sha256_hex)


def _billed_tenants(conn: Connection, campus_id: str, meters: Sequence[MeterRef]) -> list[str]:
    tenants = set(repository.campus_tenant_ids(conn, campus_id))
    tenants |= {meter.tenant_id for meter in meters if meter.role == ROLE_TENANT and meter.tenant_id}
    return sorted(tenants)


@dataclass(frozen=True)
class CampusSetup:
    """The campus facts the full engine reads from the database (kept apart so the engine can run without it)."""

    campus_id: str
    time_zone: ZoneInfo
    meters: list[MeterRef]
    tenant_ids: list[str]
    contracts: list[ContractVersion]
    contracts_v0: dict[str, ContractV0]


def _settle_full(conn: Connection, campus_id: str, time_zone: ZoneInfo, start_utc: datetime, end_utc: datetime,
                 intervals_uri: str, contracts: list[ContractVersion], prices_uris: Sequence[str]) -> SettlementResult:
    meters = repository.campus_meters(conn, campus_id)
    as_of = start_utc.astimezone(time_zone).date()
    setup = CampusSetup(campus_id, time_zone, meters, _billed_tenants(conn, campus_id, meters), contracts,
                        repository.contracts_v0_effective(conn, campus_id, as_of))
    return settle_campus_files(setup, start_utc, end_utc, intervals_uri, prices_uris)


def settle_campus_files(setup: CampusSetup, start_utc: datetime, end_utc: datetime, intervals_uri: str,
                        prices_uris: Sequence[str]) -> SettlementResult:
    """The full engine from files: one read of the interval Parquet, one numba pass, then the pure rules."""
    contracts = setup.contracts
    ppa_meter_ids = sorted({m for c in contracts if c.kind in (KIND_PPA, KIND_VPPA) for m in _meter_ids(c)})
    table, intervals_sha256_hex = read_intervals_for_engine(intervals_uri, start_utc, end_utc)
    energy_rows, deemed_rows = split_deemed(intervals_uri, table)
    plan = series_plan(setup.meters, setup.tenant_ids, ppa_meter_ids)
    totals, series = aggregate_series(intervals_uri, energy_rows, setup.meters, plan,
                                      series_minutes_for(setup.meters, plan, setup.tenant_ids), start_utc, end_utc)
    if deemed_rows.num_rows:
        deemed = deemed_plan(plan, ppa_meter_ids)
        minutes = {key: series[plan[meter_id]].interval_minutes for meter_id, key in deemed.items()}
        series.update(aggregate_series(intervals_uri, deemed_rows, setup.meters, deemed, minutes, start_utc,
                                       end_utc)[1])
    inputs = CampusInputs(setup.campus_id, setup.time_zone, start_utc, end_utc, setup.meters, totals,
                          setup.tenant_ids, series, setup.contracts_v0, contracts,
                          _load_prices(contracts, prices_uris), intervals_sha256_hex)
    return settle_campus(inputs)


def _meter_ids(contract: ContractVersion) -> tuple[str, ...]:
    return ppa_terms(contract).meter_ids if contract.kind == KIND_PPA else vppa_terms(contract).meter_ids


def _load_prices(contracts: list[ContractVersion], prices_uris: Sequence[str]) -> dict[tuple[str, str], PriceSeries]:
    """Every (node, market) an index PPA or virtual PPA needs, from the first price file that has it."""
    needed: set[tuple[str, str]] = set()
    for contract in contracts:
        if contract.kind == KIND_VPPA:
            terms = vppa_terms(contract)
            needed.add((terms.node, terms.market))
        elif contract.kind == KIND_PPA and ppa_terms(contract).ppa.index is not None:
            index = ppa_terms(contract).ppa.index
            assert index is not None
            needed.add((index.node, index.market))
    found: dict[tuple[str, str], PriceSeries] = {}
    for uri in prices_uris:
        table, sha256_hex = read_price_file(uri)
        for node, market in sorted(needed - set(found)):
            candidate = price_series(table, node, market, sha256_hex)
            if candidate.starts_utc_us.size:
                found[(node, market)] = candidate
    return found


def record_settlement(conn: Connection, cycle_id: str, result: SettlementResult) -> None:
    """Store the result as revision 0 of the cycle. Idempotent: the same result again is a no-op; a different
    result raises SettlementAlreadyRecorded (a correction is posted with `record_delta`, never by editing)."""
    if repository.insert_settlement(conn, cycle_id, result):
        return
    if repository.recorded_result_sha256_hex(conn, cycle_id) != repository.result_sha256_hex(result):
        raise repository.SettlementAlreadyRecorded(cycle_id)


class CycleNotSettled(NotFound):
    def __init__(self, cycle_id: str) -> None:
        super().__init__(f"cycle {cycle_id} has no recorded settlement to correct")


@dataclass(frozen=True)
class DeltaSettlement:
    """Revision `revision` of a cycle: only the differences from what was settled before (for ledger adjustments).
    `already_recorded` is True when the same corrected result had been recorded (nothing new was written)."""

    cycle_id: str
    revision: int
    adjustments: list[AdjustmentLine]
    tenant_deltas_usd_micros: dict[str, int]
    already_recorded: bool


def record_delta(conn: Connection, cycle_id: str, corrected: SettlementResult) -> DeltaSettlement:
    """Post a corrected settlement as a delta revision; the original lines and earlier deltas are never edited.
    Idempotent: recording the same corrected result again returns the revision it produced."""
    revision, latest_sha256_hex, position = repository.settled_position(conn, cycle_id)
    if revision < 0:
        raise CycleNotSettled(cycle_id)
    if latest_sha256_hex == repository.result_sha256_hex(corrected):
        return DeltaSettlement(cycle_id, revision, [], {}, already_recorded=True)
    adjustments = delta_lines(position, corrected.lines)
    inserted = repository.insert_revision(conn, cycle_id, revision + 1, corrected, adjustments)
    assert inserted, "the original run row lock serializes delta recorders"
    return DeltaSettlement(cycle_id, revision + 1, adjustments, tenant_deltas(adjustments), already_recorded=False)


def record_settlement_or_delta(conn: Connection, cycle_id: str, result: SettlementResult) -> DeltaSettlement:
    """What a re-settle step calls: the first settlement of a cycle is stored as revision 0; a later, different
    result is stored as a delta revision; the same result again changes nothing. Returns the revision in force."""
    if repository.insert_settlement(conn, cycle_id, result):
        return DeltaSettlement(cycle_id, 0, [], {}, already_recorded=False)
    return record_delta(conn, cycle_id, result)
