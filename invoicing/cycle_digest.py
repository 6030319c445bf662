"""One hash over a cycle's invoice documents, for the ledger entry that posts the approved settlement.

The `post_pending` entry of a cycle names its invoices by one digest and a count, not one meta item per
invoice: an entry's meta is a small, bounded map (ledger.requests.META_ENTRIES_MAX), and a campus has
thousands of tenants. Each invoice's own document hash stays where an auditor reads it per invoice: the
invoice row (`invoice.document_sha256_hex`), its JSON document and the footer of its signed PDF.

    invoices_sha256 = sha256_hex({"<invoice id>": "<document sha256 hex>", ...})   (recipe rfc8785-sha256/1)

over every invoice the cycle issued (docs/hashing.md says how to recompute it from exported documents).
"""

from __future__ import annotations

from collections.abc import Iterable

from common import canonical_json

META_INVOICES_COUNT = "invoices_count"
META_INVOICES_SHA256 = "invoices_sha256"


def invoices_sha256_hex(document_sha256_by_invoice: Iterable[tuple[str, str]]) -> str:
    """sha256_hex of the JSON object invoice id -> document sha256 hex (JCS sorts the members)."""
    mapping: dict[str, str] = {}
    for invoice_id, document_sha256_hex in document_sha256_by_invoice:
        assert invoice_id not in mapping, f"invoice {invoice_id} listed twice"
        mapping[invoice_id] = document_sha256_hex
    return canonical_json.sha256_hex(mapping)


def invoices_ledger_meta(document_sha256_by_invoice: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The two meta items naming a cycle's invoices: their count and their digest."""
    pairs = list(document_sha256_by_invoice)
    return {META_INVOICES_COUNT: str(len(pairs)), META_INVOICES_SHA256: invoices_sha256_hex(pairs)}
