"""`python -m ledger.verifier.consistency PROOF.json --vkey VKEY [--old-checkpoint FILE] [--new-checkpoint FILE]`.

Checks a consistency proof as `wattledger ledger consistency-proof` (or `GET /ledger/proofs/consistency`) prints
it: both checkpoint notes verify with a trusted ledger key, name one origin and the proof's sizes and roots, and
the RFC 9162 proof shows the old tree is a prefix of the new one (docs/ledger-spec.md §5). With
`--old-checkpoint` / `--new-checkpoint` the notes must also be the ones published outside the database.
Standard library and `cryptography` only. Exit status 0 = consistent; 1 = not, with the reason; 2 = unreadable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ledger.merkle import ProofError, verify_consistency
from ledger.signed_note import NoteError, open_note, parse_checkpoint_body, parse_vkey
from ledger.verifier.canonical_form import NotCanonical, parse_strict
from ledger.verifier.entry_format import HASH_HEX

PROOF_MEMBERS = frozenset({
    "size_old", "size_new", "proof_hex", "root_old_hex", "root_new_hex", "checkpoint_old_note", "checkpoint_new_note",
})


class InconsistentProof(ValueError):
    """The proof, or one of its checkpoints, does not hold; the message says which and why."""


def _hex_hash(name: str, value: Any) -> bytes:
    if type(value) is not str or not HASH_HEX.fullmatch(value):
        raise InconsistentProof(f"{name} is not 64 lowercase hex digits")
    return bytes.fromhex(value)


def _size(name: str, value: Any) -> int:
    if type(value) is not int or value < 0:
        raise InconsistentProof(f"{name} {value!r} is not a tree size")
    return value


def _checkpoint(name: str, note: Any, vkeys: list[str], size: int, root: bytes) -> str:
    """The origin of `note`, which a trusted key signed for exactly this size and root."""
    if type(note) is not str:
        raise InconsistentProof(f"{name} is not a string")
    try:
        body, _ = open_note(note, [parse_vkey(vkey) for vkey in vkeys])
        origin, body_size, body_root = parse_checkpoint_body(body)
    except NoteError as error:
        raise InconsistentProof(f"{name}: {error}") from error
    if (body_size, body_root) != (size, root):
        raise InconsistentProof(f"{name} signs size {body_size} and root {body_root.hex()}, not {size} and {root.hex()}")
    return origin


def check_consistency_document(document: Any, vkeys: list[str]) -> tuple[str, int, int]:
    """(origin, old size, new size) of a proof document that holds; raises InconsistentProof otherwise."""
    if type(document) is not dict or document.keys() != PROOF_MEMBERS:
        raise InconsistentProof(f"a consistency proof has exactly the members {sorted(PROOF_MEMBERS)}")
    size_old, size_new = _size("size_old", document["size_old"]), _size("size_new", document["size_new"])
    root_old, root_new = _hex_hash("root_old_hex", document["root_old_hex"]), _hex_hash("root_new_hex", document["root_new_hex"])
    nodes = document["proof_hex"]
    if type(nodes) is not list:
        raise InconsistentProof("proof_hex is not a list")
    proof = [_hex_hash(f"proof_hex[{index}]", node) for index, node in enumerate(nodes)]
    origin_old = _checkpoint("checkpoint_old_note", document["checkpoint_old_note"], vkeys, size_old, root_old)
    origin_new = _checkpoint("checkpoint_new_note", document["checkpoint_new_note"], vkeys, size_new, root_new)
    if origin_old != origin_new:
        raise InconsistentProof(f"the checkpoints name two ledgers, {origin_old!r} and {origin_new!r}")
    try:
        verify_consistency(size_old, size_new, proof, root_old, root_new)
    except ProofError as error:
        raise InconsistentProof(f"tree {size_old} is not a prefix of tree {size_new}: {error}") from error
    return origin_old, size_old, size_new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.verifier.consistency",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("proof", type=Path, help="the JSON that `wattledger ledger consistency-proof` printed")
    parser.add_argument("--vkey", action="append", required=True, help="trusted ledger key (repeatable)")
    parser.add_argument("--old-checkpoint", type=Path, help="the published note the old checkpoint must equal")
    parser.add_argument("--new-checkpoint", type=Path, help="the published note the new checkpoint must equal")
    args = parser.parse_args(argv)
    try:
        document = parse_strict(args.proof.read_bytes())
        published = {member: path.read_text(encoding="utf-8") for member, path in
                     (("checkpoint_old_note", args.old_checkpoint), ("checkpoint_new_note", args.new_checkpoint)) if path}
    except (OSError, UnicodeDecodeError, NotCanonical) as error:
        print(f"ERROR unreadable proof or checkpoint: {error}", file=sys.stderr)
        return 2
    try:
        origin, size_old, size_new = check_consistency_document(document, args.vkey)
        for member, note in published.items():
            if document[member] != note:
                raise InconsistentProof(f"{member} is not the published checkpoint")
    except InconsistentProof as error:
        print(f"FAIL consistency: {error}")
        return 1
    print(f"OK origin={origin} tree {size_old} is a prefix of tree {size_new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
