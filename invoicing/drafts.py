"""Draft invoices: unnumbered previews of what a tenant's invoice will say, for finance before approving.

Invoices are draft, then final. A draft is rendered from the cycle's current settlement lines on request and
never stored: it takes no number, has no signature and cannot be paid. `issue_invoices` makes the final,
numbered, signed invoice after approval.
"""

from __future__ import annotations

from sqlalchemy import Connection

from common.canonical_json import sha256_hex
from invoicing import repository
from invoicing.document import build_invoice_document
from invoicing.errors import NoSettlementLines, TenantUnknown
from invoicing.parties import campus_parties
from invoicing.pdf import render_invoice_pdf
from invoicing.service import PAYMENT_TERMS_DAYS, existing_cycle, invoice_header
from invoicing.usage_context import load_usage_context

DRAFT_ISSUER = "DRAFT"


def render_draft_pdf(conn: Connection, cycle_id: str, tenant_id: str,
                     payment_terms_days: int = PAYMENT_TERMS_DAYS) -> bytes:
    """The tenant's invoice for the cycle as an unsigned PDF marked DRAFT, numbered `DRAFT-000000`."""
    cycle = existing_cycle(conn, cycle_id)
    lines = repository.load_settlement_lines(conn, cycle_id).get(tenant_id)
    if not lines:
        raise NoSettlementLines(cycle_id)
    party = campus_parties(conn, cycle.campus_id).get(tenant_id)
    if party is None:
        raise TenantUnknown(cycle_id, lines[0].line_no, tenant_id)
    header = invoice_header(cycle, DRAFT_ISSUER, 0, tenant_id, party, repository.transaction_now_utc(conn),
                            payment_terms_days, None)
    usage = load_usage_context(conn, cycle).for_tenant(tenant_id)
    document = build_invoice_document(header, lines, usage)
    return render_invoice_pdf(document, sha256_hex(document), draft=True)
