"""Fast verification of an export: the compiled pre-check (ledger.fastscan) plus bulk hashing.

Same verdict as `ledger.verify.verify_export`, which stays the authority: whenever anything here does
not pass, the export is handed to it and its report (seq and reason) is returned. Needs numpy and
numba, so it is not part of the standard-library-only verifier; `python -m ledger.verify --fast`
uses it when they are installed.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np

from ledger.chain import CHAIN_GENESIS, CHAIN_TAG_V1
from ledger.fastscan import KEY_ROTATION, ScanState, scan_entries
from ledger.merkle import node_hash
from ledger.replay import ChainReplay, VerificationFailure, check_checkpoint_note
from ledger.verify import ExportReport, _read_checkpoints, verify_export


class _NeedsReplay(Exception):
    """The fast path cannot vouch for the export; the replay will say where and why."""


def fast_verify_export(directory: Path, trusted_vkeys: list[str] | None = None) -> ExportReport:
    try:
        return _fast(directory, trusted_vkeys)
    except (_NeedsReplay, VerificationFailure, ValueError, KeyError, IndexError):
        return verify_export(directory, trusted_vkeys)


def _fast(directory: Path, trusted_vkeys: list[str] | None) -> ExportReport:
    manifest = json.loads((directory / "MANIFEST.json").read_text())
    origin = manifest["origin"]
    if trusted_vkeys is None:
        trusted_vkeys = (directory / "keys.txt").read_text().split()
    raw = (directory / "entries.jsonl").read_bytes()
    data = np.frombuffer(raw, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(data == 10) + 1)).astype(np.int64)
    if raw and not raw.endswith(b"\n"):
        raise _NeedsReplay
    count = starts.size - 1
    checkpoints = _read_checkpoints(directory / "checkpoints.jsonl")
    sizes = [int(record["tree_size"]) for record in checkpoints]
    # The compiled scan releases the GIL, and so do numpy's loops: the worker scans and then reads
    # chain.tsv while this thread computes the hashes and the checkpoint roots.
    with ThreadPoolExecutor(max_workers=1) as pool:
        worker = pool.submit(_scan_and_chain_file, data, starts, origin, directory / "chain.tsv", count)
        leaves, chains = _hashes(raw, starts)
        roots = _roots_at(leaves, sizes)
        (bad, scan), stored_hex = worker.result()
    if bad >= 0 or manifest.get("entries") != count:
        raise _NeedsReplay
    if stored_hex != b"".join(map(bytes.__add__, leaves, chains)).hex().encode():
        raise _NeedsReplay
    replay = ChainReplay(origin)
    replay.size = len(leaves)
    replay.rotated_vkeys = [
        (int(index) + 1, json.loads(raw[starts[index]: starts[index + 1] - 1])["meta"]["vkey"])
        for index in np.flatnonzero(scan.kinds == KEY_ROTATION)
    ]
    replay.roots = roots
    for record in checkpoints:
        check_checkpoint_note(replay, int(record["tree_size"]), record["note"], trusted_vkeys)
    return ExportReport(True, origin, len(leaves), len(checkpoints), None, None)


def _scan_and_chain_file(
    data: np.ndarray, starts: np.ndarray, origin: str, chain_file: Path, count: int
) -> tuple[tuple[int, ScanState], bytes]:
    scanned = scan_entries(data, starts, json.dumps(origin, ensure_ascii=False).encode())
    return scanned, _chain_file_hex(chain_file, count)


def _hashes(raw: bytes, starts: np.ndarray) -> tuple[list[bytes], list[bytes]]:
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
    `seq TAB 64 hex TAB 64 hex` with seq = its line number. (numpy work: runs beside the hashing.)"""
    text = path.read_bytes()
    data = np.frombuffer(text, dtype=np.uint8)
    tabs = np.flatnonzero(data == 9)
    ends = np.flatnonzero(data == 10)
    if tabs.size != 2 * count or ends.size != count:
        raise _NeedsReplay
    first_tabs, second_tabs = tabs[0::2], tabs[1::2]
    line_starts = np.concatenate(([0], ends[:-1] + 1))
    if not (np.all(second_tabs - first_tabs == 65) and np.all(ends - second_tabs == 65)):
        raise _NeedsReplay
    # The bytes between the first tab and the newline, minus the second tab, in one masked copy;
    # the seq column is what lies before the first tab.
    marks = np.zeros(data.size + 1, dtype=np.int8)
    marks[first_tabs + 1] = 1
    marks[ends] = -1
    hashes_mask = np.cumsum(marks[:-1], dtype=np.int8) > 0
    hashes_mask[second_tabs] = False
    marks[:] = 0
    marks[line_starts] = 1
    marks[first_tabs] = -1
    seq_mask = np.cumsum(marks[:-1], dtype=np.int8) > 0
    expected_seq = "".join(map(str, range(1, count + 1))).encode()
    seqs = np.arange(1, count + 1, dtype=np.int64)
    expected_widths = 1 + sum((seqs >= 10**power).astype(np.int64) for power in range(1, 19))
    # Same digits and the same split into lines: each line holds exactly the seq of its position.
    if data[seq_mask].tobytes() != expected_seq or not np.array_equal(first_tabs - line_starts, expected_widths):
        raise _NeedsReplay
    return data[hashes_mask].tobytes()


def _roots_at(leaves: list[bytes], sizes: list[int]) -> dict[int, bytes]:
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
            raise _NeedsReplay
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
