"""RFC 6962 / RFC 9162 Merkle tree over SHA-256: hashes, roots, inclusion and consistency proofs.

Standard library only, so the standalone verifier (`python -m ledger.verifier`) can use it. Leaves are
the entries' canonical bytes; a tree of size n holds entries seq 1..n at leaf indexes 0..n-1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request that cannot have a proof; the message says why."""


def leaf_hash(leaf_input: bytes) -> bytes:
    # The 0x00 / 0x01 prefixes keep a leaf from ever posing as an interior node (RFC 6962 §2.1).
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class CompactRange:
    """Running root of a growing tree: one stack of perfect subtrees, O(1) amortized per leaf.

    The stack mirrors the binary digits of the size, biggest subtree first, which is exactly how
    RFC 6962 splits a tree at the largest power of two below its size.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []
        self._heights: list[int] = []

    def append(self, leaf_hash_value: bytes) -> None:
        node, height = leaf_hash_value, 0
        while self._heights and self._heights[-1] == height:
            node = node_hash(self._stack.pop(), node)
            self._heights.pop()
            height += 1
        self._stack.append(node)
        self._heights.append(height)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for node in reversed(self._stack[:-1]):
            root = node_hash(node, root)
        return root


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 for the given leaf hashes."""
    compact = CompactRange()
    for value in leaf_hashes:
        compact.append(value)
    return compact.root()


def _split_point(size: int) -> int:
    """Largest power of two strictly below `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_proof(leaf_hashes: Sequence[bytes], leaf_index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1 for leaf `leaf_index` (0-based) of the tree of these leaves."""
    if not 0 <= leaf_index < len(leaf_hashes):
        raise ProofError(f"leaf index {leaf_index} outside tree of size {len(leaf_hashes)}")
    proof: list[bytes] = []
    leaves, index = leaf_hashes, leaf_index
    # Walk down from the root; each level contributes the root of the sibling subtree.
    while len(leaves) > 1:
        split = _split_point(len(leaves))
        if index < split:
            proof.append(root_hash(leaves[split:]))
            leaves = leaves[:split]
        else:
            proof.append(root_hash(leaves[:split]))
            leaves, index = leaves[split:], index - split
    proof.reverse()  # RFC order: from the leaf's sibling up to the root's child
    return proof


def consistency_proof(leaf_hashes: Sequence[bytes], size_old: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2: the tree of the first `size_old` leaves is a prefix."""
    size_new = len(leaf_hashes)
    if not 0 <= size_old <= size_new:
        raise ProofError(f"old size {size_old} outside 0..{size_new}")
    if size_old in (0, size_new):
        return []
    return _subproof(size_old, leaf_hashes, complete=True)


def _subproof(size_old: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    size = len(leaves)
    if size_old == size:
        return [] if complete else [root_hash(leaves)]
    split = _split_point(size)
    if size_old <= split:
        return _subproof(size_old, leaves[:split], complete) + [root_hash(leaves[split:])]
    return _subproof(size_old - split, leaves[split:], False) + [root_hash(leaves[:split])]


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash_value: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless `proof` puts the leaf in the tree with `root`."""
    if not 0 <= leaf_index < tree_size:
        raise ProofError(f"leaf index {leaf_index} outside tree of size {tree_size}")
    if any(len(node) != HASH_SIZE_BYTES for node in proof):
        raise ProofError("proof node of the wrong length")
    index, last = leaf_index, tree_size - 1
    computed = leaf_hash_value
    for node in proof:
        if last == 0:
            raise ProofError("proof longer than the tree is deep")
        if index & 1 or index == last:
            computed = node_hash(node, computed)
            while index & 1 == 0 and index != 0:
                index, last = index >> 1, last >> 1
        else:
            computed = node_hash(computed, node)
        index, last = index >> 1, last >> 1
    if last != 0:
        raise ProofError("proof shorter than the tree is deep")
    if computed != root:
        raise ProofError("computed root differs from the expected root")


def verify_consistency(
    size_old: int, size_new: int, proof: Sequence[bytes], root_old: bytes, root_new: bytes
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree `size_old` is a prefix of tree `size_new`."""
    if not 0 <= size_old <= size_new:
        raise ProofError(f"sizes {size_old} -> {size_new} do not grow")
    if any(len(node) != HASH_SIZE_BYTES for node in proof):
        raise ProofError("proof node of the wrong length")
    if size_old == size_new:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root_old != root_new:
            raise ProofError("equal sizes with different roots")
        return
    if size_old == 0:
        if proof:
            raise ProofError("an empty tree needs an empty proof")
        return
    if not proof:
        raise ProofError("empty proof for a growing tree")
    path = list(proof)
    if size_old & (size_old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, root_old)
    index, last = size_old - 1, size_new - 1
    while index & 1:
        index, last = index >> 1, last >> 1
    computed_old = computed_new = path[0]
    for node in path[1:]:
        if last == 0:
            raise ProofError("proof longer than the tree is deep")
        if index & 1 or index == last:
            computed_old = node_hash(node, computed_old)
            computed_new = node_hash(node, computed_new)
            while index & 1 == 0 and index != 0:
                index, last = index >> 1, last >> 1
        else:
            computed_new = node_hash(computed_new, node)
        index, last = index >> 1, last >> 1
    if last != 0:
        raise ProofError("proof shorter than the tree is deep")
    if computed_old != root_old:
        raise ProofError("proof does not reproduce the old root")
    if computed_new != root_new:
        raise ProofError("proof does not reproduce the new root")
