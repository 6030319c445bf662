"""Inclusion and consistency proofs from the live ledger, against its signed checkpoints."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import Connection, text

from common.errors import NotFound
from ledger import repository as repo
from ledger.checkpoint import Checkpoint, checkpoint_at, latest_checkpoint, leaf_hashes
from ledger.errors import CheckpointInconsistent, EntryNotFound
from ledger.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


class CheckpointNotFound(NotFound):
    def __init__(self, origin: str, what: str) -> None:
        super().__init__(f"ledger {origin}: no signed checkpoint {what} (run `wattledger ledger checkpoint`)")


@dataclass(frozen=True)
class InclusionProof:
    """Entry `seq` is leaf `seq - 1` of the tree of size `tree_size` whose root the checkpoint signs."""

    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash_hex: str
    canonical_b64: str
    proof_hex: list[str]
    root_hex: str
    checkpoint_note: str


@dataclass(frozen=True)
class ConsistencyProof:
    size_old: int
    size_new: int
    proof_hex: list[str]
    root_old_hex: str
    root_new_hex: str
    checkpoint_old_note: str
    checkpoint_new_note: str


def _covering_checkpoint(conn: Connection, ledger_id: int, seq: int, tree_size: int | None) -> Checkpoint | None:
    if tree_size is not None:
        return checkpoint_at(conn, ledger_id, tree_size)
    size = conn.execute(
        text("SELECT min(tree_size) FROM ledger_checkpoint WHERE ledger_id = :l AND tree_size >= :s"),
        {"l": ledger_id, "s": seq},
    ).scalar()
    return None if size is None else checkpoint_at(conn, ledger_id, int(size))


def prove_inclusion(conn: Connection, origin: str, seq: int, tree_size: int | None = None) -> InclusionProof:
    """Proof for entry `seq` against the checkpoint of `tree_size` (default: the first covering it)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    row = conn.execute(
        text("SELECT canonical, leaf_hash FROM ledger_entry WHERE ledger_id = :l AND seq = :s"),
        {"l": ledger_id, "s": seq},
    ).one_or_none()
    if row is None:
        raise EntryNotFound(origin, seq)
    checkpoint = _covering_checkpoint(conn, ledger_id, seq, tree_size)
    if checkpoint is None or checkpoint.tree_size < seq:
        raise CheckpointNotFound(origin, f"covering seq {seq}")
    leaves = leaf_hashes(conn, ledger_id, checkpoint.tree_size)
    proof = inclusion_proof(leaves, seq - 1)
    root = bytes.fromhex(checkpoint.root_hex)
    try:  # never hand out a proof that does not verify against the signed root
        verify_inclusion(seq - 1, checkpoint.tree_size, bytes(row.leaf_hash), proof, root)
    except ProofError as error:
        raise CheckpointInconsistent(origin, f"entries no longer match checkpoint {checkpoint.tree_size}") from error
    return InclusionProof(
        seq, seq - 1, checkpoint.tree_size, bytes(row.leaf_hash).hex(),
        base64.b64encode(bytes(row.canonical)).decode(), [node.hex() for node in proof], checkpoint.root_hex,
        checkpoint.signed_note,
    )


def prove_consistency(conn: Connection, origin: str, size_old: int, size_new: int | None = None) -> ConsistencyProof:
    """Proof that checkpoint `size_old` is a prefix of checkpoint `size_new` (default: the latest checkpoint)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    if size_new is None:
        latest = latest_checkpoint(conn, ledger_id)
        if latest is None:
            raise CheckpointNotFound(origin, "at all")
        size_new = latest.tree_size
    old, new = checkpoint_at(conn, ledger_id, size_old), checkpoint_at(conn, ledger_id, size_new)
    if old is None or new is None:
        raise CheckpointNotFound(origin, f"at size {size_old if old is None else size_new}")
    if size_old > size_new:
        raise CheckpointNotFound(origin, f"pair {size_old} -> {size_new} (sizes must grow)")
    leaves = leaf_hashes(conn, ledger_id, size_new)
    proof = consistency_proof(leaves, size_old)
    root_old, root_new = bytes.fromhex(old.root_hex), bytes.fromhex(new.root_hex)
    try:
        if root_hash(leaves) != root_new:
            raise ProofError(f"entries no longer give the root of checkpoint {size_new}")
        verify_consistency(size_old, size_new, proof, root_old, root_new)
    except ProofError as error:
        raise CheckpointInconsistent(origin, str(error)) from error
    return ConsistencyProof(
        size_old, size_new, [node.hex() for node in proof], old.root_hex, new.root_hex, old.signed_note,
        new.signed_note,
    )
