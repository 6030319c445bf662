"""Invoices planned, rendered in batches and issued in one transaction, against a real PostgreSQL: the planned
numbers are recorded when they are still free; otherwise (another issuer took numbers meanwhile, or a rendered
document changed) the invoices are rendered again with the free numbers, and no other invoice's document is
touched. Numbers stay gapless either way."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import Engine, text

from common import canonical_json
from invoicing import issue_invoices, load_public_key, verify_signed_pdf
from invoicing.batches import (
    InvoicePlan,
    RenderedInvoice,
    issue_planned,
    plan_from_json,
    plan_invoices,
    plan_slices,
    plan_to_json,
    render_planned,
    rendered_from_json,
    rendered_to_json,
)
from tests.integration.invoicing.conftest import DEFAULT_LINES, SeededCycle, seed_cycle


def _plan_and_render(engine: Engine, cycle: SeededCycle, issuer: str, signing_key_path: Path,
                     documents_root: str) -> tuple[InvoicePlan, list[RenderedInvoice]]:
    """Plan, then render one invoice per batch, each batch on its own connection (as on separate workers); the
    plan and the rendered records go through their JSON form as they do between activities."""
    with engine.begin() as conn:
        plan = plan_from_json(plan_to_json(plan_invoices(conn, cycle.cycle_id, issuer)))
    rendered: list[RenderedInvoice] = []
    for batch in reversed(plan_slices(plan, 1)):  # any order
        with engine.connect() as conn:
            rendered += rendered_from_json(rendered_to_json(
                render_planned(conn, plan, batch, signing_key_path, documents_root)))
    return plan, rendered


def _issue_planned(engine: Engine, plan: InvoicePlan, rendered: list[RenderedInvoice], issuer: str,
                   signing_key_path: Path, documents_root: str) -> list[tuple[str, int, bool]]:
    with engine.begin() as conn:
        issued = issue_planned(conn, plan, rendered, issuer, signing_key_path, documents_root, [])
    return [(invoice.tenant_id, invoice.number, invoice.created) for invoice in issued]


def _recorded_files_intact(engine: Engine, cycle_id: str) -> list[str]:
    """Each recorded document file of the cycle whose bytes no longer match its recorded sha256."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT f.kind, f.uri, f.sha256_hex FROM invoice_file f JOIN invoice i "
                                 "ON i.invoice_id = f.document_id WHERE i.cycle_id = :c"), {"c": cycle_id}).all()
    assert len(rows) == 4
    mismatched = []
    for kind, path, sha256_hex in rows:
        data = Path(path).read_bytes()
        # The JSON document's recorded hash is that of its canonical form, the PDF's that of its bytes.
        digest = canonical_json.sha256_hex(json.loads(data)) if kind == "json" else hashlib.sha256(data).hexdigest()
        if digest != sha256_hex:
            mismatched.append(path)
    return mismatched


def test_a_rendered_plan_is_recorded_with_its_numbers_and_final_names(
        engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str) -> None:
    plan, rendered = _plan_and_render(engine, seeded_cycle, issuer, signing_key_path, documents_root)
    assert [(invoice.tenant_id, invoice.number) for invoice in plan.invoices] == [
        (seeded_cycle.tenant_ids[0], 1), (seeded_cycle.tenant_ids[1], 2)]
    issued = _issue_planned(engine, plan, rendered, issuer, signing_key_path, documents_root)
    assert issued == [(seeded_cycle.tenant_ids[0], 1, True), (seeded_cycle.tenant_ids[1], 2, True)]
    assert _recorded_files_intact(engine, seeded_cycle.cycle_id) == []
    final_pdf = Path(documents_root) / "invoices" / issuer / f"{issuer}-000001.pdf"
    verify_signed_pdf(final_pdf.read_bytes(), load_public_key(signing_key_path), str(final_pdf))
    assert not any((Path(documents_root) / "invoices" / ".staging").iterdir()), "staging left behind"
    with engine.connect() as conn:
        last = conn.execute(text("SELECT last_number FROM invoice_sequence WHERE issuer = :i"), {"i": issuer}).scalar()
    assert last == 2
    # A retry after the commit finds the invoices: nothing new, no number taken.
    assert _issue_planned(engine, plan, rendered, issuer, signing_key_path, documents_root) == [
        (seeded_cycle.tenant_ids[0], 1, False), (seeded_cycle.tenant_ids[1], 2, False)]


def test_numbers_taken_meanwhile_are_left_alone_and_the_plan_rendered_again(
        engine: Engine, issuer: str, signing_key_path: Path, documents_root: str) -> None:
    """Cycle A is planned with numbers 1 and 2; cycle B issues 1 and 2 in the same series before A commits. A
    gets 3 and 4, B's documents (whose names A's batches planned) keep their bytes."""
    cycle_a, cycle_b = seed_cycle(engine, DEFAULT_LINES), seed_cycle(engine, DEFAULT_LINES)
    plan, rendered = _plan_and_render(engine, cycle_a, issuer, signing_key_path, documents_root)
    with engine.begin() as conn:
        issued_b = issue_invoices(conn, cycle_b.cycle_id, issuer, signing_key_path, documents_root)
    assert [invoice.number for invoice in issued_b] == [1, 2]
    issued_a = _issue_planned(engine, plan, rendered, issuer, signing_key_path, documents_root)
    assert [number for _, number, _ in issued_a] == [3, 4]
    assert _recorded_files_intact(engine, cycle_b.cycle_id) == []
    assert _recorded_files_intact(engine, cycle_a.cycle_id) == []
    assert not any((Path(documents_root) / "invoices" / ".staging").iterdir()), "staging left behind"


def test_a_document_changed_after_rendering_is_rendered_again(
        engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str) -> None:
    plan, rendered = _plan_and_render(engine, seeded_cycle, issuer, signing_key_path, documents_root)
    Path(rendered[0].pdf_path).write_bytes(b"%PDF-1.7 not what was signed")
    issued = _issue_planned(engine, plan, rendered, issuer, signing_key_path, documents_root)
    assert [number for _, number, _ in issued] == [1, 2]
    assert _recorded_files_intact(engine, seeded_cycle.cycle_id) == []
    for invoice_number in (1, 2):
        pdf = Path(documents_root) / "invoices" / issuer / f"{issuer}-{invoice_number:06d}.pdf"
        verify_signed_pdf(pdf.read_bytes(), load_public_key(signing_key_path), str(pdf))
