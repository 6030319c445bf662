"""Issued invoices and credit notes cannot be removed (migration 0011): TRUNCATE and DELETE raise on the four
document tables for any role the triggers bind, and the application's role `wattledger_invoice_writer` has no
DELETE or TRUNCATE right at all, while it can still read, issue and cancel."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from invoicing import issue_invoices
from invoicing.corrections import issue_credit_note
from tests.integration.invoicing.conftest import SeededCycle

DOCUMENT_TABLES = ("invoice", "credit_note", "invoice_cancellation", "invoice_file")


@pytest.fixture
def issued(engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path,
           documents_root: str) -> tuple[str, str]:
    """One invoice and one credit note against it (their rows and their document files)."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    with engine.begin() as conn:
        credit = issue_credit_note(conn, invoice.invoice_id, 100, "meter fault", f"kept-{uuid.uuid4()}",
                                   signing_key_path, documents_root)
    return invoice.invoice_id, credit.credit_note_id


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in DOCUMENT_TABLES}


@pytest.mark.parametrize("statement", [
    "TRUNCATE invoice CASCADE",
    "TRUNCATE credit_note",
    "TRUNCATE invoice_file",
    "TRUNCATE invoice_cancellation",
    "TRUNCATE billing_cycle CASCADE",
    "DELETE FROM credit_note",
    "DELETE FROM invoice_file",
    "UPDATE invoice_file SET uri = 'elsewhere'",
])
def test_removing_issued_documents_raises_even_for_the_owner(engine: Engine, issued: tuple[str, str],
                                                             statement: str) -> None:
    """The test connects as the tables' owner: the triggers still refuse, and every row stays."""
    before = _counts(engine)
    assert before["invoice"] >= 1 and before["credit_note"] >= 1 and before["invoice_file"] >= 4
    with pytest.raises(DBAPIError, match="cannot|append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _counts(engine) == before


@pytest.mark.parametrize("statement", [
    "DELETE FROM invoice", "DELETE FROM credit_note", "TRUNCATE invoice", "TRUNCATE credit_note",
    "TRUNCATE invoice_file", "DELETE FROM invoice_cancellation",
])
def test_the_application_role_has_no_right_to_remove_documents(engine: Engine, issued: tuple[str, str],
                                                                statement: str) -> None:
    """As wattledger_invoice_writer, DELETE and TRUNCATE are refused by privilege, before any trigger."""
    before = _counts(engine)
    with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE wattledger_invoice_writer"))
        conn.execute(text(statement))
    assert _counts(engine) == before


def test_the_application_role_can_still_read_and_cancel(engine: Engine, issued: tuple[str, str]) -> None:
    """Reading, and the one allowed change of an invoice (its status, final -> cancelled), work under the role."""
    invoice_id, credit_note_id = issued
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE wattledger_invoice_writer"))
        assert conn.execute(text("SELECT invoice_id FROM credit_note WHERE credit_note_id = :c"),
                            {"c": credit_note_id}).scalar_one() == invoice_id
        conn.execute(text("UPDATE invoice SET status = 'cancelled' WHERE invoice_id = :i AND status = 'final'"),
                     {"i": invoice_id})
        conn.execute(text("INSERT INTO invoice_cancellation (invoice_id, reason) VALUES (:i, 'test')"),
                     {"i": invoice_id})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM invoice WHERE invoice_id = :i"), {"i": invoice_id}).scalar_one() \
            == "cancelled"
