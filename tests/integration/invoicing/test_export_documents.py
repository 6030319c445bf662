"""`wattledger ledger export DIR` writes the issued invoices and credit notes beside the ledger, and the standalone
verifier checks them against the ledger's facts: after a real cancel-and-rebill (a closing credit note and a
replacement invoice, posted with their document hashes in the same transaction) the export verifies, and a
changed credit note or a removed replacement invoice is refused at the seq of the entry that records it; and a
cycle's invoices, exported from their rows, give back the digest the billing step records over their stored hashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from invoicing import invoices_ledger_meta, issue_invoices
from invoicing.corrections import cancel_and_rebill_posted
from ledger.verifier.export_check import verify_export
from tests.integration.invoicing.conftest import SeededCycle
from wattledger_cli.ledger import app


@pytest.fixture
def exported(engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str,
             database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """An export (through the CLI) of a ledger holding one cancel-and-rebill: (folder, credit note, new invoice)."""
    origin = f"test.wattledger/documents-{issuer.lower()}"
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    with engine.begin() as conn:
        rebill = cancel_and_rebill_posted(conn, origin, invoice.invoice_id, "wrong address", signing_key_path,
                                          documents_root)
    assert rebill.credit_note is not None
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", origin)
    monkeypatch.setenv("WATTLEDGER_LEDGER_SIGNING_KEY_PATH", str(signing_key_path))
    result = CliRunner().invoke(app, ["export", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    return tmp_path / "export", rebill.credit_note.credit_note_id, rebill.new_invoice.invoice_id


def _fact_seq(export: Path, member: str, value: str) -> int:
    for seq, line in enumerate((export / "entries.jsonl").read_bytes().splitlines(), start=1):
        if json.loads(line)["meta"].get(member) == value:
            return seq
    raise AssertionError(f"no entry with meta {member} = {value}")


def test_exported_documents_verify_against_the_ledger(exported: tuple[Path, str, str]) -> None:
    """Both corrected documents are exported, canonical, and match the hashes their entries record."""
    export, credit_note_id, invoice_id = exported
    assert (export / "documents" / "credit_notes" / f"{credit_note_id}.json").is_file()
    assert (export / "documents" / "invoices" / f"{invoice_id}.json").is_file()
    report = verify_export(export)
    assert report.ok, report


def test_a_changed_credit_note_or_a_missing_replacement_is_refused(exported: tuple[Path, str, str]) -> None:
    """Change one character of the credit note's reason, then drop the replacement invoice: each is caught."""
    export, credit_note_id, invoice_id = exported
    credit_path = export / "documents" / "credit_notes" / f"{credit_note_id}.json"
    original = credit_path.read_bytes()
    credit_path.write_bytes(original.replace(b"wrong address", b"wrong adress"))
    report = verify_export(export)
    assert not report.ok and report.first_bad_seq == _fact_seq(export, "credit_note_id", credit_note_id), report
    assert report.reason is not None and "hashes to" in report.reason
    credit_path.write_bytes(original)
    (export / "documents" / "invoices" / f"{invoice_id}.json").unlink()
    report = verify_export(export)
    assert not report.ok and report.first_bad_seq == _fact_seq(export, "invoice_id", invoice_id), report
    assert report.reason is not None and "is not exported" in report.reason



def test_a_cycles_invoices_verify_against_its_digest(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str,
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cycle digest the billing step records (invoices_ledger_meta over the issued invoices' stored hashes) is
    recomputed by the verifier from the exported documents; an invoice dropped from the export breaks the count."""
    from ledger import EntryRequest, PostingRequest, append_entries, ensure_ledger, open_accounts
    from ledger.accounts import ASSET_USD, account_spec, campus_revenue, tenant_receivable

    origin = f"test.wattledger/cycle-digest-{issuer.lower()}"
    with engine.begin() as conn:
        issued = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)
    receivable, revenue = tenant_receivable(issued[0].tenant_id), campus_revenue(seeded_cycle.campus_id, "energy")
    meta = {"cycle_id": seeded_cycle.cycle_id,
            **invoices_ledger_meta((invoice.invoice_id, invoice.document_sha256_hex) for invoice in issued)}
    with engine.begin() as conn:
        ensure_ledger(conn, origin)
        open_accounts(conn, origin, [account_spec(receivable, ASSET_USD), account_spec(revenue, ASSET_USD)])
        append_entries(conn, origin, [EntryRequest(
            idempotency_key=f"{seeded_cycle.cycle_id}:digest", effective_at_utc=datetime(2026, 2, 1, tzinfo=UTC),
            postings=[PostingRequest(receivable, ASSET_USD, 1), PostingRequest(revenue, ASSET_USD, -1)], meta=meta)])
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", origin)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    export = tmp_path / "export"
    report = verify_export(export)
    assert report.ok, report
    (export / "documents" / "invoices" / f"{issued[-1].invoice_id}.json").unlink()
    report = verify_export(export)
    assert not report.ok and report.first_bad_seq == _fact_seq(export, "cycle_id", seeded_cycle.cycle_id), report
    assert report.reason is not None and f"{len(issued) - 1} exported invoices" in report.reason
