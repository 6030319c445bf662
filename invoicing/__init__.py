"""Invoicing: numbered invoices per tenant and cycle, signed PDF and JSON documents, corrections.

Public names: `issue_invoices` / `IssuedInvoice` (one invoice per tenant of a cycle, in the caller's
transaction), the signing helpers of the PDF signature scheme, and the errors.
"""

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
from invoicing.service import IssuedInvoice, issue_invoices
from invoicing.signing import (
    generate_signing_key,
    load_public_key,
    load_signing_key,
    sign_pdf,
    verify_signed_pdf,
)

__all__ = [
    "CreditAmountInvalid",
    "CreditExceedsInvoice",
    "CreditNoteNotFound",
    "CycleNotFound",
    "IdempotencyKeyReused",
    "InvoiceNotFinal",
    "InvoiceNotFound",
    "IssuedInvoice",
    "IssuerInvalid",
    "NoSettlementLines",
    "SignatureInvalid",
    "SigningKeyMissing",
    "TenantUnknown",
    "generate_signing_key",
    "issue_invoices",
    "load_public_key",
    "load_signing_key",
    "sign_pdf",
    "verify_signed_pdf",
]
