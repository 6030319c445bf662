"""Appending entries: balance per asset, idempotency, reversals, two-phase approval, period close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from common.errors import Conflict, DomainError
from ledger import EntryRequest, PostingRequest, append_entries, verify_ledger
from ledger.errors import (
    AlreadyResolved,
    AlreadyReversed,
    BalanceWouldGoNegative,
    EntryDoesNotBalance,
    IdempotencyConflict,
    InvalidEntryRequest,
    PeriodClosed,
    ReferenceKindInvalid,
)
from tests.integration.ledger.conftest import PERIOD_START_UTC
from tests.integration.ledger.conftest import settlement_request as settlement


def entry_count(engine: Engine, origin: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM ledger_entry e JOIN ledger l USING (ledger_id) WHERE l.origin = :o"),
            {"o": origin},
        ).scalar_one()


def test_batch_gets_consecutive_seqs_and_the_chain_verifies(engine: Engine, origin: str) -> None:
    """A batch of multi-asset entries lands as consecutive seqs after the account opening, and verifies."""
    with engine.begin() as conn:
        appended = append_entries(conn, origin, [settlement("s1"), settlement("s2"), settlement("s3")])
    assert [entry.seq for entry in appended] == [2, 3, 4]
    assert not any(entry.idempotency_hit for entry in appended)
    with engine.begin() as conn:
        report = verify_ledger(conn, origin)
    assert report.ok and report.entries_checked == 4 and report.first_bad_seq is None


def test_same_key_same_content_returns_the_original(engine: Engine, origin: str) -> None:
    """A retried request is a hit with the original seq and chain hash; nothing new is stored."""
    with engine.begin() as conn:
        first = append_entries(conn, origin, [settlement("retry")])[0]
    with engine.begin() as conn:
        again = append_entries(conn, origin, [settlement("retry"), settlement("retry")])
    assert all(hit.idempotency_hit and hit.seq == first.seq for hit in again)
    assert again[0].chain_hash_hex == first.chain_hash_hex and again[0].entry_id == first.entry_id
    assert entry_count(engine, origin) == 2


def test_same_key_different_content_names_the_field(engine: Engine, origin: str) -> None:
    """Same key, a different amount: a Conflict naming postings[0].amount, and nothing stored."""
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement("k")])
    with pytest.raises(IdempotencyConflict) as caught, engine.begin() as conn:
        append_entries(conn, origin, [settlement("k", usd_micros=5_000_001)])
    assert isinstance(caught.value, Conflict)
    assert caught.value.field == "postings[0].amount" and caught.value.seq == 2
    assert entry_count(engine, origin) == 2


def test_unbalanced_entry_is_refused_and_the_batch_is_not_stored(engine: Engine, origin: str) -> None:
    """One unbalanced entry in a batch refuses the whole batch; the error names the asset and sum."""
    bad = EntryRequest(
        idempotency_key="bad", effective_at_utc=PERIOD_START_UTC,
        postings=[PostingRequest("tenant:acme:receivable", "USD/6", 10),
                  PostingRequest("campus:a:revenue:energy", "USD/6", -9)],
    )
    with pytest.raises(EntryDoesNotBalance) as caught, engine.begin() as conn:
        append_entries(conn, origin, [settlement("good"), bad])
    assert caught.value.asset_code == "USD/6" and caught.value.sum_minor == 1
    assert entry_count(engine, origin) == 1


def test_bad_shapes_are_named(engine: Engine, origin: str) -> None:
    """A naive time, a zero amount or an unknown kind raise InvalidEntryRequest naming the field."""
    naive = EntryRequest(idempotency_key="n", effective_at_utc=PERIOD_START_UTC.replace(tzinfo=None),
                         postings=settlement("x").postings)
    zero = EntryRequest(idempotency_key="z", effective_at_utc=PERIOD_START_UTC,
                        postings=[PostingRequest("tenant:acme:receivable", "USD/6", 0)])
    odd = EntryRequest(idempotency_key="o", kind="transfer", effective_at_utc=PERIOD_START_UTC)
    for request, field in ((naive, "effective_at_utc"), (zero, "postings[0].amount_minor"), (odd, "kind")):
        with pytest.raises(InvalidEntryRequest) as caught, engine.begin() as conn:
            append_entries(conn, origin, [request])
        assert caught.value.field == field


def test_reversal_negates_once_and_cannot_itself_be_reversed(engine: Engine, origin: str) -> None:
    """A reversal derives the exact negation; a second reversal and a reversal of it are refused."""
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement("orig")])
        append_entries(conn, origin, [EntryRequest(idempotency_key="rev", kind="reversal",
                                                   ref_idempotency_key="orig", effective_at_utc=PERIOD_START_UTC)])
        receivable = conn.execute(text(
            "SELECT sum(p.amount_minor) FROM ledger_posting p JOIN ledger_account a USING (account_id)"
            " JOIN ledger l ON l.ledger_id = a.ledger_id WHERE l.origin = :o AND a.path = 'tenant:acme:receivable'"
        ), {"o": origin}).scalar_one()
    assert receivable == 0
    again = EntryRequest(idempotency_key="rev2", kind="reversal", ref_idempotency_key="orig",
                         effective_at_utc=PERIOD_START_UTC)
    with pytest.raises(AlreadyReversed), engine.begin() as conn:
        append_entries(conn, origin, [again])
    of_reversal = EntryRequest(idempotency_key="rev3", kind="reversal", ref_idempotency_key="rev",
                               effective_at_utc=PERIOD_START_UTC)
    with pytest.raises(ReferenceKindInvalid), engine.begin() as conn:
        append_entries(conn, origin, [of_reversal])


def test_pending_resolves_at_most_once(engine: Engine, origin: str) -> None:
    """pending -> post_pending posts the legs; a later void of the same pending is refused."""
    pending = EntryRequest(idempotency_key="p", kind="pending", effective_at_utc=PERIOD_START_UTC,
                           postings=settlement("x").postings)
    post = EntryRequest(idempotency_key="post", kind="post_pending", ref_idempotency_key="p",
                        effective_at_utc=PERIOD_START_UTC, meta={"approver": "finance"})
    void = EntryRequest(idempotency_key="void", kind="void_pending", ref_idempotency_key="p",
                        effective_at_utc=PERIOD_START_UTC)
    with engine.begin() as conn:
        append_entries(conn, origin, [pending, post])
    with pytest.raises(AlreadyResolved), engine.begin() as conn:
        append_entries(conn, origin, [void])
    with engine.begin() as conn:
        assert verify_ledger(conn, origin).ok


def test_adjustment_needs_a_reason_code(engine: Engine, origin: str) -> None:
    """An adjustment refers to the corrected entry and must carry meta['reason_code']."""
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement("orig")])
    bare = EntryRequest(idempotency_key="adj", kind="adjustment", ref_idempotency_key="orig",
                        effective_at_utc=PERIOD_START_UTC, postings=settlement("x", 10, 1, 1).postings)
    with pytest.raises(InvalidEntryRequest) as caught, engine.begin() as conn:
        append_entries(conn, origin, [bare])
    assert caught.value.field == "meta.reason_code"
    fixed = EntryRequest(idempotency_key="adj", kind="adjustment", ref_idempotency_key="orig",
                         effective_at_utc=PERIOD_START_UTC, postings=bare.postings,
                         meta={"reason_code": "meter_correction"})
    with engine.begin() as conn:
        assert append_entries(conn, origin, [fixed])[0].seq == 3


def test_period_close_refuses_entries_effective_before_it(engine: Engine, origin: str) -> None:
    """After a close at T, entries effective before T are refused; at T or later they are accepted."""
    close_at = PERIOD_START_UTC + timedelta(days=31)
    with engine.begin() as conn:
        append_entries(conn, origin, [EntryRequest(idempotency_key="close", kind="period_close",
                                                   effective_at_utc=close_at)])
    with pytest.raises(PeriodClosed), engine.begin() as conn:
        append_entries(conn, origin, [settlement("late")])
    on_time = EntryRequest(idempotency_key="next", effective_at_utc=close_at, postings=settlement("x").postings)
    with engine.begin() as conn:
        assert append_entries(conn, origin, [on_time])[0].seq == 3


def test_must_not_go_negative_is_enforced(engine: Engine, origin: str) -> None:
    """Cash may not be credited below zero, pending credits included."""
    fund = EntryRequest(idempotency_key="fund", effective_at_utc=PERIOD_START_UTC,
                        postings=[PostingRequest("campus:a:cash", "USD/6", 100),
                                  PostingRequest("campus:a:equity", "USD/6", -100)])
    hold = EntryRequest(idempotency_key="hold", kind="pending", effective_at_utc=PERIOD_START_UTC,
                        postings=[PostingRequest("campus:a:cash", "USD/6", -60),
                                  PostingRequest("campus:a:equity", "USD/6", 60)])
    spend = EntryRequest(idempotency_key="spend", effective_at_utc=PERIOD_START_UTC,
                         postings=[PostingRequest("campus:a:cash", "USD/6", -50),
                                   PostingRequest("campus:a:equity", "USD/6", 50)])
    with engine.begin() as conn:
        append_entries(conn, origin, [fund, hold])
    with pytest.raises(BalanceWouldGoNegative) as caught, engine.begin() as conn:
        append_entries(conn, origin, [spend])
    assert caught.value.balance_minor == -10


def test_errors_are_domain_errors(engine: Engine, origin: str) -> None:
    """A posting to an unopened account is a DomainError naming the account."""
    stray = EntryRequest(idempotency_key="s", effective_at_utc=PERIOD_START_UTC,
                         postings=[PostingRequest("nowhere", "USD/6", 1), PostingRequest("campus:a:equity", "USD/6", -1)])
    with pytest.raises(DomainError, match="nowhere"), engine.begin() as conn:
        append_entries(conn, origin, [stray])
