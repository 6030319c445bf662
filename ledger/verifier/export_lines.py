"""Strict readers of an export's small files: MANIFEST.json, chain.tsv lines and checkpoints.jsonl lines.

Each refuses anything the format of docs/ledger-spec.md §7 does not allow (other encodings, other digits,
upper-case hex, missing or extra members, `true` for a number) with a `VerificationFailure` naming the file,
its line and the field, so that a malformed export is a failed verification (exit 1), never a traceback.
Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ledger.verifier.canonical_form import NotCanonical, parse_strict
from ledger.verifier.entry_format import HASH_HEX
from ledger.verifier.replay import VerificationFailure

ORIGIN_TEXT = re.compile(r"[!-*,-~]{1,200}")  # the database's check on ledger.origin
CHAIN_LINE = re.compile(rb"([1-9][0-9]*)\t([0-9a-f]{64})\t([0-9a-f]{64})")
CHECKPOINT_MEMBERS = frozenset({"tree_size", "root", "note"})
MANIFEST_FORMAT = "wattledger-ledger-export"


@dataclass(frozen=True)
class CheckpointRecord:
    """One line of checkpoints.jsonl: the signed note and the root the export states beside it (unsigned)."""

    line_number: int
    tree_size: int
    root_hex: str
    note: str


def _document(file_name: str, number: int, raw: bytes, seq: int) -> Any:
    try:
        return parse_strict(raw)
    except NotCanonical as error:
        raise VerificationFailure(seq, f"{file_name} line {number}: {error}") from error


def manifest_fields(raw: bytes) -> tuple[str, int]:
    """(origin, entries) of MANIFEST.json: format and version 1, a string origin, an integer entry count."""
    manifest = _document("MANIFEST.json", 1, raw, 1)
    if type(manifest) is not dict:
        raise VerificationFailure(1, "MANIFEST.json is not a JSON object")
    origin, entries = manifest.get("origin"), manifest.get("entries")
    if manifest.get("format") != MANIFEST_FORMAT or type(manifest.get("version")) is not int or manifest["version"] != 1:
        raise VerificationFailure(1, f"MANIFEST.json: format must be {MANIFEST_FORMAT!r} and version the number 1")
    if "hash_version" in manifest and (type(manifest["hash_version"]) is not int or manifest["hash_version"] != 1):
        raise VerificationFailure(1, f"MANIFEST.json: hash_version {manifest['hash_version']!r} is not the number 1")
    if type(origin) is not str or not ORIGIN_TEXT.fullmatch(origin):
        raise VerificationFailure(1, f"MANIFEST.json: origin {origin!r} is not 1 to 200 printable ASCII characters"
                                     " without spaces or '+'")
    if type(entries) is not int or entries < 0:
        raise VerificationFailure(1, f"MANIFEST.json: entries {entries!r} is not a count")
    return origin, entries


def chain_line(number: int, line: bytes) -> tuple[bytes, bytes]:
    """(leaf hash, chain hash) of chain.tsv line `number`: `seq TAB 64 hex TAB 64 hex`, seq = the line number."""
    match = CHAIN_LINE.fullmatch(line)
    if match is None:
        raise VerificationFailure(number, f"chain.tsv line {number} is not seq<TAB>64 lowercase hex<TAB>64 lowercase hex")
    if int(match.group(1)) != number:
        raise VerificationFailure(number, f"chain.tsv line {number} names seq {match.group(1).decode()}")
    return bytes.fromhex(match.group(2).decode()), bytes.fromhex(match.group(3).decode())


def checkpoint_record(number: int, line: bytes) -> CheckpointRecord:
    """Line `number` of checkpoints.jsonl: one JSON object with exactly tree_size (an integer >= 1),
    root (64 lowercase hex) and note (a string); the failure names the size when it can be read."""
    record = _document("checkpoints.jsonl", number, line, 1)
    if type(record) is not dict:
        raise VerificationFailure(1, f"checkpoints.jsonl line {number} is not a JSON object")
    size = record.get("tree_size")
    seq = size if type(size) is int and size >= 1 else 1
    if record.keys() != CHECKPOINT_MEMBERS:
        raise VerificationFailure(seq, f"checkpoints.jsonl line {number}: members {sorted(record)}, "
                                       f"expected {sorted(CHECKPOINT_MEMBERS)}")
    if type(size) is not int or size < 1:
        raise VerificationFailure(seq, f"checkpoints.jsonl line {number}: tree_size {size!r} is not an integer >= 1")
    if type(record["root"]) is not str or not HASH_HEX.fullmatch(record["root"]):
        raise VerificationFailure(seq, f"checkpoints.jsonl line {number}: root is not 64 lowercase hex digits")
    if type(record["note"]) is not str:
        raise VerificationFailure(seq, f"checkpoints.jsonl line {number}: note is not a string")
    return CheckpointRecord(number, size, record["root"], record["note"])


def checkpoint_records(raw: bytes) -> list[CheckpointRecord]:
    """Every line of checkpoints.jsonl (each ends in a newline), in file order."""
    lines = raw.split(b"\n")
    if lines[-1] != b"":
        raise VerificationFailure(1, f"checkpoints.jsonl line {len(lines)} does not end in a newline")
    return [checkpoint_record(number, line) for number, line in enumerate(lines[:-1], start=1)]
