"""Issue the invoices of a billing cycle: one per tenant, gapless numbers, signed PDF and JSON documents.

Runs inside the caller's transaction (`conn`), so the numbers, the invoice rows and whatever the caller
posts to the ledger in the same transaction commit together or not at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from common import canonical_json
from invoicing import repository
from invoicing.document import (
    InvoiceHeader,
    InvoiceLine,
    TenantUsage,
    build_invoice_document,
)
from invoicing.errors import CycleNotFound, IssuerInvalid, NoSettlementLines, TenantUnknown
from invoicing.parties import TenantParty, campus_parties
from invoicing.pdf import render_invoice_pdf
from invoicing.repository import CycleRow, InvoiceRow
from invoicing.signing import load_signing_key, public_key_b64, sign_pdf
from invoicing.storage import write_document
from invoicing.usage_context import UsageContext, load_usage_context

ISSUER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PAYMENT_TERMS_DAYS = 30


@dataclass(frozen=True)
class IssuedInvoice:
    invoice_id: str
    number: int
    tenant_id: str
    total_usd_cents: int
    document_sha256_hex: str
    pdf_uri: str | None
    created: bool


def invoice_id_of(issuer: str, number: int) -> str:
    return f"{issuer}-{number:06d}"


def checked_issuer(issuer: str) -> str:
    if not ISSUER_PATTERN.match(issuer):
        raise IssuerInvalid(issuer)
    return issuer


def issue_invoices(
    conn: Connection,
    cycle_id: str,
    issuer: str,
    signing_key_path: Path,
    documents_root: str,
    payment_terms_days: int = PAYMENT_TERMS_DAYS,
    written: list[str] | None = None,
) -> list[IssuedInvoice]:
    """One final invoice per tenant of the cycle, in tenant order; idempotent on (cycle, tenant).

    A retry returns the invoices already issued (`created=False`) and consumes no number. `issuer` numbers
    every tenant without its own `invoice_prefix`. Documents are written under `documents_root/invoices/<issuer>/`
    before the caller commits, and their paths appended to `written`: a caller that wraps its transaction in
    `removed_unless_committed` leaves no document behind when the transaction fails. If a killed process
    leaves some, the next attempt reuses the same numbers and overwrites those files.
    """
    key = load_signing_key(signing_key_path)
    inputs = invoice_inputs(conn, cycle_id, issuer)
    cycle, lines_by_tenant, parties, context, issuer_of = (
        inputs.cycle, inputs.lines_by_tenant, inputs.parties, inputs.context, inputs.issuer_of)
    last_number, existing = lock_series(conn, cycle_id, issuer_of)
    issued: list[IssuedInvoice] = []
    for tenant_id in sorted(lines_by_tenant):
        if tenant_id in existing:
            issued.append(already_issued(conn, existing[tenant_id]))
            continue
        tenant_issuer = issuer_of[tenant_id]
        last_number[tenant_issuer] += 1
        header = invoice_header(cycle, tenant_issuer, last_number[tenant_issuer], tenant_id,
                                parties[tenant_id], repository.transaction_now_utc(conn), payment_terms_days, None)
        usage = context.for_tenant(tenant_id)
        issued.append(store_new_invoice(conn, header, lines_by_tenant[tenant_id], usage, key, documents_root,
                                        written))
    for sequence, number in last_number.items():
        repository.store_sequence(conn, sequence, number)
    return issued


@dataclass(frozen=True)
class InvoiceInputs:
    """What a cycle's invoices are made from, checked: its settlement lines, each tenant's parties and series."""

    cycle: CycleRow
    lines_by_tenant: dict[str, list[InvoiceLine]]
    parties: dict[str, TenantParty]
    context: UsageContext
    issuer_of: dict[str, str]


def existing_cycle(conn: Connection, cycle_id: str) -> CycleRow:
    """The cycle's row; CycleNotFound when there is none."""
    cycle = repository.load_cycle(conn, cycle_id)
    if cycle is None:
        raise CycleNotFound(cycle_id)
    return cycle


def invoice_inputs(conn: Connection, cycle_id: str, issuer: str) -> InvoiceInputs:
    """The cycle, its settlement lines by tenant, the campus's parties (every tenant with lines must have one),
    the usage each invoice prints, and each tenant's number series."""
    checked_issuer(issuer)
    cycle = existing_cycle(conn, cycle_id)
    lines_by_tenant = repository.load_settlement_lines(conn, cycle_id)
    if not lines_by_tenant:
        raise NoSettlementLines(cycle_id)
    parties = campus_parties(conn, cycle.campus_id)
    for tenant_id, lines in lines_by_tenant.items():
        if tenant_id not in parties:
            raise TenantUnknown(cycle_id, lines[0].line_no, tenant_id)
    # Read before the series are locked, so the lock is held only while numbering.
    context = load_usage_context(conn, cycle)
    # A tenant with an invoice prefix in the campus file is numbered in its own gapless series.
    issuer_of = {tenant_id: parties[tenant_id].invoice_prefix or issuer for tenant_id in lines_by_tenant}
    return InvoiceInputs(cycle, lines_by_tenant, parties, context, issuer_of)


def lock_series(conn: Connection, cycle_id: str, issuer_of: dict[str, str]
                ) -> tuple[dict[str, int], dict[str, InvoiceRow]]:
    """Lock each series the tenants are numbered in and read its last number, then the cycle's live invoices.

    Lock first, then look for earlier invoices: a concurrent issuer of this cycle has either committed (and we see
    its rows) or not yet started numbering. Series are locked in one order (sorted), so two cycles sharing prefixes
    never wait on each other in a circle."""
    last_number = {sequence: repository.lock_sequence(conn, sequence) for sequence in sorted(set(issuer_of.values()))}
    return last_number, repository.live_invoices_of_cycle(conn, cycle_id)


def invoice_header(
    cycle: CycleRow, issuer: str, number: int, tenant_id: str, party: TenantParty, issued_at_utc: datetime,
    payment_terms_days: int, replaces_invoice_id: str | None,
) -> InvoiceHeader:
    return InvoiceHeader(
        invoice_id=invoice_id_of(issuer, number), issuer=issuer, number=number, cycle_id=cycle.cycle_id,
        campus_id=cycle.campus_id, period=cycle.period, period_start_utc=cycle.period_start_utc,
        period_end_utc=cycle.period_end_utc, tenant_id=tenant_id, tenant_name=party.name,
        issued_at_utc=issued_at_utc, payment_terms_days=payment_terms_days,
        replaces_invoice_id=replaces_invoice_id, parties=party.parties,
    )


def already_issued(conn: Connection, row: InvoiceRow) -> IssuedInvoice:
    return IssuedInvoice(
        invoice_id=row.invoice_id, number=row.number, tenant_id=row.tenant_id,
        total_usd_cents=row.total_usd_cents, document_sha256_hex=row.document_sha256_hex,
        pdf_uri=repository.document_file_uri(conn, row.invoice_id, "pdf"), created=False,
    )


def store_new_invoice(conn: Connection, header: InvoiceHeader, lines: list[InvoiceLine], usage: TenantUsage,
                      key: Ed25519PrivateKey, documents_root: str, written: list[str] | None = None) -> IssuedInvoice:
    """Build, render, sign, write and insert one invoice with an already reserved number."""
    document = build_invoice_document(header, lines, usage)
    sha256_hex = canonical_json.sha256_hex(document)
    json_path, _ = write_document(documents_root, document_path(header, "json"),
                                  canonical_json.canonical_bytes(document), written)
    signed_pdf = signed_invoice_pdf(document, sha256_hex, key)
    pdf_path, pdf_sha256_hex = write_document(documents_root, document_path(header, "pdf"), signed_pdf, written)
    return record_invoice(conn, header, document, sha256_hex, (json_path, pdf_path, pdf_sha256_hex))


def signed_invoice_pdf(document: dict[str, Any], sha256_hex: str, key: Ed25519PrivateKey) -> bytes:
    """The issued invoice's PDF: rendered with the signing key's public half in its footer, then signed."""
    return sign_pdf(render_invoice_pdf(document, sha256_hex, signer_public_key_b64=public_key_b64(key)), key)


def document_path(header: InvoiceHeader, kind: str) -> str:
    """Where an invoice's document lives under the documents root: `invoices/<issuer>/<invoice id>.<kind>`."""
    return f"invoices/{header.issuer}/{header.invoice_id}.{kind}"


def record_invoice(conn: Connection, header: InvoiceHeader, document: dict[str, Any], sha256_hex: str,
                   files: tuple[str, str, str]) -> IssuedInvoice:
    """Insert the invoice row and its two document files (`files`: JSON path, PDF path, PDF sha256)."""
    json_path, pdf_path, pdf_sha256_hex = files
    repository.insert_invoice(conn, InvoiceRow(
        invoice_id=header.invoice_id, issuer=header.issuer, number=header.number, cycle_id=header.cycle_id,
        campus_id=header.campus_id, tenant_id=header.tenant_id, status="final",
        total_usd_cents=document["total_usd_cents"], document_json=json.loads(json.dumps(document)),
        document_sha256_hex=sha256_hex, issued_at_utc=header.issued_at_utc,
        replaces_invoice_id=header.replaces_invoice_id,
    ))
    repository.insert_document_file(conn, header.invoice_id, "json", json_path, sha256_hex)
    repository.insert_document_file(conn, header.invoice_id, "pdf", pdf_path, pdf_sha256_hex)
    return IssuedInvoice(header.invoice_id, header.number, header.tenant_id, document["total_usd_cents"],
                         sha256_hex, pdf_path, created=True)
