"""Compiled check of the live ledger: the numba scan over the stored bytes plus set-based comparisons.

It either vouches for the whole ledger or defers to the replay (`ledger.audit.row_check`), which is the
authority and names the first failing seq and why. Everything the replay compares is compared here:
the bytes (canonical form and every rule, `ledger.verifier.compiled_scan`), leaf / chain / prev hashes, each entry
row's columns against its bytes (in SQL, as the exact JCS fragments they must appear as), request
hashes, every posting row (order, account, asset, amount, running balances; fetched with a binary
COPY into numpy), and every checkpoint. It runs inside a savepoint, so a failed cast or query leaves
the caller's transaction usable for the replay.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ledger import repository as repo
from ledger.verifier.compiled_check import NeedsReplay, checkpoint_replay, leaf_and_chain_hashes, roots_at
from ledger.verifier.compiled_scan import ScanState, scan_entries
from ledger.verifier.replay import VerificationFailure, check_checkpoint_note

Bytes = NDArray[np.uint8]
CANONICAL_BYTES_MAX = 1 << 30  # beyond 1 GiB of entries the streaming replay is used instead
UTC_TEXT = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""

# The three places where an entry's columns must appear in its canonical bytes. Each fragment starts
# with structural punctuation and quotes, which cannot occur inside a JSON string (quotes are
# escaped there), so a match can only be the member itself.
# (In the suffix, a backslash before the colon of "v" keeps SQLAlchemy from reading a bind name.)
ENTRY_MISMATCH_SQL = f"""
SELECT min(e.seq) FROM ledger_entry e JOIN ledger l ON l.ledger_id = e.ledger_id
CROSS JOIN LATERAL (SELECT
    convert_to('],"effective_at":"' || {UTC_TEXT.format(column="e.effective_at_utc")}
        || '","entry_id":"' || e.entry_id::text || '","idempotency_key":' || to_json(e.idempotency_key)::text
        || ',"kind":"' || e.kind || '","meta":{{', 'UTF8') AS head,
    convert_to('}},"origin":' || to_json(l.origin)::text || ',"postings":[', 'UTF8') AS middle,
    convert_to('],"recorded_at":"' || {UTC_TEXT.format(column="e.recorded_at_utc")} || '","ref_seq":'
        || coalesce('"' || e.ref_seq::text || '"', 'null') || ',"request_hash":"' || encode(e.request_hash, 'hex')
        || '","seq":"' || e.seq::text || '","v"\\:1}}', 'UTF8') AS suffix
) fragment
WHERE e.ledger_id = :l AND NOT (
    position(fragment.head in e.canonical) > 0 AND position(fragment.middle in e.canonical) > 0
    AND substring(e.canonical from length(e.canonical) - length(fragment.suffix) + 1) = fragment.suffix
    AND e.hash_version = 1 AND sha256(e.request_canonical) = e.request_hash
)
"""
POSTING_ACCOUNT_MISMATCH_SQL = """
SELECT min(p.seq) FROM ledger_posting p
LEFT JOIN ledger_account a ON a.account_id = p.account_id AND a.ledger_id = p.ledger_id
WHERE p.ledger_id = :l AND (a.account_id IS NULL OR a.asset_code <> p.asset_code)
"""
POSTINGS_COPY_SQL = (
    "COPY (SELECT seq, idx, account_id, amount_minor, posted_after_minor,"
    " pending_debits_after_minor, pending_credits_after_minor FROM ledger_posting"
    " WHERE ledger_id = {ledger_id} ORDER BY seq, idx) TO STDOUT (FORMAT BINARY)"
)
# One binary COPY tuple: field count, then (length, value) for int8, int4, uuid and four int8.
POSTING_TUPLE = np.dtype([
    ("fields", ">i2"), ("seq_len", ">i4"), ("seq", ">i8"), ("idx_len", ">i4"), ("idx", ">i4"),
    ("account_len", ">i4"), ("account", "V16"), ("amount_len", ">i4"), ("amount", ">i8"),
    ("posted_len", ">i4"), ("posted", ">i8"), ("debits_len", ">i4"), ("debits", ">i8"),
    ("credits_len", ">i4"), ("credits", ">i8"),
])
POSTING_LENGTHS = {"seq_len": 8, "idx_len": 4, "account_len": 16, "amount_len": 8, "posted_len": 8,
                   "debits_len": 8, "credits_len": 8}
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def passes_compiled_check(conn: Connection, origin: str) -> bool:
    """True when the whole ledger verifies; False means "ask the replay" (it may still pass)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    savepoint = conn.begin_nested()
    try:
        _verify(conn, ledger_id, origin)
        return True
    except (NeedsReplay, VerificationFailure, DBAPIError, ValueError, KeyError, IndexError):
        return False
    finally:
        savepoint.rollback()  # read-only work: nothing to keep, and a failed statement is undone


def _verify(conn: Connection, ledger_id: int, origin: str) -> None:
    count, max_seq, size_bytes = conn.execute(
        text("SELECT count(*), coalesce(max(seq), 0), coalesce(sum(length(canonical) + 1), 0)"
             " FROM ledger_entry WHERE ledger_id = :l"), {"l": ledger_id}).one()
    if count != max_seq or size_bytes > CANONICAL_BYTES_MAX:
        raise NeedsReplay
    raw, starts, stored_hashes = _entry_bytes(conn, ledger_id, int(count), int(size_bytes))
    data = np.frombuffer(raw, dtype=np.uint8)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the compiled scan releases the GIL
        scanning = pool.submit(scan_entries, data, starts, json.dumps(origin, ensure_ascii=False).encode())
        leaves, chains = leaf_and_chain_hashes(raw, starts)
        bad, scan = scanning.result()
    if bad >= 0:
        raise NeedsReplay
    previous = [bytes(32)] + chains[:-1]
    if b"".join(map(b"".join, zip(leaves, chains, previous))) != stored_hashes:
        raise NeedsReplay
    for query in (ENTRY_MISMATCH_SQL, POSTING_ACCOUNT_MISMATCH_SQL):
        if conn.execute(text(query), {"l": ledger_id}).scalar() is not None:
            raise NeedsReplay
    _compare_postings(conn, ledger_id, raw, scan, count)
    _check_checkpoints(conn, ledger_id, origin, raw, starts, scan, leaves)


ENTRIES_COPY_SQL = (
    "COPY (SELECT seq, canonical, leaf_hash, chain_hash, prev_hash FROM ledger_entry"
    " WHERE ledger_id = {ledger_id} ORDER BY seq) TO STDOUT (FORMAT BINARY)"
)


def _copy_out(conn: Connection, statement: str) -> bytes:
    cursor = repo.driver_connection(conn).cursor()
    with cursor, cursor.copy(statement) as copy:
        blob = b"".join(bytes(block) for block in copy)
    header = len(COPY_SIGNATURE) + 8
    if not blob.startswith(COPY_SIGNATURE) or blob[len(COPY_SIGNATURE):header] != bytes(8) or blob[-2:] != b"\xff\xff":
        raise NeedsReplay
    return blob[header:-2]


def _entry_bytes(conn: Connection, ledger_id: int, count: int, size_bytes: int) -> tuple[bytes, np.ndarray, bytes]:
    """(every entry's canonical bytes each followed by a newline, entry start offsets, the stored
    leaf || chain || prev hashes of every entry), streamed with one binary COPY in seq order."""
    body = np.frombuffer(_copy_out(conn, ENTRIES_COPY_SQL.format(ledger_id=int(ledger_id))), dtype=np.uint8)
    data = np.empty(size_bytes, dtype=np.uint8)
    starts = np.empty(count + 1, dtype=np.int64)
    hashes = np.empty((count, 96), dtype=np.uint8)
    if _unpack_entries(body, data, starts, hashes) != count:
        raise NeedsReplay
    return data.tobytes(), starts, hashes.tobytes()


@numba.njit(cache=True)
def _read_be(body: Bytes, at: int, width: int) -> int:
    value = 0
    for k in range(width):
        value = (value << 8) | body[at + k]
    return value


@numba.njit(cache=True)
def _unpack_entries(body: Bytes, data: Bytes, starts: NDArray[np.int64], hashes: Bytes) -> int:
    """Walk binary COPY tuples (seq, canonical, leaf, chain, prev); seqs must run 1, 2, 3, ...
    Returns how many tuples were read, or -1 if any is not what the query selects."""
    at, out, count = 0, 0, 0
    starts[0] = 0
    while at < body.size:
        if at + 2 + 4 + 8 + 4 > body.size or _read_be(body, at, 2) != 5 or _read_be(body, at + 2, 4) != 8:
            return -1
        if _read_be(body, at + 6, 8) != count + 1 or count >= hashes.shape[0]:
            return -1
        length = _read_be(body, at + 14, 4)
        at += 18
        if length >= 1 << 31 or at + length + 3 * 36 > body.size or out + length + 1 > data.size:
            return -1
        data[out:out + length] = body[at:at + length]
        data[out + length] = 10
        out += length + 1
        at += length
        for field in range(3):
            if _read_be(body, at, 4) != 32:
                return -1
            hashes[count, field * 32:(field + 1) * 32] = body[at + 4:at + 36]
            at += 36
        count += 1
        starts[count] = out
    return count if out == data.size else -1


def _posting_rows(conn: Connection, ledger_id: int) -> np.ndarray:
    body = _copy_out(conn, POSTINGS_COPY_SQL.format(ledger_id=int(ledger_id)))
    if len(body) % POSTING_TUPLE.itemsize:
        raise NeedsReplay
    rows = np.frombuffer(body, dtype=POSTING_TUPLE)
    if rows.size and (np.any(rows["fields"] != 7) or any(np.any(rows[name] != size) for name, size in POSTING_LENGTHS.items())):
        raise NeedsReplay
    return rows


def _account_ids_by_index(conn: Connection, ledger_id: int, raw: bytes, scan: ScanState) -> np.ndarray:
    """(accounts, 16) uint8: the stored account_id of each account the scan opened, by its path and
    asset; an account the table does not hold gets 16 zero bytes, which no posting row can match."""
    stored = {
        (row.path, row.asset_code): row.account_id.bytes
        for row in conn.execute(
            text("SELECT account_id, path, asset_code FROM ledger_account WHERE ledger_id = :l"), {"l": ledger_id}
        )
    }
    opened = int(scan.accounts_opened[0])
    ids = np.zeros((opened, 16), dtype=np.uint8)
    for index in range(opened):
        asset_start, asset_stop, path_start, path_stop = (int(v) for v in scan.acc_spans[index, :4])
        pair = (json.loads(raw[path_start:path_stop]), json.loads(raw[asset_start:asset_stop]))
        ids[index] = np.frombuffer(stored.get(pair, bytes(16)), dtype=np.uint8)
    return ids


def _compare_postings(conn: Connection, ledger_id: int, raw: bytes, scan: ScanState, count: int) -> None:
    rows = _posting_rows(conn, ledger_id)
    legs = int(scan.p_start[count])
    if rows.size != legs:
        raise NeedsReplay
    per_entry = np.diff(scan.p_start[: count + 1])
    expected_seq = np.repeat(np.arange(1, count + 1, dtype=np.int64), per_entry)
    expected_idx = np.arange(legs, dtype=np.int64) - np.repeat(scan.p_start[:count], per_entry)
    same = (
        np.array_equal(rows["seq"], expected_seq) and np.array_equal(rows["idx"], expected_idx)
        # Each row's account_id against the id of the account its leg names (no sort, no lookup).
        and np.array_equal(np.frombuffer(rows["account"].tobytes(), dtype=np.uint8).reshape(-1, 16),
                           _account_ids_by_index(conn, ledger_id, raw, scan)[scan.p_account[:legs]])
        and np.array_equal(rows["amount"], scan.p_amount[:legs])
        and np.array_equal(rows["posted"], scan.p_balances[:legs, 0])
        and np.array_equal(rows["debits"], scan.p_balances[:legs, 1])
        and np.array_equal(rows["credits"], scan.p_balances[:legs, 2])
    )
    if not same:
        raise NeedsReplay


def _check_checkpoints(
    conn: Connection, ledger_id: int, origin: str, raw: bytes, starts: np.ndarray, scan: ScanState,
    leaves: list[bytes],
) -> None:
    checkpoints = conn.execute(
        text("SELECT tree_size, root_hash, signed_note FROM ledger_checkpoint WHERE ledger_id = :l ORDER BY tree_size"),
        {"l": ledger_id},
    ).all()
    if not checkpoints:
        return
    roots = roots_at(leaves, [int(row.tree_size) for row in checkpoints])
    replay = checkpoint_replay(origin, raw, starts, scan, len(leaves), roots)
    for row in checkpoints:
        check_checkpoint_note(replay, int(row.tree_size), row.signed_note)
        if bytes(row.root_hash) != replay.roots[int(row.tree_size)]:
            raise NeedsReplay
