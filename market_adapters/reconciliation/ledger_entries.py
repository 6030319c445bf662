"""Reconciliation results as ledger entries (pure): one entry per statement run whose difference moved.

Accounts (USD/6 = micro-USD): `campus:<id>:iso:<iso>:receivable` (debit-normal: what the ISO owes us beyond
what our own settlement booked) against `campus:<id>:iso:<iso>:variance:<charge type>` (credit-normal).
A run posts the change of its difference, so after any run the receivable equals the ISO's latest
difference (delta semantics). Idempotency key: `market-recon:<campus>:<statement id>` (statement ids are
unique per ISO participant only, ledger keys are global).
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger import AccountSpec, EntryRequest, PostingRequest
from ledger.accounts import ASSET_USD, account_spec, iso_receivable, iso_variance
from market_adapters.reconciliation.reconcile import RunReconciliation


def reconciliation_accounts(campus_id: str, iso: str, runs: Sequence[RunReconciliation]) -> list[AccountSpec]:
    charge_types = sorted({charge.charge_type for run in runs for charge in run.charges})
    return [account_spec(iso_receivable(campus_id, iso), ASSET_USD)] + [
        account_spec(iso_variance(campus_id, iso, charge_type), ASSET_USD) for charge_type in charge_types
    ]


def reconciliation_entry_key(campus_id: str, statement_id: str) -> str:
    return f"market-recon:{campus_id}:{statement_id}"


def reconciliation_entries(campus_id: str, iso: str, runs: Sequence[RunReconciliation]) -> list[EntryRequest]:
    """One balanced entry per run with a non-zero posted delta; legs per charge type."""
    entries = []
    for run in runs:
        postings: list[PostingRequest] = []
        for charge in run.charges:
            if charge.posted_delta_usd_micros == 0:
                continue
            postings.append(PostingRequest(iso_receivable(campus_id, iso), ASSET_USD, charge.posted_delta_usd_micros))
            postings.append(PostingRequest(iso_variance(campus_id, iso, charge.charge_type), ASSET_USD,
                                           -charge.posted_delta_usd_micros))
        if postings:
            entries.append(EntryRequest(
                idempotency_key=reconciliation_entry_key(campus_id, run.statement_id), effective_at_utc=run.published_at_utc,
                postings=tuple(postings),
                meta={"statement_id": run.statement_id, "run_type": run.run_type, "source": "shadow_settlement"},
            ))
    return entries
