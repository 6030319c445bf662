"""What a tenant's portal shows (`api.web.tenant`): its documents and its metered usage, on the campuses its
principal is bound to. Read side only; every query names the tenant *and* the campuses, because a tenant id is
unique only within a campus.

Usage comes from each cycle's validated interval file (the validate step's `validated_uri`), restricted to the
tenant's own meters and summed per interval across them; a day is the campus's local calendar day.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from campus import MeterRole, load_campus, load_meters
from intervals import read_intervals
from invoicing import repository
from invoicing.errors import CycleNotFound
from invoicing.queries import CreditNoteSummary, InvoiceSummary, list_invoice_summaries

PORTAL_ROWS_MAX = 200
USAGE_COLUMNS = ("meter_id", "interval_start_utc", "energy_wh")
# Exported usage: one row per interval start, the tenant's meters summed.
USAGE_EXPORT_SCHEMA = pa.schema([
    pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("interval_start_local", pa.string(), nullable=False),
    pa.field("energy_wh", pa.int64(), nullable=False),
])


@dataclass(frozen=True)
class PortalCycle:
    cycle_id: str
    campus_id: str
    campus_name: str
    period: str
    time_zone: str
    invoiced: bool


@dataclass(frozen=True)
class TenantDocuments:
    invoices: list[InvoiceSummary]
    credit_notes: list[CreditNoteSummary]
    cycles: list[PortalCycle]
    """Cycles of the tenant's campuses with usage or an invoice for it, newest first."""


@dataclass(frozen=True)
class TenantUsage:
    cycle: PortalCycle
    table: pa.Table
    """USAGE_EXPORT_SCHEMA rows, in time order."""

    def daily_energy_wh(self) -> list[tuple[str, int]]:
        """(local day, Wh) in order: an interval counts toward the local day it begins in."""
        days: dict[str, int] = {}
        for local, energy_wh in zip(self.table.column("interval_start_local").to_pylist(),
                                    self.table.column("energy_wh").to_pylist(), strict=True):
            days[local[:10]] = days.get(local[:10], 0) + int(energy_wh)
        return list(days.items())

    def csv_bytes(self) -> bytes:
        lines = ["interval_start_utc,interval_start_local,energy_wh"]
        for start_utc, local, energy_wh in zip(self.table.column("interval_start_utc").to_pylist(),
                                               self.table.column("interval_start_local").to_pylist(),
                                               self.table.column("energy_wh").to_pylist(), strict=True):
            lines.append(f"{start_utc:%Y-%m-%dT%H:%M:%SZ},{local},{energy_wh}")
        return ("\n".join(lines) + "\n").encode()

    def parquet_bytes(self) -> bytes:
        sink = io.BytesIO()
        pq.write_table(self.table, sink)
        return sink.getvalue()


def tenant_documents(conn: Connection, tenant_id: str, campus_ids: frozenset[str]) -> TenantDocuments:
    """The tenant's invoices, credit notes and billing cycles on `campus_ids` (nothing for no campus)."""
    if not campus_ids:
        return TenantDocuments([], [], [])
    invoices = list_invoice_summaries(conn, tenant_id, None, PORTAL_ROWS_MAX, campus_ids)
    notes = conn.execute(
        text("SELECT c.credit_note_id, c.invoice_id, c.amount_usd_cents, c.reason, c.document_sha256_hex, "
             "c.issued_at_utc FROM credit_note c JOIN invoice i ON i.invoice_id = c.invoice_id "
             "WHERE c.tenant_id = :t AND i.campus_id = ANY(:campuses) ORDER BY c.issued_at_utc DESC LIMIT :n"),
        {"t": tenant_id, "campuses": sorted(campus_ids), "n": PORTAL_ROWS_MAX},
    ).all()
    invoiced = {summary.cycle_id for summary in invoices if summary.status != "cancelled"}
    rows = conn.execute(
        text("SELECT b.cycle_id, b.campus_id, c.name, b.period, c.time_zone FROM billing_cycle b "
             "JOIN campus c ON c.campus_id = b.campus_id JOIN tenant t ON t.campus_id = b.campus_id "
             "WHERE t.tenant_id = :t AND b.campus_id = ANY(:campuses) "
             "ORDER BY b.period DESC, b.campus_id LIMIT :n"),
        {"t": tenant_id, "campuses": sorted(campus_ids), "n": PORTAL_ROWS_MAX},
    ).all()
    cycles = [PortalCycle(row[0], row[1], row[2], row[3], row[4], row[0] in invoiced) for row in rows]
    return TenantDocuments(invoices, [CreditNoteSummary(*note) for note in notes], cycles)


def tenant_cycle(conn: Connection, cycle_id: str, tenant_id: str, campus_ids: frozenset[str]) -> PortalCycle:
    """One cycle of the tenant's campuses; `CycleNotFound` for any other (the tenant learns nothing else)."""
    for cycle in tenant_documents(conn, tenant_id, campus_ids).cycles:
        if cycle.cycle_id == cycle_id:
            return cycle
    raise CycleNotFound(cycle_id)


def tenant_interval_usage(conn: Connection, cycle: PortalCycle, tenant_id: str) -> TenantUsage:
    """The tenant's interval energy in the cycle (its meters summed per interval start); empty when the cycle has
    no validated interval file yet."""
    validate_result = repository.load_step_result(conn, cycle.cycle_id, "validate") or {}
    validated_uri = validate_result.get("validated_uri")
    meter_ids = sorted(meter.meter_id for meter in load_meters(conn, cycle.campus_id)
                       if meter.role == MeterRole.TENANT and meter.tenant_id == tenant_id)
    zone = ZoneInfo(load_campus(conn, cycle.campus_id).time_zone)
    if not isinstance(validated_uri, str) or not Path(validated_uri).is_file() or not meter_ids:
        return TenantUsage(cycle, USAGE_EXPORT_SCHEMA.empty_table())
    table = read_intervals(validated_uri, USAGE_COLUMNS).table
    mine = table.filter(pc.is_in(pc.cast(table.column("meter_id"), pa.string()), value_set=pa.array(meter_ids)))
    summed = mine.group_by("interval_start_utc").aggregate([("energy_wh", "sum")]).sort_by("interval_start_utc")
    starts: list[datetime] = summed.column("interval_start_utc").to_pylist()
    local = [start.astimezone(zone).isoformat(timespec="minutes") for start in starts]
    return TenantUsage(cycle, pa.table({
        "interval_start_utc": summed.column("interval_start_utc"),
        "interval_start_local": pa.array(local, pa.string()),
        "energy_wh": pc.cast(summed.column("energy_wh_sum"), pa.int64()),
    }, schema=USAGE_EXPORT_SCHEMA))
