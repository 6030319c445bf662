"""Issued documents in an export are checked against the document hashes the ledger records (a credit note's and a
replacement invoice's `document_sha256`, a cycle's `invoices_count` and `invoices_sha256`, older
`invoice:<id>:sha256` items): the untouched export passes, and each way of changing, dropping, adding or
renaming a document is refused at the seq of the entry whose fact it breaks, by the replay and the compiled path
alike. The digests are made with the writer's own recipe (invoicing.cycle_digest), so the two recipes must agree."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.canonical_json import canonical_bytes
from invoicing.cycle_digest import invoices_ledger_meta
from ledger.chain import CHAIN_GENESIS
from ledger.model import EntryRequest, PostingRequest
from ledger.planning import Head, LedgerState, plan_entry
from ledger.requests import normalize_request
from ledger.verifier.compiled_check import verify_export_compiled
from ledger.verifier.export_check import ExportReport, verify_export
from tests.unit.ledger.test_ledger_fast_verifier import write_export
from tests.unit.ledger.test_ledger_rules_properties import ACCOUNTS, ORIGIN, START_UTC

INVOICES: dict[str, dict[str, Any]] = {
    "ISS-000001": {"kind": "invoice", "invoice_id": "ISS-000001", "cycle_id": "c1", "replaces_invoice_id": None,
                   "tenant_id": "acme", "total_usd_cents": 1200},
    "ISS-000002": {"kind": "invoice", "invoice_id": "ISS-000002", "cycle_id": "c1", "replaces_invoice_id": None,
                   "tenant_id": "zeta", "total_usd_cents": 800},
    "ISS-000003": {"kind": "invoice", "invoice_id": "ISS-000003", "cycle_id": "c1",
                   "replaces_invoice_id": "ISS-000001", "tenant_id": "acme", "total_usd_cents": 1100},
    "OLD-000001": {"kind": "invoice", "invoice_id": "OLD-000001", "cycle_id": "c0", "replaces_invoice_id": None,
                   "tenant_id": "acme", "total_usd_cents": 5},
}
CREDIT_NOTES: dict[str, dict[str, Any]] = {
    "CN.ISS-000001": {"kind": "credit_note", "credit_note_id": "CN.ISS-000001", "invoice_id": "ISS-000001",
                      "amount_usd_cents": 100},
}


def sha(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def ledger_with_facts() -> list[bytes]:
    """seq 1 opens accounts; 2 an older cycle (one legacy item); 3 cycle c1 (count and digest); 4 a credit
    note; 5 a replacement invoice."""
    state = LedgerState(ORIGIN, Head(0, CHAIN_GENESIS, None, None))
    opening = EntryRequest(idempotency_key="open", kind="account_open", effective_at_utc=START_UTC)
    canonicals = [plan_entry(state, normalize_request(opening, ACCOUNTS, internal=True), START_UTC).canonical]
    originals = [(invoice_id, sha(INVOICES[invoice_id])) for invoice_id in ("ISS-000001", "ISS-000002")]
    metas = [
        {"cycle_id": "c0", "invoice:OLD-000001:sha256": sha(INVOICES["OLD-000001"])},
        {"cycle_id": "c1", **invoices_ledger_meta(originals)},
        {"credit_note_id": "CN.ISS-000001", "invoice_id": "ISS-000001",
         "document_sha256": sha(CREDIT_NOTES["CN.ISS-000001"])},
        {"invoice_id": "ISS-000003", "replaces_invoice_id": "ISS-000001", "document_sha256": sha(INVOICES["ISS-000003"])},
    ]
    for index, meta in enumerate(metas, start=1):
        request = EntryRequest(idempotency_key=f"fact-{index}", effective_at_utc=START_UTC, meta=meta, postings=[
            PostingRequest("a:revenue", "USD/6", -index), PostingRequest("a:cash", "USD/6", index)])
        canonicals.append(plan_entry(state, normalize_request(request), START_UTC + timedelta(seconds=index)).canonical)
    return canonicals


def write_documents(export: Path) -> Path:
    for folder, documents in (("invoices", INVOICES), ("credit_notes", CREDIT_NOTES)):
        (export / "documents" / folder).mkdir(parents=True)
        for document_id, document in documents.items():
            (export / "documents" / folder / f"{document_id}.json").write_bytes(canonical_bytes(document))
    return export / "documents"


def both(export: Path) -> ExportReport:
    report = verify_export(export)
    assert verify_export_compiled(export) == report
    return report


def rewrite(path: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(documents: Path) -> None:
        document = json.loads((documents / path).read_bytes())
        change(document)
        (documents / path).write_bytes(canonical_bytes(document))
    return apply


CASES: dict[str, tuple[Callable[[Path], object], int, str]] = {
    "credit_note_amount_changed": (rewrite("credit_notes/CN.ISS-000001.json", lambda d: d.update(amount_usd_cents=1)),
                                   4, "hashes to"),
    "credit_note_missing": (lambda d: (d / "credit_notes/CN.ISS-000001.json").unlink(), 4, "is not exported"),
    "replacement_changed": (rewrite("invoices/ISS-000003.json", lambda d: d.update(total_usd_cents=1)), 5, "hashes to"),
    "cycle_invoice_changed": (rewrite("invoices/ISS-000002.json", lambda d: d.update(total_usd_cents=1)), 3,
                              "invoices_sha256"),
    "cycle_invoice_missing": (lambda d: (d / "invoices/ISS-000002.json").unlink(), 3, "1 exported invoices"),
    "cycle_invoice_added": (lambda d: (d / "invoices/ISS-000009.json").write_bytes(canonical_bytes(
        {**INVOICES["ISS-000002"], "invoice_id": "ISS-000009"})), 3, "exported invoices replace none"),
    "legacy_item_changed": (rewrite("invoices/OLD-000001.json", lambda d: d.update(total_usd_cents=6)), 2, "hashes to"),
    "not_canonical": (lambda d: (d / "invoices/OLD-000001.json").write_bytes(
        canonical_bytes(INVOICES["OLD-000001"]).replace(b",", b", ", 1)), 2, "not canonical"),
    "renamed": (lambda d: (d / "credit_notes/CN.ISS-000001.json").rename(d / "credit_notes/CN.ISS-000002.json"), 4,
                "is not exported"),
    "unnamed_document_broken": (lambda d: (d / "invoices/XX-1.json").write_bytes(b"{}"), 6, "is not a invoice"),
}


def test_exported_documents_matching_the_ledger_pass() -> None:
    """The untouched export passes, and an export without documents/ is not asked about them."""
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), ledger_with_facts())
        assert both(export).ok
        write_documents(export)
        assert both(export).ok


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_document_that_breaks_a_ledger_fact_is_refused(name: str) -> None:
    """One document changed, dropped, added, renamed or not canonical: refused at the seq whose fact it breaks."""
    change, seq, words = CASES[name]
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), ledger_with_facts())
        change(write_documents(export))
        report = both(export)
    assert not report.ok and report.first_bad_seq == seq, report
    assert report.reason is not None and words in report.reason, report
