"""Checkpoints published outside the database, and whether a ledger extends them (standard library + cryptography).

A published checkpoint is a signed note file (`<size>.note` from the checkpoint folder, or the note of a
`wattledger ledger checkpoint`): the ledger's signature and, when witnesses cosigned it, their cosignature lines.
`read_published` accepts it only when a key the auditor trusts (`--vkey`) signed it and every witness key the
auditor names (`--witness-key`) cosigned it. `extension_failure` then says why a ledger does not extend it: fewer
entries than its size (the tail was cut), or another root over its first entries (the chain was rewritten, or
forged with its own checkpoints removed, or re-signed with a replaced key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.cosignature import parse_cosigner_vkey, verify_cosignature
from ledger.merkle import CompactRange
from ledger.signed_note import NoteError, open_note, parse_checkpoint_body, parse_vkey
from ledger.verifier.export_check import ExportReport

NOTE_BYTES_MAX = 64 * 1024


class PublishedCheckpointError(ValueError):
    """A published checkpoint file that cannot be read, or whose signatures do not hold."""


@dataclass(frozen=True)
class PublishedCheckpoint:
    source: str
    origin: str
    tree_size: int
    root: bytes
    witnesses: tuple[str, ...]


def read_published(path: Path, trusted_vkeys: Sequence[str], witness_vkeys: Sequence[str]) -> PublishedCheckpoint:
    """The checkpoint of the note file `path`, signed by a trusted ledger key and cosigned by every witness key."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PublishedCheckpointError(f"{path}: cannot read: {error.strerror or error}") from error
    if len(raw) > NOTE_BYTES_MAX:
        raise PublishedCheckpointError(f"{path}: larger than {NOTE_BYTES_MAX} bytes, not a checkpoint note")
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PublishedCheckpointError(f"{path}: not UTF-8 text (byte {error.start})") from error
    return parse_published(str(path), note, trusted_vkeys, witness_vkeys)


def parse_published(source: str, note: str, trusted_vkeys: Sequence[str],
                    witness_vkeys: Sequence[str]) -> PublishedCheckpoint:
    try:
        ledger_keys = [parse_vkey(vkey) for vkey in trusted_vkeys]
        witness_keys = [parse_cosigner_vkey(vkey) for vkey in witness_vkeys]
    except NoteError as error:
        raise PublishedCheckpointError(f"{source}: {error}") from error
    try:
        body, _ = open_note(note, ledger_keys)
    except NoteError as error:
        raise PublishedCheckpointError(f"{source}: ledger signature: {error} (trusted keys: --vkey)") from error
    try:
        origin, tree_size, root = parse_checkpoint_body(body)
    except NoteError as error:
        raise PublishedCheckpointError(f"{source}: {error}") from error
    for key in witness_keys:
        try:
            verify_cosignature(note, key)
        except NoteError as error:
            raise PublishedCheckpointError(f"{source}: {error}") from error
    return PublishedCheckpoint(source, origin, tree_size, root, tuple(key.name for key in witness_keys))


def extension_failure(published: PublishedCheckpoint, origin: str, entries_count: int,
                      roots: Mapping[int, bytes]) -> tuple[int, str] | None:
    """(seq, reason) when the ledger `origin` of `entries_count` entries, whose root at each published size is in
    `roots`, does not extend `published`; None when it does."""
    where = f"published checkpoint {published.source} (size {published.tree_size})"
    if published.origin != origin:
        return 1, f"{where} is of ledger {published.origin!r}, not {origin!r}"
    if published.tree_size > entries_count:
        return entries_count + 1, (f"{where} is not extended: the ledger has only {entries_count} entries, "
                                   f"so entries {entries_count + 1}..{published.tree_size} were removed")
    if roots.get(published.tree_size) != published.root:
        return published.tree_size, (f"{where} is not extended: its first {published.tree_size} entries give "
                                     "another root (entries rewritten or the chain replaced)")
    return None


def check_published(directory: Path, report: ExportReport, published: Sequence[PublishedCheckpoint]) -> ExportReport:
    """`report` (of an export that verified), or a failure when the export does not extend a published checkpoint.

    The roots come from chain.tsv's leaf hashes, which the verification just recomputed from entries.jsonl."""
    if not report.ok or not published:
        return report
    wanted = {checkpoint.tree_size for checkpoint in published if checkpoint.tree_size <= report.entries_checked}
    compact = CompactRange()
    roots = {0: compact.root()}
    if wanted:
        with open(directory / "chain.tsv", encoding="ascii") as lines:
            for line in lines:
                compact.append(bytes.fromhex(line.split("\t")[1]))
                if compact.size in wanted:
                    roots[compact.size] = compact.root()
                if compact.size >= max(wanted):
                    break
    for checkpoint in sorted(published, key=lambda c: c.tree_size):
        failure = extension_failure(checkpoint, report.origin, report.entries_checked, roots)
        if failure is not None:
            seq, reason = failure
            return ExportReport(False, report.origin, min(seq - 1, report.entries_checked),
                                report.checkpoints_checked, seq, reason)
    return report
