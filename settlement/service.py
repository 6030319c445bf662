"""Settlement service: load inputs, call the pure rules, record the lines. What the settle activity calls."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from common.timeutil import require_utc
from settlement import repository
from settlement.campus import ROLE_TENANT
from settlement.errors import ContractMissing, MeterUnknown
from settlement.intervals import energy_wh_by_meter, read_interval_file, within_period
from settlement.rules_v0 import settle_v0
from settlement.types import SettlementResult


def settle_cycle(conn: Connection, campus_id: str, cycle_id: str, period_start_utc: datetime,
                 period_end_utc: datetime, intervals_uri: str) -> SettlementResult:
    """Settle one billing cycle of a campus from its validated interval Parquet (INTERVAL_SCHEMA).

    Reads meters and the contract versions effective at the period start (in the campus's local calendar),
    prices the intervals in [period_start_utc, period_end_utc), and returns the lines; nothing is written
    (see `record_settlement`). `cycle_id` is accepted so a full-engine run can name its inputs.
    """
    start_utc = require_utc(period_start_utc, "period_start_utc")
    end_utc = require_utc(period_end_utc, "period_end_utc")
    time_zone = ZoneInfo(repository.campus_time_zone(conn, campus_id))
    meters = repository.campus_meters(conn, campus_id)
    table, intervals_sha256_hex = read_interval_file(intervals_uri)
    table = within_period(table, start_utc, end_utc)
    energy = energy_wh_by_meter(intervals_uri, table)
    known_meter_ids = {meter.meter_id for meter in meters}
    for meter_id in sorted(energy):
        if meter_id not in known_meter_ids:
            raise MeterUnknown(intervals_uri, meter_id)
    as_of = start_utc.astimezone(time_zone).date()
    contracts = repository.contracts_v0_effective(conn, campus_id, as_of)
    billed_tenants = set(repository.campus_tenant_ids(conn, campus_id))
    billed_tenants |= {meter.tenant_id for meter in meters if meter.role == ROLE_TENANT and meter.tenant_id}
    for tenant_id in sorted(billed_tenants):
        if tenant_id not in contracts:
            raise ContractMissing(campus_id, tenant_id, as_of.isoformat())
    return settle_v0(meters, contracts, energy, intervals_sha256_hex)


def record_settlement(conn: Connection, cycle_id: str, result: SettlementResult) -> None:
    """Store the result as revision 0 of the cycle. Idempotent: the same result again is a no-op; a different
    result raises SettlementAlreadyRecorded (a correction is posted with `record_delta`, never by editing)."""
    if repository.insert_settlement(conn, cycle_id, result):
        return
    if repository.recorded_result_sha256_hex(conn, cycle_id) != repository.result_sha256_hex(result):
        raise repository.SettlementAlreadyRecorded(cycle_id)
