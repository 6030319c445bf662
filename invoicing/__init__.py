"""Invoicing: numbered invoices per tenant and cycle, signed PDF and JSON documents, corrections.

Public names: `issue_invoices` / `IssuedInvoice` (one invoice per tenant of a cycle, in the caller's
transaction); the posted corrections (`credit_invoice_posted`, `cancel_and_rebill_posted`) and the cycle's live
invoices they start from; the reads the API and CLI serve (invoice summaries and detail, document paths and
hashes, `documents_root_for`, the issued documents beside a ledger export, `export_documents`); the cycle's invoice digest for its ledger entry (`invoices_ledger_meta`) and
`removed_unless_committed` (no document left without its row); the public module `batches` (a cycle's invoices
planned, rendered in parallel batches and issued in one transaction); `tenant_daily_usage` (the daily energy an
invoice charts, which the settle step records); the draft PDF and the money and quantity text of the documents; the signing
helpers of the PDF signature scheme; and the errors.
"""

from typing import TYPE_CHECKING

from common.lazy_names import lazy_names

if TYPE_CHECKING:
    from invoicing.corrections import cancel_and_rebill_posted, credit_invoice_posted
    from invoicing.cycle_digest import invoices_ledger_meta, invoices_sha256_hex
    from invoicing.document_export import export_documents
    from invoicing.drafts import render_draft_pdf
    from invoicing.errors import (
        CreditAmountInvalid,
        CreditExceedsInvoice,
        CreditNoteNotFound,
        CycleNotFound,
        IdempotencyKeyReused,
        InvoiceNotFinal,
        InvoiceNotFound,
        IssuerInvalid,
        NoSettlementLines,
        SignatureInvalid,
        SigningKeyMissing,
        TenantUnknown,
    )
    from invoicing.money import format_usd_cents, usd_cents_from_micros
    from invoicing.pdf import quantity_text
    from invoicing.queries import (
        INVOICES_PER_PAGE_MAX,
        InvoiceSummary,
        campuses_billing_tenant,
        credit_note_owner,
        credit_note_pdf_path,
        invoice_detail,
        invoice_owner,
        invoice_pdf_path,
        list_invoice_summaries,
        stored_document_sha256_hex,
    )
    from invoicing.repository import ADJUSTMENT_LINE_BASE, live_invoices_of_cycle
    from invoicing.service import IssuedInvoice, issue_invoices
    from invoicing.signing import (
        generate_signing_key,
        key_id_of,
        load_public_key,
        load_signing_key,
        public_key_pem,
        sign_pdf,
        verify_signed_pdf,
    )
    from invoicing.storage import documents_root_for, removed_unless_committed
    from invoicing.usage_intervals import tenant_daily_usage

# Names load from their homes when first used, so a command needing one helper (the signing key for a token) does not load the cycle's invoicing, its PDF rendering and numba.
_HOMES = {
    "cancel_and_rebill_posted": "invoicing.corrections",
    "credit_invoice_posted": "invoicing.corrections",
    "invoices_ledger_meta": "invoicing.cycle_digest",
    "invoices_sha256_hex": "invoicing.cycle_digest",
    "export_documents": "invoicing.document_export",
    "render_draft_pdf": "invoicing.drafts",
    "CreditAmountInvalid": "invoicing.errors",
    "CreditExceedsInvoice": "invoicing.errors",
    "CreditNoteNotFound": "invoicing.errors",
    "CycleNotFound": "invoicing.errors",
    "IdempotencyKeyReused": "invoicing.errors",
    "InvoiceNotFinal": "invoicing.errors",
    "InvoiceNotFound": "invoicing.errors",
    "IssuerInvalid": "invoicing.errors",
    "NoSettlementLines": "invoicing.errors",
    "SignatureInvalid": "invoicing.errors",
    "SigningKeyMissing": "invoicing.errors",
    "TenantUnknown": "invoicing.errors",
    "format_usd_cents": "invoicing.money",
    "usd_cents_from_micros": "invoicing.money",
    "quantity_text": "invoicing.pdf",
    "INVOICES_PER_PAGE_MAX": "invoicing.queries",
    "InvoiceSummary": "invoicing.queries",
    "campuses_billing_tenant": "invoicing.queries",
    "credit_note_owner": "invoicing.queries",
    "credit_note_pdf_path": "invoicing.queries",
    "invoice_detail": "invoicing.queries",
    "invoice_owner": "invoicing.queries",
    "invoice_pdf_path": "invoicing.queries",
    "list_invoice_summaries": "invoicing.queries",
    "stored_document_sha256_hex": "invoicing.queries",
    "ADJUSTMENT_LINE_BASE": "invoicing.repository",
    "live_invoices_of_cycle": "invoicing.repository",
    "IssuedInvoice": "invoicing.service",
    "issue_invoices": "invoicing.service",
    "generate_signing_key": "invoicing.signing",
    "key_id_of": "invoicing.signing",
    "load_public_key": "invoicing.signing",
    "load_signing_key": "invoicing.signing",
    "public_key_pem": "invoicing.signing",
    "sign_pdf": "invoicing.signing",
    "verify_signed_pdf": "invoicing.signing",
    "documents_root_for": "invoicing.storage",
    "removed_unless_committed": "invoicing.storage",
    "tenant_daily_usage": "invoicing.usage_intervals",
}


__getattr__ = lazy_names("invoicing", _HOMES)

__all__ = [
    "ADJUSTMENT_LINE_BASE",
    "INVOICES_PER_PAGE_MAX",
    "CreditAmountInvalid",
    "CreditExceedsInvoice",
    "CreditNoteNotFound",
    "CycleNotFound",
    "IdempotencyKeyReused",
    "InvoiceNotFinal",
    "InvoiceNotFound",
    "InvoiceSummary",
    "IssuedInvoice",
    "IssuerInvalid",
    "NoSettlementLines",
    "SignatureInvalid",
    "SigningKeyMissing",
    "TenantUnknown",
    "batches",
    "campuses_billing_tenant",
    "cancel_and_rebill_posted",
    "credit_invoice_posted",
    "credit_note_owner",
    "credit_note_pdf_path",
    "documents_root_for",
    "export_documents",
    "format_usd_cents",
    "generate_signing_key",
    "invoice_detail",
    "invoice_owner",
    "invoice_pdf_path",
    "invoices_ledger_meta",
    "invoices_sha256_hex",
    "issue_invoices",
    "key_id_of",
    "list_invoice_summaries",
    "live_invoices_of_cycle",
    "load_public_key",
    "load_signing_key",
    "portal",
    "public_key_pem",
    "quantity_text",
    "removed_unless_committed",
    "render_draft_pdf",
    "sign_pdf",
    "stored_document_sha256_hex",
    "tenant_daily_usage",
    "usd_cents_from_micros",
    "verify_signed_pdf",
]
