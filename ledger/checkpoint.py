"""Signed checkpoints: C2SP tlog-checkpoint bodies over (origin, size, RFC 6962 root), Ed25519-signed.

Every posting batch is signed in the transaction that appends it (`append_checkpointed`), and again
at cycle close and on demand. Signing takes the ledger's append lock, so the head cannot move while it is measured. A key the
chain has not seen yet is first appended as a `key_rotation` entry (meta.vkey), so every key that
ever signed is itself on the chain. A head whose first `size` leaves do not reproduce the last
signed root is never signed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from ledger import repository as repo
from ledger.errors import CheckpointInconsistent
from ledger.keys import load_signing_key
from ledger.merkle import CompactRange
from ledger.model import AppendedEntry, EntryRequest
from ledger.requests import normalize_request
from ledger.service import append_entries, append_internal
from ledger.signed_note import checkpoint_body, sign_note, verifier_key_from_private


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hex: str
    chain_hash_hex: str
    vkey: str
    signed_note: str


def sign_checkpoint(conn: Connection, origin: str, key_path: Path) -> Checkpoint:
    """Sign the current head of `origin` (idempotent when the head is already signed)."""
    private_key = load_signing_key(key_path)
    vkey = verifier_key_from_private(origin, private_key).vkey
    ledger_id = repo.ledger_id_for(conn, origin)
    repo.lock_ledger(conn, ledger_id)
    if vkey not in chained_vkeys(conn, ledger_id):
        _, clock = repo.read_head(conn, ledger_id)
        rotation = EntryRequest(
            idempotency_key=f"key_rotation:{vkey}", kind="key_rotation", effective_at_utc=clock,
            meta={"vkey": vkey},
        )
        append_internal(conn, origin, normalize_request(rotation, internal=True))
    leaves = leaf_hashes(conn, ledger_id, None)
    latest = latest_checkpoint(conn, ledger_id)
    root = _root_extending(origin, leaves, latest)
    if latest is not None and latest.tree_size == len(leaves) and latest.vkey == vkey:
        return latest
    note = sign_note(checkpoint_body(origin, len(leaves), root), origin, private_key)
    chain = conn.execute(
        text("SELECT chain_hash FROM ledger_entry WHERE ledger_id = :l AND seq = :s"),
        {"l": ledger_id, "s": len(leaves)},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO ledger_checkpoint (ledger_id, tree_size, root_hash, chain_hash, key_vkey, signed_note)"
            " VALUES (:l, :size, :root, :chain, :vkey, :note)"
        ),
        {"l": ledger_id, "size": len(leaves), "root": root, "chain": chain, "vkey": vkey, "note": note},
    )
    return Checkpoint(len(leaves), root.hex(), bytes(chain).hex(), vkey, note)


def append_checkpointed(
    conn: Connection, origin: str, entries: Sequence[EntryRequest], key_path: Path
) -> list[AppendedEntry]:
    """`append_entries`, then sign the new head in the same transaction: what commits is covered.

    A posting batch and its checkpoint commit together or not at all, so no committed entry waits for a
    later cycle close to be signed (a cycle that fails after posting used to leave such entries). Signing
    an unchanged head returns the existing checkpoint, so a batch of idempotency hits signs nothing new.
    Publishing the checkpoint outside the database happens after the commit (`ledger.publication`).
    """
    results = append_entries(conn, origin, entries)
    sign_checkpoint(conn, origin, key_path)
    return results


def _root_extending(origin: str, leaves: list[bytes], latest: Checkpoint | None) -> bytes:
    """Root of all `leaves` in one pass, after checking that their first `latest.tree_size` give its root."""
    signed_size = 0 if latest is None else latest.tree_size
    if signed_size > len(leaves):
        raise CheckpointInconsistent(origin, f"head {len(leaves)} is behind signed size {signed_size}")
    compact = CompactRange()
    for leaf in leaves[:signed_size]:
        compact.append(leaf)
    if latest is not None and compact.root().hex() != latest.root_hex:
        raise CheckpointInconsistent(origin, f"first {signed_size} entries no longer give the signed root")
    for leaf in leaves[signed_size:]:
        compact.append(leaf)
    return compact.root()


def roots_at(conn: Connection, origin: str, sizes: Sequence[int]) -> tuple[int, dict[int, bytes]]:
    """(number of entries, {size: RFC 6962 root of the first `size` entries}) for the sizes the ledger has."""
    ledger_id = repo.ledger_id_for(conn, origin)
    wanted = set(sizes)
    leaves = leaf_hashes(conn, ledger_id, max(wanted, default=0))
    count = int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM ledger_entry WHERE ledger_id = :l"),
                             {"l": ledger_id}).scalar_one())
    compact = CompactRange()
    roots = {0: compact.root()}
    for leaf in leaves:
        compact.append(leaf)
        if compact.size in wanted:
            roots[compact.size] = compact.root()
    return count, roots


def chained_vkeys(conn: Connection, ledger_id: int) -> list[str]:
    rows = conn.execute(
        text("SELECT canonical FROM ledger_entry WHERE ledger_id = :l AND kind = 'key_rotation' ORDER BY seq"),
        {"l": ledger_id},
    ).scalars()
    return [json.loads(bytes(raw))["meta"]["vkey"] for raw in rows]


def leaf_hashes(conn: Connection, ledger_id: int, size: int | None) -> list[bytes]:
    rows = conn.execute(
        text(
            "SELECT leaf_hash FROM ledger_entry WHERE ledger_id = :l AND (CAST(:size AS bigint) IS NULL OR seq <= :size)"
            " ORDER BY seq"
        ),
        {"l": ledger_id, "size": size},
    ).scalars()
    return [bytes(value) for value in rows]


def latest_checkpoint(conn: Connection, ledger_id: int) -> Checkpoint | None:
    rows = list_checkpoints(conn, ledger_id, limit=1)
    return rows[0] if rows else None


def list_checkpoints(conn: Connection, ledger_id: int, limit: int = 100) -> list[Checkpoint]:
    """Newest first."""
    rows = conn.execute(
        text(
            "SELECT tree_size, root_hash, chain_hash, key_vkey, signed_note FROM ledger_checkpoint"
            " WHERE ledger_id = :l ORDER BY tree_size DESC LIMIT :limit"
        ),
        {"l": ledger_id, "limit": limit},
    ).all()
    return [
        Checkpoint(int(r.tree_size), bytes(r.root_hash).hex(), bytes(r.chain_hash).hex(), r.key_vkey, r.signed_note)
        for r in rows
    ]


def checkpoint_at(conn: Connection, ledger_id: int, tree_size: int) -> Checkpoint | None:
    row = conn.execute(
        text(
            "SELECT tree_size, root_hash, chain_hash, key_vkey, signed_note FROM ledger_checkpoint"
            " WHERE ledger_id = :l AND tree_size = :s"
        ),
        {"l": ledger_id, "s": tree_size},
    ).one_or_none()
    if row is None:
        return None
    return Checkpoint(int(row.tree_size), bytes(row.root_hash).hex(), bytes(row.chain_hash).hex(),
                      row.key_vkey, row.signed_note)
