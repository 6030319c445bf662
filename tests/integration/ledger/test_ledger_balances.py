"""Balances as of a seq, a recorded time and an effective time; trial balance; a tenant statement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text

from ledger import EntryRequest, append_entries
from ledger.balances import balances, tenant_statement, trial_balance
from tests.integration.ledger.conftest import PERIOD_START_UTC, settlement_request


def _posted(rows, path: str) -> int:
    return next(row.posted_minor for row in rows if row.path == path)


def test_balance_as_of_seq_recorded_and_effective_time(engine: Engine, origin: str) -> None:
    """Seq and record-time views follow the order of recording; the effective view follows business
    time, so a backdated correction shows up in the earlier period only in the effective view."""
    january = settlement_request("jan", usd_micros=100)
    february = EntryRequest(idempotency_key="feb", effective_at_utc=PERIOD_START_UTC + timedelta(days=40),
                            postings=settlement_request("x", usd_micros=30).postings)
    backdated = EntryRequest(idempotency_key="fix", kind="adjustment", ref_idempotency_key="jan",
                             effective_at_utc=PERIOD_START_UTC + timedelta(days=10), meta={"reason_code": "meter"},
                             postings=settlement_request("x", usd_micros=5).postings)
    with engine.begin() as conn:
        append_entries(conn, origin, [january])
    with engine.begin() as conn:
        append_entries(conn, origin, [february])
        recorded_february = conn.execute(text(
            "SELECT recorded_at_utc FROM ledger_entry WHERE idempotency_key = 'feb' AND ledger_id ="
            " (SELECT ledger_id FROM ledger WHERE origin = :o)"), {"o": origin}).scalar_one()
    with engine.begin() as conn:
        append_entries(conn, origin, [backdated])
    path = "tenant:acme:receivable"
    with engine.connect() as conn:
        assert _posted(balances(conn, origin, as_of_seq=2), path) == 100
        assert _posted(balances(conn, origin), path) == 135
        assert _posted(balances(conn, origin, as_of_recorded_utc=recorded_february), path) == 130
        end_of_january = PERIOD_START_UTC + timedelta(days=31)
        assert _posted(balances(conn, origin, as_of_effective_utc=end_of_january), path) == 105
        revenue = next(r for r in balances(conn, origin) if r.path == "campus:a:revenue:energy")
        assert revenue.posted_minor == -135 and revenue.normal_balance_minor == 135


def test_pending_shows_in_pending_balances_until_posted(engine: Engine, origin: str) -> None:
    """A pending entry moves pending debits/credits only; post_pending moves them to posted."""
    pending = EntryRequest(idempotency_key="p", kind="pending", effective_at_utc=PERIOD_START_UTC,
                           postings=settlement_request("x", usd_micros=70).postings)
    post = EntryRequest(idempotency_key="post", kind="post_pending", ref_idempotency_key="p",
                        effective_at_utc=PERIOD_START_UTC)
    with engine.begin() as conn:
        append_entries(conn, origin, [pending])
        held = next(r for r in balances(conn, origin) if r.path == "tenant:acme:receivable")
        append_entries(conn, origin, [post])
        done = next(r for r in balances(conn, origin) if r.path == "tenant:acme:receivable")
    assert (held.posted_minor, held.pending_debits_minor) == (0, 70)
    assert (done.posted_minor, done.pending_debits_minor) == (70, 0)


def test_trial_balance_and_statement(engine: Engine, origin: str) -> None:
    """Every asset's debit and credit balances are equal; the statement lists the tenant's legs."""
    with engine.begin() as conn:
        append_entries(conn, origin, [settlement_request("a", usd_micros=11), settlement_request("b", usd_micros=22)])
    with engine.connect() as conn:
        lines = trial_balance(conn, origin)
        statement = tenant_statement(conn, origin, "acme", PERIOD_START_UTC, PERIOD_START_UTC + timedelta(days=1))
    assert {line.asset_code for line in lines} == {"USD/6", "MWH/6", "TCO2E/6"}
    assert all(line.balanced for line in lines)
    usd = next(line for line in lines if line.asset_code == "USD/6")
    assert usd.debit_balances_minor == 33
    receivable = [line.amount_minor for line in statement.lines if line.account_path == "tenant:acme:receivable"]
    assert receivable == [11, 22] and statement.lines[0].meta == {"cycle_id": "cycle:a:2026-01"}
    assert all(row.posted_minor == 0 for row in statement.opening)
    assert _posted(statement.closing, "tenant:acme:receivable") == 33
