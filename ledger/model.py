"""Public request and result types of the ledger. Amounts are integers in the asset's minor unit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ledger.posting_rules import NormalSide


@dataclass(frozen=True)
class AccountSpec:
    """An account: `path` like `tenant:acme:receivable`, one asset, its normal side (ledger.accounts)."""

    path: str
    asset_code: str
    normal_side: NormalSide
    must_not_go_negative: bool = False


@dataclass(frozen=True)
class PostingRequest:
    """One leg: `amount_minor` > 0 debits the account, < 0 credits it (minor units of the asset)."""

    account_path: str
    asset_code: str
    amount_minor: int


@dataclass(frozen=True, kw_only=True)
class EntryRequest:
    """One atomic journal entry. `effective_at_utc` is business time; record time is the database's.

    `ref_idempotency_key` names the pending entry (post_pending / void_pending), the reversed entry
    (reversal) or the corrected entry (adjustment, which also needs meta["reason_code"]). Reversals
    and resolutions may leave `postings` empty: the ledger derives them from the referenced entry.
    """

    idempotency_key: str
    kind: str = "posting"
    effective_at_utc: datetime
    postings: Sequence[PostingRequest] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    ref_idempotency_key: str | None = None


@dataclass(frozen=True)
class AppendedEntry:
    seq: int
    entry_id: uuid.UUID
    idempotency_key: str
    chain_hash_hex: str
    idempotency_hit: bool


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries_checked: int
    first_bad_seq: int | None
    reason: str | None
