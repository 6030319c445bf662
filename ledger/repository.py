"""SQL for the ledger tables: reads that load a batch's state, and COPY writes of planned rows.

Every function takes the caller's connection; the caller owns the transaction (READ COMMITTED).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, text

from ledger.accounts import ASSET_SCALES
from ledger.errors import LedgerNotFound
from ledger.model import AccountSpec
from ledger.planning import AccountState, EntryRef, Head, PlannedEntry
from ledger.requests import account_id_for

# Two-int advisory locks live apart from one-bigint ones; the namespace keeps ours apart from others'.
ADVISORY_LOCK_NAMESPACE = 0x574C4447  # "WLDG"
CHAIN_GENESIS = bytes(32)


@contextmanager
def planned_per_call(conn: Connection) -> Iterator[None]:
    """Plan the batch's queries for their actual arguments, not a cached generic plan.

    psycopg prepares a statement after five runs and PostgreSQL then may keep a generic plan made
    while the ledger was small: a hash join over every entry of the ledger, per batch. The batch's
    few queries are cheap to plan; a bad plan is not.
    """
    driver = driver_connection(conn)
    saved = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = saved


def driver_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under SQLAlchemy's: binary COPY and prepare_threshold are psycopg's own."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection), f"the ledger needs the psycopg driver, not {type(driver)}"
    return driver


def ensure_assets(conn: Connection) -> None:
    rows = [{"code": code, "scale": scale, "kind": kind} for code, (scale, kind) in ASSET_SCALES.items()]
    conn.execute(
        text("INSERT INTO ledger_asset (asset_code, scale, kind) VALUES (:code, :scale, :kind)"
             " ON CONFLICT (asset_code) DO NOTHING"),
        rows,
    )


def ensure_ledger_row(conn: Connection, origin: str) -> int:
    conn.execute(
        text("INSERT INTO ledger (origin) VALUES (:origin) ON CONFLICT (origin) DO NOTHING"), {"origin": origin}
    )
    return ledger_id_for(conn, origin)


def ledger_id_for(conn: Connection, origin: str) -> int:
    ledger_id = conn.execute(text("SELECT ledger_id FROM ledger WHERE origin = :origin"), {"origin": origin}).scalar()
    if ledger_id is None:
        raise LedgerNotFound(origin)
    return int(ledger_id)


def lock_ledger(conn: Connection, ledger_id: int) -> None:
    """Serialize appends to one ledger until the transaction ends (READ COMMITTED sees the new head)."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :ledger_id)"),
        {"namespace": ADVISORY_LOCK_NAMESPACE, "ledger_id": ledger_id},
    )


def read_head(conn: Connection, ledger_id: int) -> tuple[Head, datetime]:
    """The last entry's link, the latest period close, and the database clock (read after the lock)."""
    row = conn.execute(
        text(
            "SELECT e.seq, e.chain_hash, e.recorded_at_utc,"
            " (SELECT max(effective_at_utc) FROM ledger_entry"
            "   WHERE ledger_id = :ledger_id AND kind = 'period_close') AS closed_until,"
            " clock_timestamp() AS clock, current_setting('transaction_isolation') AS isolation"
            " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT seq, chain_hash, recorded_at_utc FROM ledger_entry"
            "   WHERE ledger_id = :ledger_id ORDER BY seq DESC LIMIT 1) e ON true"
        ),
        {"ledger_id": ledger_id},
    ).one()
    # Under REPEATABLE READ or SERIALIZABLE the snapshot predates the lock and the chain would fork.
    assert row.isolation == "read committed", f"ledger appends need READ COMMITTED, not {row.isolation}"
    if row.seq is None:
        return Head(0, CHAIN_GENESIS, None, row.closed_until), row.clock
    return Head(int(row.seq), bytes(row.chain_hash), row.recorded_at_utc, row.closed_until), row.clock


def entries_by_key(conn: Connection, ledger_id: int, keys: Sequence[str]) -> dict[str, Any]:
    if not keys:
        return {}
    rows = conn.execute(
        text(
            # One index probe per key: a lateral subquery kept apart by OFFSET 0. As "= ANY" or a plain
            # join, the planner chose a hash join over every entry of the ledger whenever statistics
            # still described a smaller ledger, and the append slowed down as the ledger grew.
            "SELECT e.idempotency_key, e.seq, e.entry_id, e.request_hash, e.request_canonical, e.chain_hash"
            " FROM unnest(CAST(:keys AS text[])) AS wanted(key)"
            " CROSS JOIN LATERAL (SELECT * FROM ledger_entry x"
            "   WHERE x.idempotency_key = wanted.key AND x.ledger_id = :ledger_id OFFSET 0) e"
        ),
        {"ledger_id": ledger_id, "keys": list(keys)},
    ).all()
    return {row.idempotency_key: row for row in rows}


def load_accounts(
    conn: Connection, ledger_id: int, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], AccountState]:
    """The named accounts with their latest running balances (one backward index probe each)."""
    pair_list = sorted(set(pairs))
    if not pair_list:
        return {}
    rows = conn.execute(
        text(
            "SELECT a.account_id, a.path, a.asset_code, a.normal_side, a.must_not_go_negative,"
            " p.posted_after_minor, p.pending_debits_after_minor, p.pending_credits_after_minor"
            " FROM unnest(CAST(:paths AS text[]), CAST(:assets AS text[])) AS wanted(path, asset_code)"
            " JOIN ledger_account a ON a.ledger_id = :ledger_id AND a.path = wanted.path"
            "   AND a.asset_code = wanted.asset_code"
            " LEFT JOIN LATERAL (SELECT posted_after_minor, pending_debits_after_minor,"
            "   pending_credits_after_minor FROM ledger_posting WHERE account_id = a.account_id"
            "   ORDER BY seq DESC, idx DESC LIMIT 1) p ON true"
        ),
        {"ledger_id": ledger_id, "paths": [p for p, _ in pair_list], "assets": [a for _, a in pair_list]},
    ).all()
    return {(row.path, row.asset_code): _account_state(row) for row in rows}


def _account_state(row: Any) -> AccountState:
    return AccountState(
        row.account_id, row.path, row.asset_code, row.normal_side, row.must_not_go_negative,
        int(row.posted_after_minor or 0), int(row.pending_debits_after_minor or 0),
        int(row.pending_credits_after_minor or 0),
    )


def account_specs(conn: Connection, ledger_id: int, paths: Sequence[str]) -> dict[tuple[str, str], AccountSpec]:
    rows = conn.execute(
        text(
            "SELECT path, asset_code, normal_side, must_not_go_negative FROM ledger_account"
            " WHERE ledger_id = :ledger_id AND path = ANY(:paths)"
        ),
        {"ledger_id": ledger_id, "paths": list(paths)},
    ).all()
    return {
        (row.path, row.asset_code): AccountSpec(row.path, row.asset_code, row.normal_side, row.must_not_go_negative)
        for row in rows
    }


def load_refs(conn: Connection, ledger_id: int, ref_keys: Sequence[str]) -> tuple[dict[str, EntryRef], set[int], set[int]]:
    """Referenced entries with their postings, plus which of them are already reversed / resolved."""
    if not ref_keys:
        return {}, set(), set()
    rows = conn.execute(
        text(
            "SELECT e.idempotency_key, e.seq, e.kind, a.path, p.asset_code, p.amount_minor"
            " FROM unnest(CAST(:keys AS text[])) AS wanted(key)"
            " CROSS JOIN LATERAL (SELECT * FROM ledger_entry x"
            "   WHERE x.idempotency_key = wanted.key AND x.ledger_id = :ledger_id OFFSET 0) e"
            " LEFT JOIN ledger_posting p ON p.ledger_id = e.ledger_id AND p.seq = e.seq"
            " LEFT JOIN ledger_account a ON a.account_id = p.account_id"
            " ORDER BY e.seq, p.idx"
        ),
        {"ledger_id": ledger_id, "keys": list(ref_keys)},
    ).all()
    grouped: dict[str, tuple[int, str, list[tuple[str, str, int]]]] = {}
    for row in rows:
        seq_kind_postings = grouped.setdefault(row.idempotency_key, (int(row.seq), row.kind, []))
        if row.path is not None:
            seq_kind_postings[2].append((row.path, row.asset_code, int(row.amount_minor)))
    refs = {key: EntryRef(seq, kind, tuple(postings)) for key, (seq, kind, postings) in grouped.items()}
    seqs = [ref.seq for ref in refs.values()]
    resolutions = conn.execute(
        text(
            # Each branch matches one partial unique index exactly, so only reversals (resolutions)
            # are ever read, however the planner joins them.
            "SELECT x.ref_seq, x.kind FROM ledger_entry x WHERE x.ledger_id = :ledger_id"
            " AND x.kind = 'reversal' AND x.ref_seq = ANY(CAST(:seqs AS bigint[]))"
            " UNION ALL SELECT x.ref_seq, x.kind FROM ledger_entry x WHERE x.ledger_id = :ledger_id"
            " AND x.kind IN ('post_pending', 'void_pending') AND x.ref_seq = ANY(CAST(:seqs AS bigint[]))"
        ),
        {"ledger_id": ledger_id, "seqs": seqs},
    ).all()
    reversed_seqs = {int(row.ref_seq) for row in resolutions if row.kind == "reversal"}
    resolved_seqs = {int(row.ref_seq) for row in resolutions if row.kind != "reversal"}
    return refs, reversed_seqs, resolved_seqs


ENTRY_COLUMNS = (
    "ledger_id, seq, entry_id, idempotency_key, request_hash, request_canonical, kind, ref_seq,"
    " effective_at_utc, recorded_at_utc, hash_version, canonical, leaf_hash, prev_hash, chain_hash"
)
POSTING_COLUMNS = (
    "ledger_id, seq, idx, account_id, asset_code, amount_minor, posted_after_minor,"
    " pending_debits_after_minor, pending_credits_after_minor"
)
ACCOUNT_COLUMNS = "account_id, ledger_id, path, asset_code, normal_side, must_not_go_negative, opened_seq"
# Binary COPY with declared types: no text parsing on either side.
ENTRY_TYPES = ["int4", "int8", "uuid", "text", "bytea", "bytea", "text", "int8", "timestamptz", "timestamptz",
               "int2", "bytea", "bytea", "bytea", "bytea"]
POSTING_TYPES = ["int4", "int8", "int4", "uuid", "text", "int8", "int8", "int8", "int8"]
ACCOUNT_TYPES = ["uuid", "int4", "text", "text", "text", "bool", "int8"]


def _entry_row(ledger_id: int, entry: PlannedEntry) -> tuple[object, ...]:
    request = entry.request
    return (
        ledger_id, entry.seq, entry.entry_id, request.idempotency_key, request.request_hash,
        request.request_canonical, request.kind, entry.ref_seq, request.effective_at_utc,
        entry.recorded_at_utc, entry.hash_version, entry.canonical, entry.leaf_hash,
        entry.prev_hash, entry.chain_hash,
    )


def _write_accounts_and_postings(cursor: Any, ledger_id: int, origin: str, planned: Sequence[PlannedEntry]) -> None:
    accounts = [(entry.seq, spec) for entry in planned for spec in entry.request.accounts]
    if accounts:
        with cursor.copy(f"COPY ledger_account ({ACCOUNT_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(ACCOUNT_TYPES)
            for seq, spec in accounts:
                copy.write_row((
                    account_id_for(origin, spec.path, spec.asset_code), ledger_id, spec.path,
                    spec.asset_code, spec.normal_side, spec.must_not_go_negative, seq,
                ))
    if any(entry.posting_rows for entry in planned):
        with cursor.copy(f"COPY ledger_posting ({POSTING_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(POSTING_TYPES)
            for entry in planned:
                for row in entry.posting_rows:
                    copy.write_row((
                        ledger_id, entry.seq, row.idx, row.account_id, row.asset_code, row.amount_minor,
                        row.posted_after_minor, row.pending_debits_after_minor, row.pending_credits_after_minor,
                    ))


def insert_planned(conn: Connection, ledger_id: int, origin: str, planned: Sequence[PlannedEntry]) -> list[PlannedEntry]:
    """Write entries, then opened accounts, then postings, each with one binary COPY (key order)."""
    written: list[PlannedEntry] = []
    cursor = driver_connection(conn).cursor()
    with cursor:
        with cursor.copy(f"COPY ledger_entry ({ENTRY_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(ENTRY_TYPES)
            for entry in planned:
                copy.write_row(_entry_row(ledger_id, entry))
                written.append(entry)
        _write_accounts_and_postings(cursor, ledger_id, origin, written)
    return written
