"""Property tests of the pure ledger rules: every accepted entry balances per asset, refused entries
leave the state untouched, a reversal of a reversal is refused, and the balances the writer keeps
equal an independent replay of the canonical bytes (ledger.verifier.replay) and a plain sum model."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import DomainError
from ledger.chain import CHAIN_GENESIS
from ledger.errors import ReferenceKindInvalid
from ledger.model import AccountSpec, EntryRequest, PostingRequest
from ledger.planning import Head, LedgerState, plan_entry
from ledger.requests import normalize_request
from ledger.verifier.replay import ChainReplay

ORIGIN = "unit.wattledger/rules"
START_UTC = datetime(2026, 1, 1, tzinfo=UTC)
ACCOUNTS = (
    AccountSpec("a:cash", "USD/6", "debit", must_not_go_negative=True),
    AccountSpec("a:revenue", "USD/6", "credit"),
    AccountSpec("a:tenant", "MWH/6", "debit"),
    AccountSpec("a:gen", "MWH/6", "credit", must_not_go_negative=True),
)


def fresh_state() -> tuple[LedgerState, ChainReplay, list[bytes]]:
    state = LedgerState(ORIGIN, Head(0, CHAIN_GENESIS, None, None))
    opening = normalize_request(
        EntryRequest(idempotency_key="open", kind="account_open", effective_at_utc=START_UTC), ACCOUNTS, internal=True
    )
    planned = plan_entry(state, opening, START_UTC)
    return state, ChainReplay(ORIGIN), [planned.canonical]


operation = st.tuples(
    st.sampled_from(["posting", "pending", "post_pending", "void_pending", "reversal", "adjustment"]),
    st.integers(1, 50),  # amount, minor units
    st.integers(0, 30),  # which earlier entry to refer to
    st.booleans(),  # usd leg credits cash instead of debiting it
)


def build_request(index: int, op: tuple[str, int, int, bool], keys: list[str]) -> EntryRequest:
    kind, amount, ref_choice, flip = op
    sign = -1 if flip else 1
    postings = [
        PostingRequest("a:cash", "USD/6", sign * amount), PostingRequest("a:revenue", "USD/6", -sign * amount),
        PostingRequest("a:tenant", "MWH/6", amount * 7), PostingRequest("a:gen", "MWH/6", -amount * 7),
    ]
    ref = keys[ref_choice % len(keys)] if keys else "missing"
    when = START_UTC + timedelta(hours=index)
    if kind in ("posting", "pending"):
        return EntryRequest(idempotency_key=f"e{index}", kind=kind, effective_at_utc=when, postings=postings)
    if kind == "adjustment":
        return EntryRequest(idempotency_key=f"e{index}", kind=kind, effective_at_utc=when, postings=postings,
                            ref_idempotency_key=ref, meta={"reason_code": "test"})
    return EntryRequest(idempotency_key=f"e{index}", kind=kind, effective_at_utc=when, ref_idempotency_key=ref)


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, min_size=1, max_size=25))
def test_writer_and_replay_agree_on_every_history(operations: list[tuple[str, int, int, bool]]) -> None:
    """Random histories: accepted entries balance; refusals change nothing; replay equals the writer."""
    state, replay, canonicals = fresh_state()
    keys: list[str] = []
    posted_model: dict[tuple[str, str], int] = defaultdict(int)
    for index, op in enumerate(operations):
        request = normalize_request(build_request(index, op, keys))
        before = copy.deepcopy(state)
        try:
            planned = plan_entry(state, request, START_UTC + timedelta(seconds=index))
        except DomainError:
            assert state == before
            continue
        sums: dict[str, int] = defaultdict(int)
        for path, asset, amount in planned.postings:
            sums[asset] += amount
            if request.kind in ("posting", "post_pending", "reversal", "adjustment"):
                posted_model[(path, asset)] += amount
        assert all(total == 0 for total in sums.values())
        keys.append(request.idempotency_key)
        canonicals.append(planned.canonical)
    replay.feed(canonicals)
    assert replay.size == state.head.seq and replay.chain_hash == state.head.chain_hash
    for pair, account in state.accounts.items():
        assert replay.balances.get(pair, [0, 0, 0]) == [
            account.posted_minor, account.pending_debits_minor, account.pending_credits_minor
        ]
        assert account.posted_minor == posted_model[pair]
        if account.must_not_go_negative:
            assert account.available_normal_minor() >= 0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 10**12))
def test_reversal_of_a_reversal_is_refused(amount: int) -> None:
    """Whatever the amount, reversing a reversal raises ReferenceKindInvalid and stores nothing."""
    state, _, _ = fresh_state()
    legs = [PostingRequest("a:revenue", "USD/6", amount), PostingRequest("a:cash", "USD/6", -amount)]
    fund = [PostingRequest("a:cash", "USD/6", amount), PostingRequest("a:revenue", "USD/6", -amount)]
    for key, kind, postings, ref in (("fund", "posting", fund, None), ("x", "posting", legs, None),
                                     ("r", "reversal", (), "x")):
        plan_entry(state, normalize_request(EntryRequest(
            idempotency_key=key, kind=kind, effective_at_utc=START_UTC, postings=postings, ref_idempotency_key=ref
        )), START_UTC)
    before = copy.deepcopy(state)
    again = EntryRequest(idempotency_key="rr", kind="reversal", effective_at_utc=START_UTC, ref_idempotency_key="r")
    try:
        plan_entry(state, normalize_request(again), START_UTC)
    except ReferenceKindInvalid:
        assert state == before
    else:
        raise AssertionError("a reversal of a reversal was accepted")


def test_recorded_time_rises_strictly_even_when_the_clock_stalls() -> None:
    """Three entries planned at the same clock reading get recorded times 1 µs apart."""
    state, replay, canonicals = fresh_state()
    stalled = START_UTC
    times = []
    for index in range(3):
        request = normalize_request(build_request(index, ("posting", 5, 0, False), []))
        planned = plan_entry(state, request, stalled)
        times.append(planned.recorded_at_utc)
        canonicals.append(planned.canonical)
    assert times[1] - times[0] == timedelta(microseconds=1) and times[2] - times[1] == timedelta(microseconds=1)
    replay.feed(canonicals)
    assert replay.size == 4
