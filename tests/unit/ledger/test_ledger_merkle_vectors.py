"""RFC 6962 Merkle hashing and proofs reproduce the published vectors (transparency-dev/merkle)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.merkle import (
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


@pytest.fixture(scope="module")
def vectors(shared_dir: Path) -> dict:
    return json.loads((shared_dir / "ledger_vectors" / "rfc6962_merkle_vectors.json").read_text())


def _leaves(vectors: dict) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(value)) for value in vectors["leaf_inputs_hex"]]


def test_hasher_examples_match(vectors: dict) -> None:
    """Empty root, leaf hashes and the node hash of the RFC 6962 hasher tests come out byte for byte."""
    for example in vectors["hasher_examples"]:
        if example["kind"] == "empty_root":
            assert root_hash([]).hex() == example["hash"]
        elif example["kind"] == "leaf":
            assert leaf_hash(bytes.fromhex(example["input_hex"])).hex() == example["hash"]
        else:
            got = node_hash(bytes.fromhex(example["left_hex"]), bytes.fromhex(example["right_hex"]))
            assert got.hex() == example["hash"]


def test_roots_for_sizes_0_to_8(vectors: dict) -> None:
    """The root of the first n vector leaves equals the published root for every n in 0..8."""
    leaves = _leaves(vectors)
    for size_text, root_hex in vectors["root_hashes_by_tree_size"].items():
        assert root_hash(leaves[: int(size_text)]).hex() == root_hex


def test_compact_range_root_at_every_size(vectors: dict) -> None:
    """The incremental root equals the published root after each appended leaf."""
    compact = CompactRange()
    roots = vectors["root_hashes_by_tree_size"]
    assert compact.root().hex() == roots["0"]
    for size, leaf in enumerate(_leaves(vectors), start=1):
        compact.append(leaf)
        assert compact.root().hex() == roots[str(size)]


def test_reference_inclusion_proofs_are_generated(vectors: dict) -> None:
    """Our inclusion proofs equal the reference audit paths."""
    leaves = _leaves(vectors)
    for case in vectors["reference_inclusion_proofs"]:
        proof = inclusion_proof(leaves[: case["treeSize"]], case["leafIdx"])
        assert [node.hex() for node in proof] == case["proof"]


def test_reference_consistency_proofs_are_generated(vectors: dict) -> None:
    """Our consistency proofs equal the reference proofs."""
    leaves = _leaves(vectors)
    for case in vectors["reference_consistency_proofs"]:
        proof = consistency_proof(leaves[: case["size2"]], case["size1"])
        assert [node.hex() for node in proof] == case["proof"]


def test_inclusion_probes_accept_and_reject_as_published(vectors: dict) -> None:
    """All 33 golden inclusion probes: happy paths verify, every mutation is rejected."""
    assert len(vectors["inclusion_probes"]) == 33
    for probe in vectors["inclusion_probes"]:
        args = (probe["leafIdx"], probe["treeSize"], bytes.fromhex(probe["leafHash"]),
                [bytes.fromhex(node) for node in probe["proof"]], bytes.fromhex(probe["root"]))
        if probe["wantErr"]:
            with pytest.raises(ProofError):
                verify_inclusion(*args)
        else:
            verify_inclusion(*args)


def test_consistency_probes_accept_and_reject_as_published(vectors: dict) -> None:
    """All 37 golden consistency probes: happy paths verify, every mutation is rejected."""
    assert len(vectors["consistency_probes"]) == 37
    for probe in vectors["consistency_probes"]:
        args = (probe["size1"], probe["size2"], [bytes.fromhex(node) for node in probe["proof"]],
                bytes.fromhex(probe["root1"]), bytes.fromhex(probe["root2"]))
        if probe["wantErr"]:
            with pytest.raises(ProofError):
                verify_consistency(*args)
        else:
            verify_consistency(*args)


def test_generated_proofs_verify_for_every_pair_up_to_33_leaves() -> None:
    """Every inclusion and consistency proof we generate for trees up to 33 leaves verifies."""
    leaves = [leaf_hash(index.to_bytes(4, "big")) for index in range(33)]
    for size in range(1, len(leaves) + 1):
        root = root_hash(leaves[:size])
        for index in range(size):
            verify_inclusion(index, size, leaves[index], inclusion_proof(leaves[:size], index), root)
        for size_old in range(size + 1):
            proof = consistency_proof(leaves[:size], size_old)
            verify_consistency(size_old, size, proof, root_hash(leaves[:size_old]), root)
