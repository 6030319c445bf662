"""Errors raised by invoicing; each names the broken fact and carries the values that explain it."""

from __future__ import annotations

from common.errors import BadInput, Conflict, DomainError, NotFound


class CycleNotFound(NotFound):
    def __init__(self, cycle_id: str) -> None:
        self.cycle_id = cycle_id
        super().__init__(f"billing cycle {cycle_id!r} does not exist")


class NoSettlementLines(DomainError):
    """A cycle without settlement lines has nothing to invoice; settling it first could help."""

    def __init__(self, cycle_id: str) -> None:
        self.cycle_id = cycle_id
        super().__init__(f"billing cycle {cycle_id!r} has no settlement lines")


class TenantUnknown(BadInput):
    """A settlement line names a tenant the campus does not have, so no invoice can be addressed."""

    def __init__(self, cycle_id: str, line_no: int, tenant_id: str) -> None:
        super().__init__(f"settlement of {cycle_id}", line_no, "tenant_id", f"tenant {tenant_id!r} is unknown")


class IssuerInvalid(BadInput):
    def __init__(self, issuer: str) -> None:
        super().__init__("issue_invoices", None, "issuer", f"issuer {issuer!r} must match [A-Z0-9][A-Z0-9-]{{0,31}}")


class InvoiceNotFound(NotFound):
    def __init__(self, invoice_id: str) -> None:
        self.invoice_id = invoice_id
        super().__init__(f"invoice {invoice_id!r} does not exist")


class CreditNoteNotFound(NotFound):
    def __init__(self, credit_note_id: str) -> None:
        self.credit_note_id = credit_note_id
        super().__init__(f"credit note {credit_note_id!r} does not exist")


class InvoiceNotFinal(Conflict):
    """Only a final invoice can be credited or cancelled; a cancelled one stays as it is."""

    def __init__(self, invoice_id: str, status: str) -> None:
        self.invoice_id = invoice_id
        self.status = status
        super().__init__(f"invoice {invoice_id} is {status}, not final")


class CreditExceedsInvoice(Conflict):
    def __init__(self, invoice_id: str, credit_usd_cents: int, creditable_usd_cents: int) -> None:
        self.invoice_id = invoice_id
        super().__init__(
            f"invoice {invoice_id}: credit of {credit_usd_cents} cents exceeds the {creditable_usd_cents} "
            "cents not yet credited"
        )


class CreditAmountInvalid(BadInput):
    def __init__(self, amount_usd_cents: int) -> None:
        super().__init__("credit note", None, "amount_usd_cents", f"{amount_usd_cents} is not a positive amount")


class IdempotencyKeyReused(Conflict):
    """The same idempotency key was used before for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with different content")


class SigningKeyMissing(DomainError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"no Ed25519 signing key at {path}; create one with `wattledger invoice keygen`")


class SignatureInvalid(DomainError):
    """A document whose signature is absent, malformed, or does not match its bytes or the trusted key."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")
