"""Issued documents against the ledger's facts (docs/ledger-spec.md §7, §10), standard library only.

When an export holds `documents/`, every document hash the ledger records must be the SHA-256 of the exported
document's bytes, which must be canonical (RFC 8785):

- an entry with meta `credit_note_id` and `document_sha256`: `documents/credit_notes/<id>.json`;
- an entry with meta `invoice_id` and `document_sha256` (a replacement invoice): `documents/invoices/<id>.json`;
- a cycle's `post_pending` entry with meta `cycle_id`, `invoices_count` and `invoices_sha256`: the exported
  invoices whose document names that `cycle_id` and replaces none are exactly `invoices_count`, and
  `invoices_sha256` = SHA-256 of the JCS object {invoice id: document SHA-256 hex};
- an older entry's meta items `invoice:<id>:sha256`: `documents/invoices/<id>.json`.

A failure names the seq of the entry whose fact the documents break. A document that is not canonical, or whose
own id or kind differs from its file, fails too (at the seq after the last entry when no fact names it).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.verifier.canonical_form import NotCanonical, canonical_value, jcs_encode
from ledger.verifier.entry_format import (
    LEGACY_PREFIX,
    LEGACY_SUFFIX,
    META_DOCUMENT,
    META_INVOICES_SHA256,
    Fact,
    names_documents,
)
from ledger.verifier.replay import VerificationFailure

DOCUMENT_FOLDERS = {"invoice": "invoices", "credit_note": "credit_notes"}
DOCUMENTS_MAX = 10_000_000  # per kind: a bound on the folder walk, far above any campus's decades of invoices
META_INVOICES_COUNT = "invoices_count"
# Lines that may name a document: the replay keeps every entry whose meta does (names_documents); the compiled
# path finds the same entries by these bytes and asks the same question of their meta.
FACT_BYTES = re.compile(rb'"document_sha256"|"invoices_sha256"|"invoice:[^"]*:sha256"')


def facts_from_lines(raw: bytes, starts: list[int]) -> list[Fact]:
    """The document facts of `raw` (entries each followed by a newline; entry i starts at starts[i])."""
    indexes = sorted({bisect.bisect_right(starts, match.start()) - 1 for match in FACT_BYTES.finditer(raw)})
    facts: list[Fact] = []
    for index in indexes:
        meta = json.loads(raw[starts[index]:starts[index + 1] - 1])["meta"]
        if names_documents(meta):
            facts.append((index + 1, meta))
    return facts


@dataclass(frozen=True)
class Document:
    sha256_hex: str
    value: dict[str, Any] | None  # None: not canonical JSON of an object with its own id and kind
    problem: str


def _read(path: Path, kind: str) -> Document:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        value = canonical_value(raw)
    except NotCanonical as error:
        return Document(digest, None, f"is not canonical JSON: {error}")
    id_member = f"{kind}_id"
    if type(value) is not dict or value.get("kind") != kind or value.get(id_member) != path.stem:
        return Document(digest, None, f"is not a {kind} document with {id_member} {path.stem!r}")
    return Document(digest, value, "")


def read_documents(directory: Path) -> dict[tuple[str, str], Document]:
    """Every exported document by (kind, id)."""
    documents: dict[tuple[str, str], Document] = {}
    for kind, folder in DOCUMENT_FOLDERS.items():
        paths = sorted((directory / folder).glob("*.json")) if (directory / folder).is_dir() else []
        if len(paths) > DOCUMENTS_MAX:
            raise VerificationFailure(1, f"documents/{folder} holds more than {DOCUMENTS_MAX} files")
        for path in paths:
            documents[(kind, path.stem)] = _read(path, kind)
    return documents


class _Checker:
    def __init__(self, documents: dict[tuple[str, str], Document]) -> None:
        self.documents = documents
        self.used: set[tuple[str, str]] = set()

    def expect(self, seq: int, kind: str, document_id: str, sha256_hex: str) -> None:
        key = (kind, document_id)
        document = self.documents.get(key)
        where = f"documents/{DOCUMENT_FOLDERS[kind]}/{document_id}.json"
        if document is None:
            raise VerificationFailure(seq, f"the ledger names {kind} {document_id}, but {where} is not exported")
        self.used.add(key)
        if document.value is None:
            raise VerificationFailure(seq, f"{where} {document.problem}")
        if document.sha256_hex != sha256_hex:
            raise VerificationFailure(seq, f"{where} hashes to {document.sha256_hex}, the ledger records {sha256_hex}")

    def expect_cycle(self, seq: int, meta: dict[str, str]) -> None:
        cycle_id = meta.get("cycle_id")
        issued = {
            key[1]: document for key, document in self.documents.items()
            if key[0] == "invoice" and document.value is not None and document.value.get("cycle_id") == cycle_id
            and document.value.get("replaces_invoice_id") is None
        }
        if str(len(issued)) != meta.get(META_INVOICES_COUNT):
            raise VerificationFailure(seq, f"cycle {cycle_id}: {len(issued)} exported invoices replace none,"
                                           f" the ledger records {meta.get(META_INVOICES_COUNT)}")
        mapping = {invoice_id: document.sha256_hex for invoice_id, document in issued.items()}
        digest = hashlib.sha256(jcs_encode(mapping).encode()).hexdigest()
        if digest != meta[META_INVOICES_SHA256]:
            raise VerificationFailure(seq, f"cycle {cycle_id}: the exported invoices give invoices_sha256 {digest},"
                                           f" the ledger records {meta[META_INVOICES_SHA256]}")
        self.used.update(("invoice", invoice_id) for invoice_id in issued)


def check_documents(directory: Path, facts: list[Fact], size: int) -> int:
    """Check `directory` (an export's documents/) against the facts of a ledger of `size` entries; returns how
    many documents a fact named. Raises VerificationFailure at the first broken fact."""
    checker = _Checker(read_documents(directory))
    for seq, meta in facts:
        if META_DOCUMENT in meta and "credit_note_id" in meta:
            checker.expect(seq, "credit_note", meta["credit_note_id"], meta[META_DOCUMENT])
        elif META_DOCUMENT in meta and "invoice_id" in meta:
            checker.expect(seq, "invoice", meta["invoice_id"], meta[META_DOCUMENT])
        if META_INVOICES_SHA256 in meta:
            checker.expect_cycle(seq, meta)
        for name, value in meta.items():
            if name.startswith(LEGACY_PREFIX) and name.endswith(LEGACY_SUFFIX):
                checker.expect(seq, "invoice", name[len(LEGACY_PREFIX):-len(LEGACY_SUFFIX)], value)
    for (kind, document_id), document in sorted(checker.documents.items()):
        if document.value is None:
            where = f"documents/{DOCUMENT_FOLDERS[kind]}/{document_id}.json"
            raise VerificationFailure(size + 1, f"{where} {document.problem}")
    return len(checker.used)
