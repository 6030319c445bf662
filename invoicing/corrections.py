"""Corrections without edits: credit notes, and cancel-and-rebill under a new number.

An issued invoice is never changed (a database trigger refuses it). A credit note reduces what the tenant
owes and names the invoice it credits; cancel-and-rebill credits whatever is left of the original, marks
it cancelled with a reason, and issues a new invoice from the cycle's current settlement lines that names
the one it replaces. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text

from common import canonical_json
from common.errors import BadInput
from invoicing import repository
from invoicing.document import build_credit_note_document
from invoicing.errors import (
    CreditAmountInvalid,
    CreditExceedsInvoice,
    IdempotencyKeyReused,
    InvoiceNotFinal,
    InvoiceNotFound,
    NoSettlementLines,
)
from invoicing.ledger_postings import credit_note_entry, post_entries, replacement_invoice_entry
from invoicing.parties import party_of_document
from invoicing.pdf import render_credit_note_pdf
from invoicing.repository import InvoiceRow
from invoicing.service import (
    PAYMENT_TERMS_DAYS,
    IssuedInvoice,
    invoice_header,
    invoice_id_of,
    store_new_invoice,
)
from invoicing.signing import load_signing_key, public_key_b64, sign_pdf
from invoicing.storage import write_document
from invoicing.usage_context import load_usage_context
from ledger import EntryRequest

REASON_CHARS_MAX = 2000


@dataclass(frozen=True)
class IssuedCreditNote:
    credit_note_id: str
    number: int
    invoice_id: str
    amount_usd_cents: int
    document_sha256_hex: str
    pdf_uri: str
    created: bool


@dataclass(frozen=True)
class Rebill:
    cancelled_invoice_id: str
    credit_note: IssuedCreditNote | None
    new_invoice: IssuedInvoice


def credit_sequence_key(issuer: str) -> str:
    # ':' cannot occur in an issuer, so credit-note numbers never share a counter with invoice numbers.
    return f"{issuer}:credit"


def credit_note_id_of(issuer: str, number: int) -> str:
    # '.' cannot occur in an issuer, so a credit-note id never equals an invoice id.
    return f"CN.{issuer}-{number:06d}"


def _checked_reason(reason: str) -> str:
    if not reason.strip() or len(reason) > REASON_CHARS_MAX:
        raise BadInput("correction", None, "reason", f"must be 1 to {REASON_CHARS_MAX} characters")
    return reason


def _locked_final_invoice(conn: Connection, invoice_id: str) -> InvoiceRow:
    invoice = repository.load_invoice(conn, invoice_id, lock=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    if invoice.status != "final":
        raise InvoiceNotFinal(invoice_id, invoice.status)
    return invoice


def credited_usd_cents(conn: Connection, invoice_id: str) -> int:
    # sum(bigint) is numeric in PostgreSQL; cast back so money stays an int (JSON canonicalisation needs it).
    return int(conn.execute(text("SELECT coalesce(sum(amount_usd_cents), 0)::bigint FROM credit_note "
                                 "WHERE invoice_id = :id"), {"id": invoice_id}).scalar_one())


def issue_credit_note(conn: Connection, invoice_id: str, amount_usd_cents: int, reason: str, idempotency_key: str,
                      signing_key_path: Path, documents_root: str) -> IssuedCreditNote:
    """Credit `amount_usd_cents` of a final invoice; a repeat with the same key returns the first note."""
    if isinstance(amount_usd_cents, bool) or not isinstance(amount_usd_cents, int) or amount_usd_cents <= 0:
        raise CreditAmountInvalid(amount_usd_cents)
    _checked_reason(reason)
    key = load_signing_key(signing_key_path)
    invoice = repository.load_invoice(conn, invoice_id, lock=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    earlier = _credit_note_by_key(conn, idempotency_key)
    if earlier is not None:
        same_request = (invoice_id, amount_usd_cents, reason)
        if (earlier["invoice_id"], earlier["amount_usd_cents"], earlier["reason"]) != same_request:
            raise IdempotencyKeyReused(idempotency_key)
        return _issued_from_row(conn, earlier)
    if invoice.status != "final":
        raise InvoiceNotFinal(invoice_id, invoice.status)
    creditable = invoice.total_usd_cents - credited_usd_cents(conn, invoice_id)
    if amount_usd_cents > creditable:
        raise CreditExceedsInvoice(invoice_id, amount_usd_cents, creditable)
    return _store_credit_note(conn, invoice, amount_usd_cents, reason, idempotency_key, key, documents_root)


def _credit_note_by_key(conn: Connection, idempotency_key: str) -> dict[str, Any] | None:
    row = conn.execute(
        text("SELECT credit_note_id, number, invoice_id, amount_usd_cents, reason, document_sha256_hex "
             "FROM credit_note WHERE idempotency_key = :key"), {"key": idempotency_key},
    ).one_or_none()
    return None if row is None else dict(row._mapping)


def _issued_from_row(conn: Connection, row: dict[str, Any]) -> IssuedCreditNote:
    pdf_uri = repository.document_file_uri(conn, row["credit_note_id"], "pdf")
    assert pdf_uri is not None, "a credit note is stored with its PDF"
    return IssuedCreditNote(row["credit_note_id"], row["number"], row["invoice_id"], row["amount_usd_cents"],
                            row["document_sha256_hex"], pdf_uri, created=False)


def _store_credit_note(conn: Connection, invoice: InvoiceRow, amount_usd_cents: int, reason: str,
                       idempotency_key: str, key: Ed25519PrivateKey, documents_root: str,
                       written: list[str] | None = None) -> IssuedCreditNote:
    number = repository.lock_sequence(conn, credit_sequence_key(invoice.issuer)) + 1
    credit_note_id = credit_note_id_of(invoice.issuer, number)
    issued_at_utc = repository.transaction_now_utc(conn)
    document = build_credit_note_document(
        credit_note_id, number, invoice.invoice_id, invoice.document_sha256_hex, invoice.document_json, reason,
        amount_usd_cents, issued_at_utc)
    sha256_hex = canonical_json.sha256_hex(document)
    folder = f"credit_notes/{invoice.issuer}"
    json_path, _ = write_document(documents_root, f"{folder}/{credit_note_id}.json", canonical_json.canonical_bytes(document),
                                  written)
    signed_pdf = sign_pdf(render_credit_note_pdf(document, sha256_hex, public_key_b64(key)), key)
    pdf_path, pdf_sha256_hex = write_document(documents_root, f"{folder}/{credit_note_id}.pdf", signed_pdf, written)
    conn.execute(
        text("INSERT INTO credit_note (credit_note_id, issuer, number, invoice_id, tenant_id, reason, "
             "amount_usd_cents, "
             "idempotency_key, document_json, document_sha256_hex, issued_at_utc) VALUES (:id, :issuer, :number, "
             ":invoice, :tenant, :reason, :amount, :key, CAST(:doc AS jsonb), :sha, :issued)"),
        {"id": credit_note_id, "issuer": invoice.issuer, "number": number, "invoice": invoice.invoice_id,
         "tenant": invoice.tenant_id, "reason": reason, "amount": amount_usd_cents, "key": idempotency_key,
         "doc": json.dumps(document), "sha": sha256_hex, "issued": issued_at_utc},
    )
    repository.store_sequence(conn, credit_sequence_key(invoice.issuer), number)
    repository.insert_document_file(conn, credit_note_id, "json", json_path, sha256_hex)
    repository.insert_document_file(conn, credit_note_id, "pdf", pdf_path, pdf_sha256_hex)
    return IssuedCreditNote(credit_note_id, number, invoice.invoice_id, amount_usd_cents, sha256_hex, pdf_path, True)


def cancel_and_rebill(conn: Connection, invoice_id: str, reason: str, signing_key_path: Path, documents_root: str,
                      payment_terms_days: int = PAYMENT_TERMS_DAYS, written: list[str] | None = None) -> Rebill:
    """Credit what is left of a final invoice, cancel it, and issue its replacement under a new number.

    The replacement is built from the cycle's settlement lines for that tenant as they are now (after a
    re-settlement they differ from the original's). Calling it again on the cancelled original raises
    `InvoiceNotFinal`, so a retry never issues a second replacement. The documents' paths are appended to
    `written` (`invoicing.removed_unless_committed`).
    """
    _checked_reason(reason)
    key = load_signing_key(signing_key_path)
    original = _locked_final_invoice(conn, invoice_id)
    lines = repository.load_settlement_lines(conn, original.cycle_id).get(original.tenant_id)
    if not lines:
        raise NoSettlementLines(original.cycle_id)
    remaining = original.total_usd_cents - credited_usd_cents(conn, invoice_id)
    credit_note = None
    if remaining > 0:
        credit_note = _store_credit_note(conn, original, remaining, f"cancelled: {reason}",
                                         f"cancel:{invoice_id}", key, documents_root, written)
    repository.cancel_invoice(conn, invoice_id, reason)
    cycle = repository.load_cycle(conn, original.cycle_id)
    assert cycle is not None, "an invoice references an existing cycle"
    number = repository.lock_sequence(conn, original.issuer) + 1
    header = invoice_header(cycle, original.issuer, number, original.tenant_id,
                            party_of_document(original.document_json, original.tenant_id),
                            repository.transaction_now_utc(conn), payment_terms_days, invoice_id)
    assert header.invoice_id == invoice_id_of(original.issuer, number)
    usage = load_usage_context(conn, cycle).for_tenant(original.tenant_id)
    new_invoice = store_new_invoice(conn, header, lines, usage, key, documents_root, written)
    repository.store_sequence(conn, original.issuer, number)
    return Rebill(invoice_id, credit_note, new_invoice)


def credit_invoice_posted(conn: Connection, ledger_origin: str, invoice_id: str, amount_usd_cents: int, reason: str,
                          idempotency_key: str, signing_key_path: Path, documents_root: str) -> IssuedCreditNote:
    """`issue_credit_note` and its ledger entry, in the caller's transaction (the API and CLI path)."""
    note = issue_credit_note(conn, invoice_id, amount_usd_cents, reason, idempotency_key, signing_key_path,
                             documents_root)
    post_entries(conn, ledger_origin, [_credit_note_entry(conn, note)], signing_key_path)
    return note


def cancel_and_rebill_posted(conn: Connection, ledger_origin: str, invoice_id: str, reason: str,
                             signing_key_path: Path, documents_root: str, written: list[str] | None = None) -> Rebill:
    """`cancel_and_rebill` and its ledger entries (the closing credit note, the replacement invoice)."""
    rebill = cancel_and_rebill(conn, invoice_id, reason, signing_key_path, documents_root, written=written)
    new = repository.load_invoice(conn, rebill.new_invoice.invoice_id, lock=False)
    assert new is not None, "the replacement was inserted in this transaction"
    replacement = replacement_invoice_entry(new.invoice_id, invoice_id, new.campus_id, new.tenant_id,
                                            new.total_usd_cents, new.document_sha256_hex, new.issued_at_utc)
    credit = None if rebill.credit_note is None else _credit_note_entry(conn, rebill.credit_note)
    post_entries(conn, ledger_origin, [credit, replacement], signing_key_path)
    return rebill


def _credit_note_entry(conn: Connection, note: IssuedCreditNote) -> EntryRequest:
    row = conn.execute(text("SELECT c.tenant_id, i.campus_id, c.issued_at_utc FROM credit_note c "
                            "JOIN invoice i USING (invoice_id) WHERE c.credit_note_id = :id"),
                       {"id": note.credit_note_id}).one()
    return credit_note_entry(note.credit_note_id, note.invoice_id, row.campus_id, row.tenant_id,
                             note.amount_usd_cents, note.document_sha256_hex, row.issued_at_utc)
