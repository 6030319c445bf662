"""Corrections never edit an invoice: credit notes reference it, cancel-and-rebill replaces it under a new number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from common.errors import BadInput
from invoicing import (
    CreditAmountInvalid,
    CreditExceedsInvoice,
    IdempotencyKeyReused,
    InvoiceNotFinal,
    InvoiceNotFound,
    issue_invoices,
    load_public_key,
    verify_signed_pdf,
)
from invoicing.corrections import cancel_and_rebill, issue_credit_note
from invoicing.storage import documents_root_for
from tests.integration.invoicing.conftest import SeededCycle, record_delta_settlement


def _issue(engine: Engine, cycle: SeededCycle, issuer: str, key: Path, root: str) -> list:
    with engine.begin() as conn:
        return issue_invoices(conn, cycle.cycle_id, issuer, key, root)


def test_credit_notes_are_numbered_separately_and_capped_at_the_invoice_total(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Two partial credits get CN numbers 1 and 2; a third beyond the remaining total is refused."""
    invoice = _issue(engine, seeded_cycle, issuer, signing_key_path, documents_root)[1]  # 1,500,000 cents
    with engine.begin() as conn:
        first = issue_credit_note(conn, invoice.invoice_id, 1_000_000, "meter fault", "k1", signing_key_path,
                                  documents_root)
    with engine.begin() as conn:
        second = issue_credit_note(conn, invoice.invoice_id, 400_000, "goodwill", "k2", signing_key_path,
                                   documents_root)
    assert (first.credit_note_id, second.credit_note_id) == (f"CN.{issuer}-000001", f"CN.{issuer}-000002")
    with pytest.raises(CreditExceedsInvoice), engine.begin() as conn:
        issue_credit_note(conn, invoice.invoice_id, 100_001, "too much", "k3", signing_key_path, documents_root)
    verify_signed_pdf(Path(first.pdf_uri).read_bytes(), load_public_key(signing_key_path), first.pdf_uri)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT total_usd_cents FROM invoice WHERE invoice_id = :i"),
                             {"i": invoice.invoice_id}).scalar()
        invoice_counter = conn.execute(text("SELECT last_number FROM invoice_sequence WHERE issuer = :i"),
                                       {"i": issuer}).scalar()
    assert total == 1_500_000  # the invoice itself is unchanged
    assert invoice_counter == 2  # credit notes do not consume invoice numbers


def test_credit_note_retry_is_idempotent_and_a_reused_key_is_refused(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Same key and content returns the first note (created=False); same key, other amount, is a Conflict."""
    invoice = _issue(engine, seeded_cycle, issuer, signing_key_path, documents_root)[0]
    args = (invoice.invoice_id, 500, "late fee reversal", "same-key", signing_key_path, documents_root)
    with engine.begin() as conn:
        first = issue_credit_note(conn, *args)
    with engine.begin() as conn:
        again = issue_credit_note(conn, *args)
    assert (again.credit_note_id, again.created, first.created) == (first.credit_note_id, False, True)
    with pytest.raises(IdempotencyKeyReused), engine.begin() as conn:
        issue_credit_note(conn, invoice.invoice_id, 501, "late fee reversal", "same-key", signing_key_path,
                          documents_root)


def test_bad_credit_requests_raise_domain_errors(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Zero or negative amounts, an empty reason and an unknown invoice are refused before anything is stored."""
    invoice = _issue(engine, seeded_cycle, issuer, signing_key_path, documents_root)[0]
    cases = [(invoice.invoice_id, 0, "x", CreditAmountInvalid), (invoice.invoice_id, -5, "x", CreditAmountInvalid),
             (invoice.invoice_id, 5, "  ", BadInput), ("nope-000001", 5, "x", InvoiceNotFound)]
    for invoice_id, amount, reason, error in cases:
        with pytest.raises(error), engine.begin() as conn:
            issue_credit_note(conn, invoice_id, amount, reason, f"key-{amount}-{reason}", signing_key_path,
                              documents_root)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM credit_note WHERE invoice_id = :i"),
                             {"i": invoice.invoice_id}).scalar()
    assert count == 0


def test_cancel_and_rebill_credits_the_rest_cancels_and_issues_the_next_number(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """After a delta settlement of -3,000 USD, the rebill bills 12,000.00 USD as number 3, naming the original."""
    original = _issue(engine, seeded_cycle, issuer, signing_key_path, documents_root)[1]
    with engine.begin() as conn:
        issue_credit_note(conn, original.invoice_id, 200_000, "partial", "p1", signing_key_path, documents_root)
        record_delta_settlement(conn, seeded_cycle.cycle_id, original.tenant_id, -3_000_000_000)
    with engine.begin() as conn:
        rebill = cancel_and_rebill(conn, original.invoice_id, "wrong meter multiplier", signing_key_path,
                                   documents_root)
    assert rebill.credit_note is not None and rebill.credit_note.amount_usd_cents == 1_300_000
    assert (rebill.new_invoice.number, rebill.new_invoice.total_usd_cents) == (3, 1_200_000)
    assert rebill.new_invoice.pdf_uri is not None
    replacement = json.loads(Path(rebill.new_invoice.pdf_uri).with_suffix(".json").read_bytes())
    assert [(line["line_no"], line["amount_usd_micros"]) for line in replacement["lines"]] == [
        (3, 15_000_004_985), (100_001, -3_000_000_000)]
    assert replacement["replaces_invoice_id"] == original.invoice_id
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT invoice_id, status, replaces_invoice_id FROM invoice WHERE cycle_id = :c "
                                 "AND tenant_id = :t ORDER BY number"),
                            {"c": seeded_cycle.cycle_id, "t": original.tenant_id}).all()
    assert [tuple(row) for row in rows] == [(original.invoice_id, "cancelled", None),
                                            (rebill.new_invoice.invoice_id, "final", original.invoice_id)]
    with pytest.raises(InvoiceNotFinal), engine.begin() as conn:
        cancel_and_rebill(conn, original.invoice_id, "again", signing_key_path, documents_root)
    again = _issue(engine, seeded_cycle, issuer, signing_key_path, documents_root)
    assert [i.invoice_id for i in again if i.tenant_id == original.tenant_id] == [rebill.new_invoice.invoice_id]


def test_a_rebilled_invoice_is_written_beside_the_one_it_replaces(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, tmp_path: Path
) -> None:
    """The cycle writes invoices under the data root; a correction's rebill and credit note use the documents root
    of the same data root, so the replacement lands in the original's folder (`<data root>/invoices/<issuer>/`)."""
    data_root = str(tmp_path / "data")
    original = _issue(engine, seeded_cycle, issuer, signing_key_path, data_root)[1]
    with engine.begin() as conn:
        record_delta_settlement(conn, seeded_cycle.cycle_id, original.tenant_id, -3_000_000_000)
    with engine.begin() as conn:
        rebill = cancel_and_rebill(conn, original.invoice_id, "corrected meter data", signing_key_path,
                                   documents_root_for(data_root))
    assert original.pdf_uri is not None and rebill.new_invoice.pdf_uri is not None
    assert Path(original.pdf_uri).parent == Path(rebill.new_invoice.pdf_uri).parent == tmp_path / "data" / "invoices" / issuer
    assert rebill.credit_note is not None
    assert Path(rebill.credit_note.pdf_uri).parent == tmp_path / "data" / "credit_notes" / issuer
