"""Compiled verification of an export: the numba pre-check (ledger.verifier.compiled_scan) plus bulk hashing.

Same verdict as `ledger.verifier.export_check.verify_export`, which stays the authority: whenever
anything here does not pass, the export is handed to it and its report (seq and reason) is returned.
Needs numpy and numba, so it is not part of the standard-library-only verifier; `python -m
ledger.verifier --fast` uses it when they are installed. The live audit (ledger.audit.compiled_check)
reuses the bulk hashes, the roots and the checkpoint replay below.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numba
import numpy as np
from numpy.typing import NDArray

from ledger.chain import CHAIN_GENESIS, CHAIN_TAG_V1
from ledger.merkle import node_hash
from ledger.verifier.compiled_scan import KEY_ROTATION, ScanState, scan_entries
from ledger.verifier.documents import check_documents, facts_from_lines
from ledger.verifier.export_check import ExportReport, read_checkpoints, verify_export
from ledger.verifier.export_lines import manifest_fields
from ledger.verifier.replay import ChainReplay, VerificationFailure, check_checkpoint_note


class NeedsReplay(Exception):
    """The fast path cannot vouch for the export; the replay will say where and why."""


def verify_export_compiled(directory: Path, trusted_vkeys: list[str] | None = None) -> ExportReport:
    try:
        return compiled_verdict(directory, trusted_vkeys)
    except (NeedsReplay, VerificationFailure, ValueError, KeyError, IndexError):
        return verify_export(directory, trusted_vkeys)


def compiled_verdict(directory: Path, trusted_vkeys: list[str] | None) -> ExportReport:
    origin, entries = manifest_fields((directory / "MANIFEST.json").read_bytes())
    if trusted_vkeys is None:
        trusted_vkeys = (directory / "keys.txt").read_text().split()
    raw = (directory / "entries.jsonl").read_bytes()
    data = np.frombuffer(raw, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(data == 10) + 1)).astype(np.int64)
    if raw and not raw.endswith(b"\n"):
        raise NeedsReplay
    count = starts.size - 1
    checkpoints = read_checkpoints(directory / "checkpoints.jsonl")
    sizes = [int(record["tree_size"]) for record in checkpoints]
    # The compiled scan releases the GIL, and so do numpy's loops: the worker scans and then reads
    # chain.tsv while this thread computes the hashes and the checkpoint roots.
    with ThreadPoolExecutor(max_workers=1) as pool:
        worker = pool.submit(_scan_and_chain_file, data, starts, origin, directory / "chain.tsv", count)
        leaves, chains = leaf_and_chain_hashes(raw, starts)
        roots = roots_at(leaves, sizes)
        (bad, scan), stored_hex = worker.result()
    if bad >= 0 or entries != count:
        raise NeedsReplay
    if stored_hex != b"".join(map(bytes.__add__, leaves, chains)).hex().encode():
        raise NeedsReplay
    replay = checkpoint_replay(origin, raw, starts, scan, len(leaves), roots)
    for record in checkpoints:
        check_checkpoint_note(replay, record["tree_size"], record["note"], trusted_vkeys, record["root"])
    if (directory / "documents").is_dir():
        check_documents(directory / "documents", facts_from_lines(raw, starts.tolist()), len(leaves))
    return ExportReport(True, origin, len(leaves), len(checkpoints), None, None)


def checkpoint_replay(
    origin: str, raw: bytes, starts: NDArray[np.int64], scan: ScanState, size: int, roots: dict[int, bytes]
) -> ChainReplay:
    """A replay state holding what `check_checkpoint_note` reads, taken from a passing scan: the size,
    the keys rotated in (with their seq) and the roots at the checkpoint sizes."""
    replay = ChainReplay(origin)
    replay.size = size
    replay.rotated_vkeys = [
        (int(index) + 1, json.loads(raw[starts[index]: starts[index + 1] - 1])["meta"]["vkey"])
        for index in np.flatnonzero(scan.kinds == KEY_ROTATION)
    ]
    replay.roots = roots
    return replay


def _scan_and_chain_file(
    data: NDArray[np.uint8], starts: NDArray[np.int64], origin: str, chain_file: Path, count: int
) -> tuple[tuple[int, ScanState], bytes]:
    scanned = scan_entries(data, starts, json.dumps(origin, ensure_ascii=False).encode())
    return scanned, _chain_file_hex(chain_file, count)


def leaf_and_chain_hashes(raw: bytes, starts: NDArray[np.int64]) -> tuple[list[bytes], list[bytes]]:
    """Leaf and chain hash of every entry of `raw` (entries each followed by a newline)."""
    # Canonical bytes never hold a raw newline or NUL, so turning each newline into the 0x00 leaf
    # prefix lets every leaf hash read one slice of a single buffer, with no copying per entry.
    buffer = memoryview(b"\x00" + raw.replace(b"\n", b"\x00"))
    bounds = starts.tolist()
    sha256 = hashlib.sha256
    leaves = [sha256(buffer[start:stop]).digest() for start, stop in pairwise(bounds)]
    chains = []
    chain = CHAIN_GENESIS
    for leaf in leaves:
        chain = sha256(CHAIN_TAG_V1 + chain + leaf).digest()
        chains.append(chain)
    return leaves, chains


def _chain_file_hex(path: Path, count: int) -> bytes:
    """Leaf hex then chain hex of every line of chain.tsv, after checking each line is
    `seq TAB 64 hex TAB 64 hex` with seq = its line number (compiled; runs beside the hashing)."""
    text = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    hexes = np.empty((count, 128), dtype=np.uint8)
    if not _chain_lines(text, hexes):
        raise NeedsReplay
    return hexes.tobytes()


@numba.njit(cache=True, nogil=True)
def _chain_lines(text: NDArray[np.uint8], hexes: NDArray[np.uint8]) -> bool:
    """True when `text` is exactly len(hexes) lines `seq\tleaf\tchain\n`, seq counting from 1
    without leading zeros; the 64 + 64 hash characters of each line are copied into `hexes`."""
    at = 0
    for line in range(hexes.shape[0]):
        seq, digits = 0, 0
        while at < text.size and 48 <= text[at] <= 57 and digits < 19:
            seq = seq * 10 + (text[at] - 48)
            at += 1
            digits += 1
        if digits == 0 or seq != line + 1 or text[at - digits] == 48:
            return False
        if at + 131 > text.size or text[at] != 9 or text[at + 65] != 9 or text[at + 130] != 10:
            return False
        hexes[line, :64] = text[at + 1:at + 65]
        hexes[line, 64:] = text[at + 66:at + 130]
        at += 131
    return at == text.size


def roots_at(leaves: list[bytes], sizes: list[int]) -> dict[int, bytes]:
    """RFC 6962 roots of the first `size` leaves, from the levels of perfect subtrees (one pass)."""
    if not sizes:
        return {}
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[k], below[k + 1]) for k in range(0, len(below) - 1, 2)])
    roots: dict[int, bytes] = {}
    for size in sizes:
        if not 0 < size <= len(leaves):
            raise NeedsReplay
        # size = 2^a + 2^b + ... : the perfect subtrees, left to right, folded from the right.
        nodes, offset = [], 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                nodes.append(levels[height][offset >> height])
                offset += 1 << height
        root = nodes[-1]
        for node in reversed(nodes[:-1]):
            root = node_hash(node, root)
        roots[size] = root
    return roots
