"""Verify a ledger export directory (`wattledger ledger export DIR`) by replaying it.

Imports only the standard library and `cryptography` (see docs/ledger-spec.md §7), so an auditor
can run it without the rest of wattledger; the command line is `python -m ledger.verifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.verifier.documents import check_documents
from ledger.verifier.export_lines import chain_line, checkpoint_records, manifest_fields
from ledger.verifier.replay import ChainReplay, VerificationFailure, check_checkpoint_note

ENTRIES_PER_CHUNK = 20_000


@dataclass(frozen=True)
class ExportReport:
    ok: bool
    origin: str
    entries_checked: int
    checkpoints_checked: int
    first_bad_seq: int | None
    reason: str | None


def _read_chain(path: Path) -> list[tuple[bytes, bytes]]:
    lines = path.read_bytes().split(b"\n")
    if lines.pop() != b"":
        raise VerificationFailure(len(lines) + 1, f"chain.tsv line {len(lines) + 1} does not end in a newline")
    return [chain_line(number, line) for number, line in enumerate(lines, start=1)]


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    """The records of checkpoints.jsonl, by tree size (none when the file is absent)."""
    if not path.exists():
        return []
    records = [{"tree_size": record.tree_size, "root": record.root_hex, "note": record.note}
               for record in checkpoint_records(path.read_bytes())]  # every field checked (export_lines)
    return sorted(records, key=lambda record: record["tree_size"])


def verify_export(directory: Path, trusted_vkeys: list[str] | None = None) -> ExportReport:
    """Replay `directory`; `trusted_vkeys` (default: keys.txt of the export) may sign checkpoints."""
    try:
        origin, entries = manifest_fields((directory / "MANIFEST.json").read_bytes())
    except VerificationFailure as failure:
        return ExportReport(False, "", 0, 0, failure.seq, failure.reason)
    if trusted_vkeys is None:
        trusted_vkeys = (directory / "keys.txt").read_text().split()
    replay = ChainReplay(origin)
    checkpoints: list[dict[str, Any]] = []
    try:
        checkpoints = read_checkpoints(directory / "checkpoints.jsonl")
        raws = (directory / "entries.jsonl").read_bytes().split(b"\n")
        if raws.pop() != b"":  # every line, the last one too, ends in a newline (spec §7)
            raise VerificationFailure(len(raws) + 1, f"entries.jsonl line {len(raws) + 1} does not end in a newline")
        stored = _read_chain(directory / "chain.tsv")
        if len(stored) != len(raws):
            raise VerificationFailure(min(len(stored), len(raws)) + 1, "entries.jsonl and chain.tsv differ in length")
        _replay_in_chunks(replay, raws, stored, [int(c["tree_size"]) for c in checkpoints])
        for record in checkpoints:
            check_checkpoint_note(replay, record["tree_size"], record["note"], trusted_vkeys, record["root"])
        if entries != replay.size:
            raise VerificationFailure(replay.size + 1, f"manifest says {entries} entries")
        if (directory / "documents").is_dir():  # issued documents against the ledger's facts (verifier.documents)
            check_documents(directory / "documents", replay.document_facts, replay.size)
    except VerificationFailure as failure:
        return ExportReport(False, origin, failure.seq - 1, 0, failure.seq, failure.reason)
    return ExportReport(True, origin, replay.size, len(checkpoints), None, None)


def _replay_in_chunks(
    replay: ChainReplay, raws: list[bytes], stored: list[tuple[bytes, bytes]], stop_sizes: list[int]
) -> None:
    """Feed in chunks that end at every checkpoint size, recording the root there."""
    stops = sorted({size for size in stop_sizes if 0 < size <= len(raws)} | {len(raws)})
    start = 0
    for stop in stops:
        while start < stop:
            end = min(stop, start + ENTRIES_PER_CHUNK)
            replay.feed(raws[start:end], stored[start:end])
            start = end
        replay.roots[stop] = replay.root()
