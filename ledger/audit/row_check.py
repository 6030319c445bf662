"""`verify_ledger`: replay the live ledger and diff the relational rows against the hashed bytes.

The replay (ledger.verifier.replay) checks the chain and every rule on the canonical bytes; this module also
checks that each entry row and posting row says exactly what its canonical bytes say, including the
derived running balances, and that every stored checkpoint matches the replayed root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from common.timeutil import format_utc_micros
from ledger import repository as repo
from ledger.audit.compiled_check import passes_compiled_check
from ledger.model import VerifyReport
from ledger.verifier.replay import ChainReplay, VerificationFailure, check_checkpoint_note

ENTRIES_PER_CHUNK = 5_000


def verify_ledger(conn: Connection, origin: str) -> VerifyReport:
    """Recheck every entry of ledger `origin`; names the first failing seq and why.

    The compiled check (ledger.audit.compiled_check) answers when everything holds; otherwise, or when it
    cannot vouch, the replay below decides and names the first failing seq.
    """
    if passes_compiled_check(conn, origin):
        size = conn.execute(
            text("SELECT coalesce(max(seq), 0) FROM ledger_entry WHERE ledger_id = :l"),
            {"l": repo.ledger_id_for(conn, origin)},
        ).scalar_one()
        return VerifyReport(True, int(size), None, None)
    return replay_verify_ledger(conn, origin)


def replay_verify_ledger(conn: Connection, origin: str) -> VerifyReport:
    """The authoritative, streaming replay of the live ledger (standard-library checks + SQL reads)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    replay = ChainReplay(origin)
    replay.keep_details()
    checkpoints = _checkpoints(conn, ledger_id)
    stop_sizes = sorted({int(row.tree_size) for row in checkpoints})
    try:
        while True:
            next_stop = next((size for size in stop_sizes if size > replay.size), None)
            limit = ENTRIES_PER_CHUNK if next_stop is None else min(ENTRIES_PER_CHUNK, next_stop - replay.size)
            rows = _entry_rows(conn, ledger_id, replay.size, limit)
            if not rows:
                break
            _check_chunk(conn, ledger_id, replay, rows)
            replay.roots[replay.size] = replay.root()
        _check_checkpoints(replay, checkpoints)
    except VerificationFailure as failure:
        return VerifyReport(False, failure.seq - 1, failure.seq, failure.reason)
    return VerifyReport(True, replay.size, None, None)


def _entry_rows(conn: Connection, ledger_id: int, after_seq: int, limit: int) -> Sequence[Any]:
    return conn.execute(
        text(
            "SELECT seq, entry_id, idempotency_key, request_hash, request_canonical, kind, ref_seq,"
            " effective_at_utc, recorded_at_utc, hash_version, canonical, leaf_hash, prev_hash, chain_hash"
            " FROM ledger_entry WHERE ledger_id = :ledger_id AND seq > :after ORDER BY seq LIMIT :limit"
        ),
        {"ledger_id": ledger_id, "after": after_seq, "limit": limit},
    ).all()


def _posting_rows(conn: Connection, ledger_id: int, first_seq: int, last_seq: int) -> Sequence[Any]:
    return conn.execute(
        text(
            "SELECT p.seq, p.idx, a.path, a.asset_code AS account_asset, p.asset_code, p.amount_minor,"
            " p.posted_after_minor, p.pending_debits_after_minor, p.pending_credits_after_minor"
            " FROM ledger_posting p LEFT JOIN ledger_account a ON a.account_id = p.account_id"
            " WHERE p.ledger_id = :ledger_id AND p.seq BETWEEN :first AND :last ORDER BY p.seq, p.idx"
        ),
        {"ledger_id": ledger_id, "first": first_seq, "last": last_seq},
    ).all()


def _check_chunk(conn: Connection, ledger_id: int, replay: ChainReplay, rows: Sequence[Any]) -> None:
    first_seq = replay.size + 1
    for offset, row in enumerate(rows):
        if int(row.seq) != first_seq + offset:
            raise VerificationFailure(first_seq + offset, f"seq {first_seq + offset} is missing (gap)")
    canonicals = [bytes(row.canonical) for row in rows]
    stored = [(bytes(row.leaf_hash), bytes(row.chain_hash)) for row in rows]
    previous = replay.chain_hash
    replay.feed(canonicals, stored)  # first: a wrong entry is named before the link that follows it
    for row in rows:
        if bytes(row.prev_hash) != previous:
            raise VerificationFailure(int(row.seq), "prev_hash is not the previous entry's chain hash")
        previous = bytes(row.chain_hash)
    assert replay.values is not None
    for row, value in zip(rows, replay.values):
        _compare_entry_row(row, value)
    postings = _posting_rows(conn, ledger_id, first_seq, replay.size)
    _compare_postings(postings, rows, replay)


def _compare_entry_row(row: Any, value: dict[str, Any]) -> None:
    seq = int(row.seq)
    claims = {
        "entry_id": str(row.entry_id),
        "idempotency_key": row.idempotency_key,
        "kind": row.kind,
        "ref_seq": None if row.ref_seq is None else str(row.ref_seq),
        "effective_at": format_utc_micros(row.effective_at_utc),
        "recorded_at": format_utc_micros(row.recorded_at_utc),
        "request_hash": bytes(row.request_hash).hex(),
    }
    for field, claimed in claims.items():
        if value[field] != claimed:
            raise VerificationFailure(seq, f"entry row {field} differs from the hashed bytes")
    if hashlib.sha256(bytes(row.request_canonical)).digest() != bytes(row.request_hash):
        raise VerificationFailure(seq, "request_canonical does not hash to request_hash")
    if row.hash_version != 1:
        raise VerificationFailure(seq, f"unknown hash_version {row.hash_version}")


def _compare_postings(postings: Sequence[Any], rows: Sequence[Any], replay: ChainReplay) -> None:
    assert replay.values is not None and replay.balances_after is not None
    expected = [
        (int(row.seq), idx, account, asset, int(amount))
        for row, value in zip(rows, replay.values)
        for idx, (account, asset, amount) in enumerate(value["postings"])
    ]
    for position, want in enumerate(expected):
        if position >= len(postings):
            raise VerificationFailure(want[0], f"posting row {want[1]} is missing")
        got = postings[position]
        seq = int(got.seq)
        actual = (seq, got.idx, got.path, got.asset_code, int(got.amount_minor))
        if actual != want or got.account_asset != got.asset_code:
            raise VerificationFailure(min(seq, want[0]), f"posting row {got.idx} differs from the hashed bytes")
        balances = (int(got.posted_after_minor), int(got.pending_debits_after_minor),
                    int(got.pending_credits_after_minor))
        if balances != replay.balances_after[position]:
            raise VerificationFailure(seq, f"posting row {got.idx} running balance differs from the replay")
    if len(postings) > len(expected):
        raise VerificationFailure(int(postings[len(expected)].seq), "extra posting row not in the hashed bytes")


def _checkpoints(conn: Connection, ledger_id: int) -> Sequence[Any]:
    return conn.execute(
        text(
            "SELECT tree_size, root_hash, chain_hash, key_vkey, signed_note FROM ledger_checkpoint"
            " WHERE ledger_id = :ledger_id ORDER BY tree_size"
        ),
        {"ledger_id": ledger_id},
    ).all()


def _check_checkpoints(replay: ChainReplay, checkpoints: Sequence[Any]) -> None:
    for row in checkpoints:
        size = int(row.tree_size)
        check_checkpoint_note(replay, size, row.signed_note)
        if bytes(row.root_hash) != replay.roots[size]:
            raise VerificationFailure(size, f"checkpoint row at size {size} stores a different root")
