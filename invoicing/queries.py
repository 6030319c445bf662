"""Read side of invoicing for the API and the finance pages: summaries, one document, its stored files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from common import storage
from invoicing import repository
from invoicing.errors import CreditNoteNotFound, InvoiceNotFound

# A tenant has one invoice per cycle; 500 covers forty years of monthly cycles per page.
INVOICES_PER_PAGE_MAX = 500


@dataclass(frozen=True)
class InvoiceSummary:
    invoice_id: str
    number: int
    cycle_id: str
    tenant_id: str
    status: str
    total_usd_cents: int
    credited_usd_cents: int
    document_sha256_hex: str
    issued_at_utc: datetime
    replaces_invoice_id: str | None


@dataclass(frozen=True)
class CreditNoteSummary:
    credit_note_id: str
    invoice_id: str
    amount_usd_cents: int
    reason: str
    document_sha256_hex: str
    issued_at_utc: datetime


def list_invoice_summaries(conn: Connection, tenant_id: str | None, cycle_id: str | None,
                           rows_max: int = INVOICES_PER_PAGE_MAX,
                           campus_ids: frozenset[str] | None = None) -> list[InvoiceSummary]:
    """Newest first, optionally for one tenant and/or one cycle, and only on `campus_ids` when given."""
    assert 0 < rows_max <= INVOICES_PER_PAGE_MAX
    rows = repository.list_invoices(conn, tenant_id, cycle_id, rows_max, campus_ids)
    credited = _credited_by_invoice(conn, [row.invoice_id for row in rows])
    return [
        InvoiceSummary(row.invoice_id, row.number, row.cycle_id, row.tenant_id, row.status, row.total_usd_cents,
                       credited.get(row.invoice_id, 0), row.document_sha256_hex, row.issued_at_utc,
                       row.replaces_invoice_id)
        for row in rows
    ]


def _credited_by_invoice(conn: Connection, invoice_ids: list[str]) -> dict[str, int]:
    if not invoice_ids:
        return {}
    rows = conn.execute(
        text("SELECT invoice_id, sum(amount_usd_cents) FROM credit_note WHERE invoice_id = ANY(:ids) "
             "GROUP BY invoice_id"), {"ids": invoice_ids},
    ).all()
    return {invoice_id: int(total) for invoice_id, total in rows}


def invoice_owner(conn: Connection, invoice_id: str) -> tuple[str, str]:
    """(campus_id, tenant_id) of the invoice: a tenant id is unique only within its campus."""
    row = conn.execute(text("SELECT campus_id, tenant_id FROM invoice WHERE invoice_id = :id"),
                       {"id": invoice_id}).one_or_none()
    if row is None:
        raise InvoiceNotFound(invoice_id)
    return str(row[0]), str(row[1])


def campuses_billing_tenant(conn: Connection, tenant_id: str) -> frozenset[str]:
    """Every campus with a tenant of this id (the ledger's tenant accounts span all of them)."""
    rows = conn.execute(text("SELECT campus_id FROM tenant WHERE tenant_id = :t"), {"t": tenant_id}).scalars()
    return frozenset(str(campus_id) for campus_id in rows)


def invoice_detail(conn: Connection, invoice_id: str) -> dict[str, Any]:
    """The stored document plus its status, hash and credit notes (documents themselves never change)."""
    row = repository.load_invoice(conn, invoice_id, lock=False)
    if row is None:
        raise InvoiceNotFound(invoice_id)
    notes = conn.execute(
        text("SELECT credit_note_id, invoice_id, amount_usd_cents, reason, document_sha256_hex, issued_at_utc "
             "FROM credit_note WHERE invoice_id = :id ORDER BY number"), {"id": invoice_id},
    ).all()
    return {
        "invoice_id": row.invoice_id, "status": row.status, "tenant_id": row.tenant_id, "cycle_id": row.cycle_id,
        "total_usd_cents": row.total_usd_cents, "document_sha256_hex": row.document_sha256_hex,
        "replaces_invoice_id": row.replaces_invoice_id, "document": row.document_json,
        "credit_notes": [CreditNoteSummary(*note).__dict__ for note in notes],
    }


def invoice_pdf_path(conn: Connection, invoice_id: str) -> str:
    """The PDF's local path or object URI (common.storage reads either)."""
    uri = repository.document_file_uri(conn, invoice_id, "pdf")
    if uri is None or not storage.exists(uri):
        raise InvoiceNotFound(invoice_id)
    return uri


def credit_note_owner(conn: Connection, credit_note_id: str) -> tuple[str, str]:
    """(campus_id, tenant_id) of the credit note, from the invoice it credits."""
    row = conn.execute(
        text("SELECT i.campus_id, c.tenant_id FROM credit_note c JOIN invoice i ON i.invoice_id = c.invoice_id "
             "WHERE c.credit_note_id = :id"), {"id": credit_note_id},
    ).one_or_none()
    if row is None:
        raise CreditNoteNotFound(credit_note_id)
    return str(row[0]), str(row[1])


def credit_note_pdf_path(conn: Connection, credit_note_id: str) -> str:
    """The PDF's local path or object URI (common.storage reads either)."""
    uri = repository.document_file_uri(conn, credit_note_id, "pdf")
    if uri is None or not storage.exists(uri):
        raise CreditNoteNotFound(credit_note_id)
    return uri


def stored_document_sha256_hex(conn: Connection, document_id: str) -> str | None:
    """The sha256 recorded when an invoice or credit note was issued, or None for an unknown id."""
    sha256_hex: str | None = conn.execute(
        text("SELECT document_sha256_hex FROM invoice WHERE invoice_id = :id UNION ALL "
             "SELECT document_sha256_hex FROM credit_note WHERE credit_note_id = :id"), {"id": document_id},
    ).scalar()
    return sha256_hex
