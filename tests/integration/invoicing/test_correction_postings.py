"""Corrections reach the ledger in the same transaction: credit notes and replacement invoices, once each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from invoicing import issue_invoices
from invoicing.corrections import cancel_and_rebill_posted, credit_invoice_posted
from ledger.balances import balances
from tests.integration.invoicing.conftest import SeededCycle


def _receivable_usd_micros(engine: Engine, origin: str, tenant_id: str) -> int:
    with engine.connect() as conn:
        rows = balances(conn, origin, path_prefix=f"tenant:{tenant_id}:receivable")
    return sum(row.posted_minor for row in rows)


@pytest.fixture
def origin(issuer: str) -> str:
    return f"test.wattledger/corrections-{issuer.lower()}"


def test_a_credit_note_posts_once_even_when_retried(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str, origin: str
) -> None:
    """12.34 USD credited twice with one key: one entry, the receivable goes down by 12,340,000 micro-USD."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    for _ in range(2):
        with engine.begin() as conn:
            credit_invoice_posted(conn, origin, invoice.invoice_id, 1_234, "meter fault", "once", signing_key_path,
                                  documents_root)
    assert _receivable_usd_micros(engine, origin, invoice.tenant_id) == -12_340_000
    with engine.connect() as conn:
        contra = balances(conn, origin, path_prefix=f"campus:{seeded_cycle.campus_id}:revenue:credit_notes")
    assert [row.posted_minor for row in contra] == [12_340_000]


def test_cancel_and_rebill_posts_the_closing_credit_and_the_replacement(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str, origin: str
) -> None:
    """Credit 15,000.00 USD, charge the same lines again: the receivable nets to zero over the two entries."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[1]
    with engine.begin() as conn:
        rebill = cancel_and_rebill_posted(conn, origin, invoice.invoice_id, "wrong address", signing_key_path,
                                          documents_root)
    assert rebill.credit_note is not None and rebill.credit_note.amount_usd_cents == 1_500_000
    assert rebill.new_invoice.total_usd_cents == 1_500_000
    assert _receivable_usd_micros(engine, origin, invoice.tenant_id) == 0
    with engine.connect() as conn:
        revenue = balances(conn, origin, path_prefix=f"campus:{seeded_cycle.campus_id}:revenue:energy")
    assert [row.posted_minor for row in revenue] == [-15_000_000_000]
