"""Ledger entries for invoice corrections, posted in the same transaction as the document they record.

The approved settlement is posted by the cycle workflow with the invoices' document hashes. Corrections
post here: a credit note moves its amount from the tenant's receivable to a contra-revenue account; a
replacement invoice (cancel-and-rebill) charges the tenant again. Amounts are the documents' cents in
micro-USD (cents x 10,000), so the ledger carries exactly what the documents say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from invoicing.money import USD_MICROS_PER_CENT
from ledger import EntryRequest, PostingRequest, append_checkpointed, ensure_ledger, open_accounts
from ledger.accounts import ASSET_USD, account_spec, campus_revenue, tenant_receivable


def credit_note_entry(credit_note_id: str, invoice_id: str, campus_id: str, tenant_id: str, amount_usd_cents: int,
                      document_sha256_hex: str, effective_at_utc: datetime) -> EntryRequest:
    """Credit the tenant's receivable, debit `campus:<id>:revenue:credit_notes` (contra revenue)."""
    amount_usd_micros = amount_usd_cents * USD_MICROS_PER_CENT
    return EntryRequest(
        idempotency_key=f"credit-note:{credit_note_id}", kind="posting", effective_at_utc=effective_at_utc,
        postings=[PostingRequest(tenant_receivable(tenant_id), ASSET_USD, -amount_usd_micros),
                  PostingRequest(campus_revenue(campus_id, "credit_notes"), ASSET_USD, amount_usd_micros)],
        meta={"credit_note_id": credit_note_id, "invoice_id": invoice_id, "document_sha256": document_sha256_hex},
    )


def replacement_invoice_entry(
    invoice_id: str, replaces_invoice_id: str, campus_id: str, tenant_id: str, total_usd_cents: int,
    document_sha256_hex: str, effective_at_utc: datetime,
) -> EntryRequest:
    """Debit the tenant's receivable, credit `campus:<id>:revenue:energy`, for a replacement invoice."""
    amount_usd_micros = total_usd_cents * USD_MICROS_PER_CENT
    return EntryRequest(
        idempotency_key=f"invoice:{invoice_id}", kind="posting", effective_at_utc=effective_at_utc,
        postings=[PostingRequest(tenant_receivable(tenant_id), ASSET_USD, amount_usd_micros),
                  PostingRequest(campus_revenue(campus_id, "energy"), ASSET_USD, -amount_usd_micros)],
        meta={"invoice_id": invoice_id, "replaces_invoice_id": replaces_invoice_id,
              "document_sha256": document_sha256_hex},
    )


def post_entries(conn: Connection, ledger_origin: str, entries: Sequence[EntryRequest | None],
                 signing_key_path: Path) -> None:
    """Open the accounts the entries touch (normal side from the account's role), append the entries and sign the
    new head with the ledger key in the same transaction (`ledger.append_checkpointed`).

    Idempotent: a repeated entry is an idempotency hit in the ledger, so a retried correction posts once.
    """
    entry_list = [entry for entry in entries if entry is not None]
    if not entry_list:
        return
    ensure_ledger(conn, ledger_origin)
    specs = {
        (posting.account_path, posting.asset_code): account_spec(posting.account_path, posting.asset_code)
        for entry in entry_list for posting in entry.postings
    }
    open_accounts(conn, ledger_origin, list(specs.values()))
    append_checkpointed(conn, ledger_origin, entry_list, signing_key_path)
