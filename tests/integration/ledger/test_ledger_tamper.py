"""Tampering done as a database superuser with triggers off (session_replication_role = replica) is
detected by verify_ledger, which names the right seq; the application role cannot tamper at all."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ledger import append_entries, ensure_ledger, open_accounts, verify_ledger
from ledger import repository as repo
from ledger.planning import LedgerState, plan_entry
from ledger.requests import normalize_request
from ledger.signed_note import checkpoint_body, sign_note
from tests.integration.ledger.conftest import CHART, settlement_request


def tamper(engine: Engine, sql: str, params: dict) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # superuser: triggers off
        conn.execute(text(sql), params)


def report(engine: Engine, origin: str):
    """verify_ledger's verdict; the compiled fast path must vouch exactly when the replay passes."""
    from ledger.audit import replay_verify_ledger
    from ledger.audit.compiled_check import passes_compiled_check

    with engine.connect() as conn:
        result = verify_ledger(conn, origin)
        assert result == replay_verify_ledger(conn, origin)
        assert passes_compiled_check(conn, origin) == result.ok
    return result


LEDGER = "(SELECT ledger_id FROM ledger WHERE origin = :o)"


def test_untouched_ledger_verifies(engine: Engine, signed_ledger) -> None:
    """The fixture ledger (10 entries, one checkpoint) verifies before any tampering."""
    origin, _ = signed_ledger
    result = report(engine, origin)
    assert result.ok and result.entries_checked == 10


def test_edited_posting_row_is_named(engine: Engine, signed_ledger) -> None:
    """Raising one posting amount (and its counter-leg, so sums still hold) is caught at that seq."""
    origin, _ = signed_ledger
    tamper(engine, f"UPDATE ledger_posting SET amount_minor = amount_minor + 1 WHERE ledger_id = {LEDGER}"
                   " AND seq = 4 AND idx IN (0, 1)", {"o": origin})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 4 and "posting row" in result.reason


def test_edited_canonical_bytes_are_named(engine: Engine, signed_ledger) -> None:
    """Changing the hashed bytes of seq 5 breaks its leaf hash: seq 5 is named."""
    origin, _ = signed_ledger
    tamper(engine, f"UPDATE ledger_entry SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'),"
                   " 'cycle:a', 'cycle:b'), 'UTF8')"
                   f" WHERE ledger_id = {LEDGER} AND seq = 5", {"o": origin})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 5


def test_consistent_rewrite_of_one_entry_is_caught_by_the_checkpoint(engine: Engine, signed_ledger) -> None:
    """Edit seq 3's bytes and recompute every hash after it: only the signed checkpoint (size 8) catches it."""
    origin, _ = signed_ledger
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        _rewrite_chain_from(conn, origin, 3, b'"cycle:a:2026-01"', b'"cycle:a:2026-02"')
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 8 and "checkpoint" in result.reason


def _rewrite_chain_from(conn: Connection, origin: str, seq: int, old: bytes, new: bytes) -> None:
    from ledger.chain import entry_hashes

    rows = conn.execute(text(f"SELECT seq, canonical, prev_hash FROM ledger_entry WHERE ledger_id = {LEDGER}"
                             " AND seq >= :s ORDER BY seq"), {"o": origin, "s": seq}).all()
    previous = bytes(rows[0].prev_hash)
    for row in rows:
        canonical = bytes(row.canonical).replace(old, new)
        leaf, chain = entry_hashes(previous, canonical)
        conn.execute(text(f"UPDATE ledger_entry SET canonical = :c, leaf_hash = :l, prev_hash = :p, chain_hash = :h"
                          f" WHERE ledger_id = {LEDGER} AND seq = :s"),
                     {"o": origin, "c": canonical, "l": leaf, "p": previous, "h": chain, "s": row.seq})
        previous = chain


def test_deleted_tail_is_caught_by_the_checkpoint(engine: Engine, signed_ledger) -> None:
    """Deleting seq 7..10 leaves a checkpoint at size 8 pointing past the end: seq 7 is named."""
    origin, _ = signed_ledger
    tamper(engine, f"DELETE FROM ledger_posting WHERE ledger_id = {LEDGER} AND seq >= 7", {"o": origin})
    tamper(engine, f"DELETE FROM ledger_entry WHERE ledger_id = {LEDGER} AND seq >= 7", {"o": origin})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 7


def test_reordered_entries_are_named(engine: Engine, signed_ledger) -> None:
    """Swapping the seq numbers of entries 3 and 4 (rows and postings) is caught at seq 3."""
    origin, _ = signed_ledger
    for table in ("ledger_posting", "ledger_entry"):
        for source, target in ((3, 10**9), (4, 3), (10**9, 4)):
            tamper(engine, f"UPDATE {table} SET seq = :t WHERE ledger_id = {LEDGER} AND seq = :s",
                   {"o": origin, "s": source, "t": target})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 3


def test_entry_spliced_from_another_ledger_is_named(engine: Engine, signed_ledger) -> None:
    """Copying seq 6 of another ledger (hashes included) over seq 6 here is caught at seq 6."""
    origin, _ = signed_ledger
    other = origin + "-other"
    with engine.begin() as conn:
        ensure_ledger(conn, other)
        open_accounts(conn, other, CHART)
        append_entries(conn, other, [settlement_request(f"s{n}", 1_000_000 + n) for n in range(2, 8)])
    tamper(engine,
           f"UPDATE ledger_entry AS mine SET canonical = theirs.canonical, leaf_hash = theirs.leaf_hash,"
           f" chain_hash = theirs.chain_hash FROM ledger_entry AS theirs"
           f" WHERE mine.ledger_id = {LEDGER} AND mine.seq = 6"
           f" AND theirs.ledger_id = (SELECT ledger_id FROM ledger WHERE origin = :other) AND theirs.seq = 6",
           {"o": origin, "other": other})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 6


def test_replaced_checkpoint_is_named(engine: Engine, signed_ledger) -> None:
    """A checkpoint note re-signed by a key the chain never rotated in is refused at its size."""
    origin, _ = signed_ledger
    forged = sign_note(checkpoint_body(origin, 8, bytes(32)), origin, Ed25519PrivateKey.generate())
    tamper(engine, f"UPDATE ledger_checkpoint SET signed_note = :n WHERE ledger_id = {LEDGER} AND tree_size = 8",
           {"o": origin, "n": forged})
    result = report(engine, origin)
    assert not result.ok and result.first_bad_seq == 8 and "checkpoint" in result.reason


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_posting SET amount_minor = 1 WHERE ledger_id = {ledger}",
    "DELETE FROM ledger_entry WHERE ledger_id = {ledger}",
    "TRUNCATE ledger_checkpoint",
    "UPDATE ledger_account SET must_not_go_negative = true WHERE ledger_id = {ledger}",
])
def test_database_refuses_changes_even_for_the_owner(engine: Engine, signed_ledger, statement: str) -> None:
    """With triggers on, UPDATE, DELETE and TRUNCATE on ledger tables raise, for any role."""
    origin, _ = signed_ledger
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement.format(ledger=LEDGER)), {"o": origin})
    assert report(engine, origin).ok


def test_application_role_may_only_insert_and_select(engine: Engine, signed_ledger) -> None:
    """As wattledger_ledger_writer: SELECT works, UPDATE is a permission error before any trigger."""
    origin, _ = signed_ledger
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE wattledger_ledger_writer"))
        assert conn.execute(text(f"SELECT count(*) FROM ledger_entry WHERE ledger_id = {LEDGER}"), {"o": origin}).scalar() == 10
        conn.execute(text("SAVEPOINT before_update"))
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text(f"UPDATE ledger_entry SET kind = 'posting' WHERE ledger_id = {LEDGER}"), {"o": origin})
        conn.execute(text("ROLLBACK TO SAVEPOINT before_update"))


def test_writer_role_can_append(engine: Engine, signed_ledger) -> None:
    """The whole append path works under the INSERT/SELECT-only role."""
    origin, _ = signed_ledger
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE wattledger_ledger_writer"))
        assert append_entries(conn, origin, [settlement_request("as-writer")])[0].seq == 11


def _planned_settlement(conn: Connection, origin: str, key: str):
    ledger_id = repo.ledger_id_for(conn, origin)
    repo.lock_ledger(conn, ledger_id)
    head, clock = repo.read_head(conn, ledger_id)
    accounts = repo.load_accounts(conn, ledger_id, [(spec.path, spec.asset_code) for spec in CHART])
    planned = plan_entry(LedgerState(origin, head, accounts), normalize_request(settlement_request(key)), clock)
    return ledger_id, planned


def test_unbalanced_rows_are_refused_by_the_database(engine: Engine, origin: str) -> None:
    """Bypassing the application: postings that do not sum to zero are refused by the database."""
    # COPY goes through the driver, so the error arrives as psycopg's own exception class.
    with pytest.raises((DBAPIError, psycopg.Error), match="sum to zero"), engine.begin() as conn:
        ledger_id, planned = _planned_settlement(conn, origin, "raw")
        first = planned.posting_rows[0]
        broken_rows = (first._replace(amount_minor=first.amount_minor + 1),) + planned.posting_rows[1:]
        repo.insert_planned(conn, ledger_id, origin, [dataclasses.replace(planned, posting_rows=broken_rows)])


def test_entry_without_its_postings_fails_at_commit(engine: Engine, origin: str) -> None:
    """The deferred constraint trigger refuses, at COMMIT, a posting entry whose postings never came."""
    with pytest.raises((DBAPIError, psycopg.Error), match="0 postings"), engine.begin() as conn:
        ledger_id, planned = _planned_settlement(conn, origin, "bare")
        repo.insert_planned(conn, ledger_id, origin, [dataclasses.replace(planned, posting_rows=())])
    assert report(engine, origin).ok


def test_forked_or_rehashed_entry_is_refused_by_the_database(engine: Engine, origin: str) -> None:
    """Bypassing the application: an entry whose prev_hash is not the head's chain hash is refused."""
    from ledger.chain import entry_hashes

    with pytest.raises((DBAPIError, psycopg.Error), match="link to the previous entry"), engine.begin() as conn:
        ledger_id, planned = _planned_settlement(conn, origin, "fork")
        fork_parent = bytes(32)
        leaf, chain = entry_hashes(fork_parent, planned.canonical)
        forked = dataclasses.replace(planned, prev_hash=fork_parent, leaf_hash=leaf, chain_hash=chain)
        repo.insert_planned(conn, ledger_id, origin, [forked])
    assert report(engine, origin).ok
