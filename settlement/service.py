"""Settlement service: load inputs, call the pure rules, record the lines. What the settle activity calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from campus import MeterRole, load_campus, load_meters, load_storage_assets, load_tenants
from common.errors import NotFound
from common.timeutil import require_utc
from intervals import MeterIntervals
from settlement import repository
from settlement.contracts import (
    ANNUAL_COUNTED_CLAUSE_PREFIX,
    KIND_PPA,
    KIND_TARIFF,
    ContractVersion,
    contract_history,
    fixed_prices_through,
    ppa_terms,
    tariff_terms,
)
from settlement.engine import (
    AdjustmentLine,
    CampusSetup,
    ContractSegment,
    MeterRef,
    NetMeteringYear,
    closing_true_up_day,
    contract_segments,
    delta_lines,
    local_days,
    settle_campus_files,
    tenant_deltas,
    true_up_months,
)
from settlement.storage_supply import priced_assets
from settlement.types import SettlementResult


def settle_cycle(conn: Connection, campus_id: str, cycle_id: str, period_start_utc: datetime,
                 period_end_utc: datetime, intervals: str | MeterIntervals, prices_uris: Sequence[str] = ()
                 ) -> SettlementResult:
    """Settle one billing cycle of a campus from its validated interval Parquet (INTERVAL_SCHEMA): its URI, or
    the file as the caller has read it already (`intervals.read_intervals`).

    Each interval is priced by the contract versions in force on its local date (the campus's calendar): the
    period is cut where they change and each segment is settled on its own window (`settlement.engine.segments`).
    Only tenants occupying a day of a segment are billed in it. Index-priced contracts read PRICE_SCHEMA files
    from `prices_uris`. Nothing is written (see `record_settlement`).
    An annual take-or-pay closing in the period counts what the campus's other recorded cycles counted toward
    that contract year; the cycle's own recorded lines are never counted, so a retry prices exactly the same.
    """
    start_utc = require_utc(period_start_utc, "period_start_utc")
    end_utc = require_utc(period_end_utc, "period_end_utc")
    setup = load_setup(conn, campus_id, start_utc, end_utc, cycle_id)
    return settle_campus_files(setup, start_utc, end_utc, intervals, prices_uris)


def load_setup(conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime,
               cycle_id: str | None = None) -> CampusSetup:
    """Campus facts through the `campus` package, every contract version effective by the period's last local
    day, cut into segments, and the Wh other recorded cycles (all but `cycle_id`) counted toward annual take-or-pay
    minimums. Raises `campus.CampusNotFound`."""
    time_zone = ZoneInfo(load_campus(conn, campus_id).time_zone)
    meters = [MeterRef.of(meter) for meter in load_meters(conn, campus_id)]
    tenants = tuple(load_tenants(conn, campus_id))
    last_day = local_days(start_utc, end_utc, time_zone)[-1]
    history = [c for c in contract_history(conn, campus_id) if c.effective_from <= last_day]
    segments = contract_segments(start_utc, end_utc, time_zone, history,
                                 fixed_prices_through(conn, campus_id, last_day))
    tenant_ids = {tenant.tenant_id for tenant in tenants}
    tenant_ids |= {meter.tenant_id for meter in meters if meter.role == MeterRole.TENANT and meter.tenant_id}
    storage = tuple(load_storage_assets(conn, campus_id))
    counted = repository.annual_counted_wh(conn, campus_id, ANNUAL_COUNTED_CLAUSE_PREFIX, cycle_id or "") \
        if any(_has_annual_minimum(c) for segment in segments for c in segment.contracts) else {}
    return CampusSetup(campus_id, time_zone, meters, sorted(tenant_ids), list(segments[0].contracts),
                       segments[0].fixed_prices, tenants, tuple(segments), counted,
                       _true_up_before(conn, campus_id, segments[-1], local_days(start_utc, end_utc, time_zone),
                                       cycle_id or ""), storage,
                       repository.previous_storage_pools(conn, campus_id, start_utc) if priced_assets(storage) else {})


def _true_up_before(conn: Connection, campus_id: str, last_segment: ContractSegment, days: list[date],
                    cycle_id: str) -> NetMeteringYear | None:
    """What the campus's other recorded cycles of the true-up year closing in this period hold (None when no
    campus tariff's true-up month closes here)."""
    for contract in last_segment.contracts:
        if contract.kind != KIND_TARIFF or contract.tenant_id is not None:
            continue
        true_up = tariff_terms(contract).true_up
        closing_day = None if true_up is None else closing_true_up_day(days, true_up)
        if closing_day is not None:
            first_period, closing_period = true_up_months(closing_day)
            return NetMeteringYear(*repository.net_metering_year(conn, campus_id, first_period, closing_period,
                                                                 cycle_id))
    return None


def _has_annual_minimum(contract: ContractVersion) -> bool:
    return contract.kind == KIND_PPA and ppa_terms(contract).ppa.take_or_pay_mwh_per_contract_year is not None


def record_settlement(conn: Connection, cycle_id: str, result: SettlementResult) -> None:
    """Store the result as revision 0 of the cycle. Idempotent: the same result again is a no-op; a different
    result raises SettlementAlreadyRecorded (a correction is posted with `record_delta`, never by editing)."""
    if repository.insert_settlement(conn, cycle_id, result):
        repository.insert_storage_pools(conn, cycle_id, 0, result.storage_pools)
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


def preview_delta(conn: Connection, cycle_id: str, corrected: SettlementResult) -> DeltaSettlement:
    """What `record_delta` would record for `corrected`, without recording it (for a correction that finance
    has still to approve). `already_recorded` is True when `corrected` is what is in force already."""
    revision, latest_sha256_hex, position = repository.settled_position(conn, cycle_id)
    if revision < 0:
        raise CycleNotSettled(cycle_id)
    if latest_sha256_hex == repository.result_sha256_hex(corrected):
        return DeltaSettlement(cycle_id, revision, [], {}, already_recorded=True)
    adjustments = delta_lines(position, corrected.lines)
    return DeltaSettlement(cycle_id, revision + 1, adjustments, tenant_deltas(adjustments), already_recorded=False)


def record_delta(conn: Connection, cycle_id: str, corrected: SettlementResult) -> DeltaSettlement:
    """Post a corrected settlement as a delta revision; the original lines and earlier deltas are never edited.
    Idempotent: recording the same corrected result again returns the revision it produced."""
    delta = preview_delta(conn, cycle_id, corrected)
    if delta.already_recorded:
        return delta
    inserted = repository.insert_revision(conn, cycle_id, delta.revision, corrected, delta.adjustments)
    assert inserted, "the original run row lock serializes delta recorders"
    repository.insert_storage_pools(conn, cycle_id, delta.revision, corrected.storage_pools)
    return delta


def record_settlement_or_delta(conn: Connection, cycle_id: str, result: SettlementResult) -> DeltaSettlement:
    """What a re-settle step calls: the first settlement of a cycle is stored as revision 0; a later, different
    result is stored as a delta revision; the same result again changes nothing. Returns the revision in force."""
    if repository.insert_settlement(conn, cycle_id, result):
        repository.insert_storage_pools(conn, cycle_id, 0, result.storage_pools)
        return DeltaSettlement(cycle_id, 0, [], {}, already_recorded=False)
    return record_delta(conn, cycle_id, result)
