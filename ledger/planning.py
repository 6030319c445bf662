"""The ledger's rules as a pure state machine: plan one entry against the current state.

No I/O. The repository loads the part of the state a batch touches; `plan_entry` either raises a
DomainError (and leaves the state as it was) or returns the rows to insert and advances the state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from common.canonical_json import canonical_bytes, utc_text
from ledger.chain import HASH_VERSION, entry_hashes
from ledger.errors import (
    AccountNotOpen,
    AlreadyResolved,
    AlreadyReversed,
    BalanceOutOfRange,
    BalanceWouldGoNegative,
    EntryDoesNotBalance,
    PeriodClosed,
    PostingsMismatch,
    ReferenceKindInvalid,
    ReferenceNotFound,
)
from ledger.posting_rules import (
    INTERNAL_KINDS,
    REFERABLE_KINDS,
    RESOLVING_KINDS,
    available_minor,
    expected_legs,
    move_balance,
    unbalanced_asset,
)
from ledger.requests import (
    AMOUNT_MINOR_ABS_MAX,
    NormalizedRequest,
    Posting,
    account_id_for,
    entry_id_for,
    postings_value,
)

RECORDED_AT_STEP = timedelta(microseconds=1)  # timestamptz resolution; keeps record time strictly rising


@dataclass
class AccountState:
    account_id: uuid.UUID
    path: str
    asset_code: str
    normal_side: str
    must_not_go_negative: bool
    posted_minor: int = 0  # signed sum of posted amounts (+debit / -credit)
    pending_debits_minor: int = 0  # unresolved pending debits, >= 0
    pending_credits_minor: int = 0  # unresolved pending credits, >= 0

    def available_normal_minor(self) -> int:
        """Balance on the normal side, counting pending movements against it."""
        return available_minor(self.normal_side, self.posted_minor, self.pending_debits_minor,
                               self.pending_credits_minor)


class EntryRef(NamedTuple):
    """An entry that later ones may refer to (a tuple: one is made for every entry planned)."""

    seq: int
    kind: str
    postings: tuple[Posting, ...]


@dataclass
class Head:
    seq: int
    chain_hash: bytes
    recorded_at_utc: datetime | None
    closed_until_utc: datetime | None


@dataclass
class LedgerState:
    origin: str
    head: Head
    accounts: dict[tuple[str, str], AccountState] = field(default_factory=dict)
    refs: dict[str, EntryRef] = field(default_factory=dict)
    reversed_seqs: set[int] = field(default_factory=set)
    resolved_seqs: set[int] = field(default_factory=set)


class PostingRow(NamedTuple):
    """One posting as stored, with the account's running balances after it (a tuple: cheap in bulk)."""

    idx: int
    account_id: uuid.UUID
    asset_code: str
    amount_minor: int
    posted_after_minor: int
    pending_debits_after_minor: int
    pending_credits_after_minor: int


@dataclass(slots=True)
class PlannedEntry:
    seq: int
    entry_id: uuid.UUID
    request: NormalizedRequest
    ref_seq: int | None
    recorded_at_utc: datetime
    canonical: bytes
    leaf_hash: bytes
    prev_hash: bytes
    chain_hash: bytes
    postings: tuple[Posting, ...]
    posting_rows: tuple[PostingRow, ...]
    hash_version: int = HASH_VERSION


def next_recorded_at(head: Head, clock_utc: datetime) -> datetime:
    if head.recorded_at_utc is None or clock_utc > head.recorded_at_utc:
        return clock_utc
    return head.recorded_at_utc + RECORDED_AT_STEP


def _resolve_reference(state: LedgerState, request: NormalizedRequest) -> EntryRef | None:
    key, ref_key = request.idempotency_key, request.ref_idempotency_key
    if ref_key is None:
        return None
    ref = state.refs.get(ref_key)
    if ref is None:
        raise ReferenceNotFound(key, ref_key)
    kind = request.kind
    if ref.kind not in REFERABLE_KINDS[kind]:
        raise ReferenceKindInvalid(key, kind, ref.kind)
    if kind == "reversal" and ref.seq in state.reversed_seqs:
        raise AlreadyReversed(key, ref.seq)
    if kind in RESOLVING_KINDS and ref.seq in state.resolved_seqs:
        raise AlreadyResolved(key, ref.seq)
    return ref


def _derived_postings(request: NormalizedRequest, ref: EntryRef | None) -> tuple[Posting, ...]:
    """Reversals negate their reference exactly; resolutions copy the pending entry's legs."""
    if request.kind != "reversal" and request.kind not in RESOLVING_KINDS:
        return request.postings
    assert ref is not None
    expected = expected_legs(request.kind, ref.postings)
    if request.postings and request.postings != expected:
        what = "negate" if request.kind == "reversal" else "copy"
        raise PostingsMismatch(request.idempotency_key, f"postings must exactly {what} entry seq {ref.seq}")
    return expected


def _check_balanced(key: str, postings: tuple[Posting, ...]) -> None:
    unbalanced = unbalanced_asset(postings)
    if unbalanced is not None:
        raise EntryDoesNotBalance(key, *unbalanced)


def _check_period(state: LedgerState, request: NormalizedRequest) -> None:
    closed = state.head.closed_until_utc
    # Half-open periods: an entry effective exactly at the boundary belongs to the next period.
    if closed is not None and request.effective_at_utc < closed:
        raise PeriodClosed(request.idempotency_key, request.effective_at_utc, closed)


Balances = dict[tuple[str, str], tuple[AccountState, list[int]]]


def _apply_balances(
    state: LedgerState, request: NormalizedRequest, postings: tuple[Posting, ...]
) -> tuple[list[PostingRow], Balances]:
    """Rows with running balances, worked out on copies ([posted, pending debits, pending credits]);
    the state itself changes only in `_advance`, after every check passed."""
    working: Balances = {}
    rows: list[PostingRow] = []
    for idx, (path, asset, amount) in enumerate(postings):
        pair = (path, asset)
        slot = working.get(pair)
        if slot is None:
            account = state.accounts.get(pair)
            if account is None:
                raise AccountNotOpen(request.idempotency_key, path, asset)
            slot = working[pair] = (
                account, [account.posted_minor, account.pending_debits_minor, account.pending_credits_minor]
            )
        account, balance = slot
        move_balance(balance, request.kind, amount)
        rows.append(PostingRow(idx, account.account_id, asset, amount, balance[0], balance[1], balance[2]))
    for (path, asset), (account, balance) in working.items():
        if not -AMOUNT_MINOR_ABS_MAX <= balance[0] <= AMOUNT_MINOR_ABS_MAX or balance[1] > AMOUNT_MINOR_ABS_MAX \
                or balance[2] > AMOUNT_MINOR_ABS_MAX:
            raise BalanceOutOfRange(request.idempotency_key, path, asset)
        if account.must_not_go_negative:
            available = available_minor(account.normal_side, *balance)
            if available < 0:
                raise BalanceWouldGoNegative(request.idempotency_key, path, asset, available)
    return rows, working


def leaf_value(
    origin: str, seq: int, entry_id: uuid.UUID, request: NormalizedRequest, ref_seq: int | None,
    recorded_at_utc: datetime, postings: tuple[Posting, ...],
) -> dict[str, Any]:
    """The hashed document of one entry, format v1 (docs/ledger-spec.md §2)."""
    asked = request.request_value
    return {
        "v": 1,
        "origin": origin,
        "seq": str(seq),
        "entry_id": str(entry_id),
        "kind": request.kind,
        "ref_seq": None if ref_seq is None else str(ref_seq),
        "effective_at": asked["effective_at"],
        "recorded_at": utc_text(recorded_at_utc),
        "idempotency_key": request.idempotency_key,
        "request_hash": request.request_hash.hex(),
        # Entries that carry their request's own legs reuse its document; derived legs are rebuilt.
        "postings": asked["postings"] if postings is request.postings else postings_value(postings),
        "accounts": asked["accounts"],
        "meta": request.meta,
    }


def plan_entry(state: LedgerState, request: NormalizedRequest, clock_utc: datetime) -> PlannedEntry:
    """Validate `request` against `state`; on success advance `state` and return the rows to write."""
    ref = _resolve_reference(state, request)
    if request.kind not in INTERNAL_KINDS:  # account opens and key rotations carry no amounts
        _check_period(state, request)  # for a period_close this also keeps closes moving forward
    postings = _derived_postings(request, ref)
    _check_balanced(request.idempotency_key, postings)
    _check_new_accounts(state, request)
    rows, touched = _apply_balances(state, request, postings)
    head = state.head
    seq = head.seq + 1
    entry_id = entry_id_for(state.origin, request.idempotency_key)
    recorded_at = next_recorded_at(head, clock_utc)
    ref_seq = None if ref is None else ref.seq
    document = leaf_value(state.origin, seq, entry_id, request, ref_seq, recorded_at, postings)
    canonical = canonical_bytes(document, domain_checked=request.fast_domain)
    leaf, chain = entry_hashes(head.chain_hash, canonical)
    planned = PlannedEntry(
        seq, entry_id, request, ref_seq, recorded_at, canonical, leaf, head.chain_hash, chain,
        postings, tuple(rows),
    )
    _advance(state, planned, touched, ref)
    return planned


def _check_new_accounts(state: LedgerState, request: NormalizedRequest) -> None:
    for spec in request.accounts:
        assert (spec.path, spec.asset_code) not in state.accounts, "account_open of an open account"


def _advance(state: LedgerState, planned: PlannedEntry, touched: Balances, ref: EntryRef | None) -> None:
    request = planned.request
    for account, (posted, pending_debits, pending_credits) in touched.values():
        account.posted_minor, account.pending_debits_minor, account.pending_credits_minor = (
            posted, pending_debits, pending_credits
        )
    for spec in request.accounts:
        state.accounts[(spec.path, spec.asset_code)] = AccountState(
            account_id_for(state.origin, spec.path, spec.asset_code), spec.path, spec.asset_code,
            spec.normal_side, spec.must_not_go_negative,
        )
    state.refs[request.idempotency_key] = EntryRef(planned.seq, request.kind, planned.postings)
    if ref is not None and request.kind == "reversal":
        state.reversed_seqs.add(ref.seq)
    if ref is not None and request.kind in RESOLVING_KINDS:
        state.resolved_seqs.add(ref.seq)
    head = state.head
    head.seq, head.chain_hash, head.recorded_at_utc = planned.seq, planned.chain_hash, planned.recorded_at_utc
    if request.kind == "period_close":
        head.closed_until_utc = request.effective_at_utc
