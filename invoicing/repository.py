"""SQL for invoicing, on the caller's connection and transaction (no commits here)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from invoicing.document import InvoiceLine


@dataclass(frozen=True)
class CycleRow:
    cycle_id: str
    campus_id: str
    period: str
    period_start_utc: datetime
    period_end_utc: datetime
    status: str


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: str
    issuer: str
    number: int
    cycle_id: str
    campus_id: str
    tenant_id: str
    status: str
    total_usd_cents: int
    document_json: dict[str, Any]
    document_sha256_hex: str
    issued_at_utc: datetime
    replaces_invoice_id: str | None


INVOICE_COLUMNS = (
    "invoice_id, issuer, number, cycle_id, campus_id, tenant_id, status, total_usd_cents, document_json, "
    "document_sha256_hex, issued_at_utc, replaces_invoice_id"
)


def transaction_now_utc(conn: Connection) -> datetime:
    """The database clock at the start of this transaction: the record time of what it inserts."""
    now_utc: datetime = conn.execute(text("SELECT now()")).scalar_one()
    return now_utc


def load_cycle(conn: Connection, cycle_id: str) -> CycleRow | None:
    row = conn.execute(
        text("SELECT cycle_id, campus_id, period, period_start_utc, period_end_utc, status "
             "FROM billing_cycle WHERE cycle_id = :cycle_id"),
        {"cycle_id": cycle_id},
    ).one_or_none()
    return None if row is None else CycleRow(*row)


# Revision n's delta lines get line numbers n * ADJUSTMENT_LINE_BASE + their own, after every original line.
ADJUSTMENT_LINE_BASE = 100_000

SETTLEMENT_LINES_SQL = """
SELECT tenant_id, line_no, description, quantity_wh, rate_usd_per_mwh, amount_usd_micros, contract_id,
       inputs_sha256_hex, coalesce(unit, 'MWh')
FROM settlement_line_full WHERE cycle_id = :cycle_id AND (:every_tenant OR tenant_id = ANY(CAST(:tenants AS text[])))
UNION ALL
SELECT tenant_id, revision * :base + line_no, description || ' (revision ' || revision || ' adjustment)',
       quantity_wh_delta, rate_usd_per_mwh, amount_usd_micros_delta, NULL, inputs_sha256_hex, unit
FROM settlement_adjustment
WHERE cycle_id = :cycle_id AND (quantity_wh_delta <> 0 OR amount_usd_micros_delta <> 0)
  AND (:every_tenant OR tenant_id = ANY(CAST(:tenants AS text[])))
ORDER BY 1, 2
"""


def load_settlement_lines(conn: Connection, cycle_id: str, tenant_ids: Sequence[str] | None = None
                          ) -> dict[str, list[InvoiceLine]]:
    """The cycle's settled lines plus every delta-settlement revision's adjustments, grouped by tenant (only
    `tenant_ids`' when given: a batch of invoices reads its own tenants, not the whole cycle each time).

    Settlement never edits a line: a corrected input adds revision n >= 1 with the differences
    (`settlement_adjustment`). An invoice, and a replacement after cancel-and-rebill, bills their sum.
    Units come from `settlement_line_full`; lines settled without one are energy (MWh).
    """
    rows = conn.execute(text(SETTLEMENT_LINES_SQL), {
        "cycle_id": cycle_id, "base": ADJUSTMENT_LINE_BASE, "every_tenant": tenant_ids is None,
        "tenants": list(tenant_ids or [])}).all()
    by_tenant: dict[str, list[InvoiceLine]] = {}
    for row in rows:
        by_tenant.setdefault(row[0], []).append(InvoiceLine(*row[1:]))
    return by_tenant


def load_step_result(conn: Connection, cycle_id: str, step: str) -> dict[str, Any] | None:
    return conn.execute(
        text("SELECT result_json FROM cycle_step WHERE cycle_id = :cycle_id AND step = :step"),
        {"cycle_id": cycle_id, "step": step},
    ).scalar_one_or_none()


def lock_sequence(conn: Connection, sequence_key: str) -> int:
    """Lock the issuer's counter row until the caller's transaction ends and return its last number.

    The row lock serialises every issuer of numbers for this key: a second transaction waits here, and
    under READ COMMITTED its later reads see the invoices the first one committed, so numbers stay gapless
    (a rolled-back transaction gives its numbers back) and never repeat.
    """
    conn.execute(
        text("INSERT INTO invoice_sequence (issuer, last_number) VALUES (:key, 0) ON CONFLICT (issuer) DO NOTHING"),
        {"key": sequence_key},
    )
    last_number: int = conn.execute(
        text("SELECT last_number FROM invoice_sequence WHERE issuer = :key FOR UPDATE"), {"key": sequence_key}
    ).scalar_one()
    return last_number


def store_sequence(conn: Connection, sequence_key: str, last_number: int) -> None:
    conn.execute(text("UPDATE invoice_sequence SET last_number = :last WHERE issuer = :key"),
                 {"key": sequence_key, "last": last_number})


def live_invoices_of_cycle(conn: Connection, cycle_id: str) -> dict[str, InvoiceRow]:
    """The invoice of each tenant that is not cancelled (at most one, by a partial unique index)."""
    rows = conn.execute(
        text(f"SELECT {INVOICE_COLUMNS} FROM invoice WHERE cycle_id = :cycle_id AND status <> 'cancelled'"),
        {"cycle_id": cycle_id},
    ).all()
    return {row.tenant_id: InvoiceRow(*row) for row in rows}


def load_invoice(conn: Connection, invoice_id: str, lock: bool) -> InvoiceRow | None:
    suffix = " FOR UPDATE" if lock else ""
    row = conn.execute(text(f"SELECT {INVOICE_COLUMNS} FROM invoice WHERE invoice_id = :id{suffix}"),
                       {"id": invoice_id}).one_or_none()
    return None if row is None else InvoiceRow(*row)


def list_invoices(conn: Connection, tenant_id: str | None, cycle_id: str | None, rows_max: int,
                  campus_ids: frozenset[str] | None = None) -> list[InvoiceRow]:
    rows = conn.execute(
        text(f"SELECT {INVOICE_COLUMNS} FROM invoice "
             "WHERE (CAST(:tenant AS text) IS NULL OR tenant_id = :tenant) "
             "AND (CAST(:cycle AS text) IS NULL OR cycle_id = :cycle) "
             "AND (CAST(:campuses AS text[]) IS NULL OR campus_id = ANY(:campuses)) "
             "ORDER BY issued_at_utc DESC, invoice_id DESC LIMIT :rows_max"),
        {"tenant": tenant_id, "cycle": cycle_id, "rows_max": rows_max,
         "campuses": None if campus_ids is None else sorted(campus_ids)},
    ).all()
    return [InvoiceRow(*row) for row in rows]


def insert_invoice(conn: Connection, row: InvoiceRow) -> None:
    conn.execute(
        text("INSERT INTO invoice (invoice_id, issuer, number, cycle_id, campus_id, tenant_id, status, "
             "total_usd_cents, document_json, document_sha256_hex, issued_at_utc, replaces_invoice_id) VALUES "
             "(:invoice_id, :issuer, :number, :cycle_id, :campus_id, :tenant_id, :status, :total_usd_cents, "
             "CAST(:document_json AS jsonb), :document_sha256_hex, :issued_at_utc, :replaces_invoice_id)"),
        {**row.__dict__, "document_json": json.dumps(row.document_json)},
    )


def insert_document_file(conn: Connection, document_id: str, kind: str, uri: str, sha256_hex: str) -> None:
    conn.execute(
        text("INSERT INTO invoice_file (document_id, kind, uri, sha256_hex) VALUES (:id, :kind, :uri, :sha)"),
        {"id": document_id, "kind": kind, "uri": uri, "sha": sha256_hex},
    )


def document_file_uri(conn: Connection, document_id: str, kind: str) -> str | None:
    return conn.execute(
        text("SELECT uri FROM invoice_file WHERE document_id = :id AND kind = :kind"),
        {"id": document_id, "kind": kind},
    ).scalar_one_or_none()


def cancel_invoice(conn: Connection, invoice_id: str, reason: str) -> None:
    conn.execute(
        text("UPDATE invoice SET status = 'cancelled' WHERE invoice_id = :id AND status = 'final'"),
        {"id": invoice_id},
    )
    conn.execute(text("INSERT INTO invoice_cancellation (invoice_id, reason) VALUES (:id, :reason)"),
                 {"id": invoice_id, "reason": reason})


def issued_documents(conn: Connection, table: str, rows_per_fetch: int) -> Iterator[tuple[str, Any]]:
    """(document id, JSON document) of every issued invoice (drafts excluded, cancelled kept) or credit note,
    by id, streamed `rows_per_fetch` at a time."""
    statement = {
        "invoice": "SELECT invoice_id AS document_id, document_json FROM invoice WHERE status <> 'draft'"
                   " ORDER BY invoice_id",
        "credit_note": "SELECT credit_note_id AS document_id, document_json FROM credit_note ORDER BY credit_note_id",
    }[table]
    result = conn.execution_options(stream_results=True, yield_per=rows_per_fetch).execute(text(statement))
    for row in result:
        yield row.document_id, row.document_json
