"""Issuing invoices against a real PostgreSQL: numbering, idempotency, documents, signatures, isolation."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from invoicing import (
    CycleNotFound,
    IssuerInvalid,
    NoSettlementLines,
    TenantUnknown,
    issue_invoices,
    load_public_key,
    verify_signed_pdf,
)
from tests.integration.invoicing.conftest import SeededCycle


def test_one_invoice_per_tenant_with_consecutive_numbers_and_cent_totals(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Two tenants get numbers 1 and 2 in tenant order; totals are the exact micro-USD sums rounded half-even."""
    with engine.begin() as conn:
        issued = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)
    assert [invoice.number for invoice in issued] == [1, 2]
    assert [invoice.invoice_id for invoice in issued] == [f"{issuer}-000001", f"{issuer}-000002"]
    assert [invoice.tenant_id for invoice in issued] == seeded_cycle.tenant_ids
    # Tenant 0: 76,562.500000 + 76,200.000000 USD = 152,762.50 USD.
    # Tenant 1: 15,000.004985 USD -> 1,500,000.4985 cents -> 1,500,000 cents.
    assert [invoice.total_usd_cents for invoice in issued] == [15_276_250, 1_500_000]
    assert all(invoice.created for invoice in issued)
    with engine.connect() as conn:
        last = conn.execute(text("SELECT last_number FROM invoice_sequence WHERE issuer = :i"), {"i": issuer}).scalar()
        statuses = conn.execute(text("SELECT status FROM invoice WHERE cycle_id = :c"),
                                {"c": seeded_cycle.cycle_id}).scalars().all()
    assert last == 2
    assert statuses == ["final", "final"]


def test_retry_returns_the_same_invoices_and_consumes_no_number(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """A second call for the same cycle returns the stored invoices with created=False; the counter stays at 2."""
    with engine.begin() as conn:
        first = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)
    with engine.begin() as conn:
        second = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)
    assert [(i.invoice_id, i.document_sha256_hex, i.pdf_uri) for i in second] == [
        (i.invoice_id, i.document_sha256_hex, i.pdf_uri) for i in first
    ]
    assert [i.created for i in second] == [False, False]
    with engine.connect() as conn:
        last = conn.execute(text("SELECT last_number FROM invoice_sequence WHERE issuer = :i"), {"i": issuer}).scalar()
    assert last == 2


def test_rolled_back_issue_gives_its_numbers_back(
    engine: Engine, make_cycle: Callable[..., SeededCycle], issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """A transaction that fails after numbering (a worker dying mid-invoice) leaves no gap for the next cycle."""
    lines = [(0, "Supply", 1_000_000, Decimal(50), 50_000_000), (1, "Supply", 2_000_000, Decimal(50), 100_000_000)]
    first, second = make_cycle(lines), make_cycle(lines)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        issue_invoices(conn, first.cycle_id, issuer, signing_key_path, documents_root)
        raise RuntimeError("worker killed before commit")
    with engine.begin() as conn:
        retried = issue_invoices(conn, first.cycle_id, issuer, signing_key_path, documents_root)
    with engine.begin() as conn:
        later = issue_invoices(conn, second.cycle_id, issuer, signing_key_path, documents_root)
    assert [i.number for i in retried + later] == [1, 2, 3, 4]
    assert all(i.created for i in retried + later)


def test_concurrent_issuers_of_one_cycle_never_duplicate_a_number(
    engine: Engine, make_cycle: Callable[..., SeededCycle], issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Four threads issue the same two cycles at once; the result is numbers 1..4, each used once."""
    lines = [(0, "Supply", 1_000_000, Decimal(50), 50_000_000), (1, "Supply", 2_000_000, Decimal(50), 100_000_000)]
    cycles = [make_cycle(lines), make_cycle(lines)]
    errors: list[BaseException] = []

    def issue(cycle: SeededCycle) -> None:
        try:
            with engine.begin() as conn:
                issue_invoices(conn, cycle.cycle_id, issuer, signing_key_path, documents_root)
        except Exception as error:  # noqa: BLE001 - surfaced below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(cycles[index % 2],)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with engine.connect() as conn:
        numbers = conn.execute(text("SELECT number FROM invoice WHERE issuer = :i ORDER BY number"),
                               {"i": issuer}).scalars().all()
    assert numbers == [1, 2, 3, 4]


def test_documents_are_written_hashed_and_the_pdf_signature_verifies(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """The JSON file's sha256 equals the recorded hash; the PDF verifies with the public half of the key."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    json_path = Path(documents_root) / "invoices" / issuer / f"{invoice.invoice_id}.json"
    document = json.loads(json_path.read_bytes())
    assert hashlib.sha256(json_path.read_bytes()).hexdigest() == invoice.document_sha256_hex
    assert document["total_usd_cents"] == invoice.total_usd_cents
    assert [line["amount_usd_cents"] for line in document["lines"]] == [7_656_250, 7_620_000]
    assert document["rounding"] == {"mode": "ROUND_HALF_EVEN", "total_usd_micros": 152_762_500_000,
                                    "adjustment_usd_cents": 0}
    assert invoice.pdf_uri is not None
    pdf_bytes = Path(invoice.pdf_uri).read_bytes()
    assert pdf_bytes.startswith(b"%PDF-")
    check = verify_signed_pdf(pdf_bytes, load_public_key(signing_key_path), invoice.pdf_uri)
    assert check.signed_bytes < len(pdf_bytes)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT document_sha256_hex, document_json FROM invoice WHERE invoice_id = :i"),
                              {"i": invoice.invoice_id}).one()
    assert stored[0] == invoice.document_sha256_hex
    assert stored[1] == document


def test_bad_inputs_raise_domain_errors_and_store_nothing(
    engine: Engine, make_cycle: Callable[..., SeededCycle], issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """Unknown cycle, empty cycle, unknown tenant and a malformed issuer each raise their error; no row is written."""
    empty = make_cycle([])
    stranger = make_cycle([(0, "Supply", 1, Decimal(1), 1)], tenant_count=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE settlement_line SET tenant_id = 'nobody' WHERE cycle_id = :c"),
                     {"c": stranger.cycle_id})
    cases = [("cycle:none:2026-01", issuer, CycleNotFound), (empty.cycle_id, issuer, NoSettlementLines),
             (stranger.cycle_id, issuer, TenantUnknown), (empty.cycle_id, "bad issuer!", IssuerInvalid)]
    for cycle_id, issuer_name, error in cases:
        with pytest.raises(error), engine.begin() as conn:
            issue_invoices(conn, cycle_id, issuer_name, signing_key_path, documents_root)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM invoice WHERE issuer = :i"), {"i": issuer}).scalar()
    assert count == 0


def test_an_issued_invoice_cannot_be_edited_or_deleted(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """The database refuses an UPDATE of the total and a DELETE: corrections go through credit notes."""
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    for statement in ("UPDATE invoice SET total_usd_cents = 1 WHERE invoice_id = :i",
                      "DELETE FROM invoice WHERE invoice_id = :i"):
        with pytest.raises(Exception, match="cannot be"), engine.begin() as conn:
            conn.execute(text(statement), {"i": invoice.invoice_id})


def test_daily_load_comes_from_the_validated_intervals_when_settlement_did_not_record_it(
    engine: Engine, seeded_cycle: SeededCycle, issuer: str, signing_key_path: Path, documents_root: str,
    tmp_path: Path
) -> None:
    """The validate step's Parquet file gives tenant 0's meter 30 Wh on 1 Jan and 12 Wh on 2 Jan (UTC campus)."""
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    intervals_path = tmp_path / "validated.parquet"
    starts = [datetime(2026, 1, 1, 0, tzinfo=UTC), datetime(2026, 1, 1, 23, 45, tzinfo=UTC),
              datetime(2026, 1, 2, 0, tzinfo=UTC)]
    pq.write_table(pa.table({"meter_id": ["T0", "T0", "T0"],
                             "interval_start_utc": pa.array(starts, pa.timestamp("us", tz="UTC")),
                             "energy_wh": pa.array([10, 20, 12], pa.int64())}), intervals_path)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id) "
                          "VALUES (:c, 'T0', 'tenant_consumption', 'Wh', 15, :t)"),
                     {"c": seeded_cycle.campus_id, "t": seeded_cycle.tenant_ids[0]})
        conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:c, 'validate', "
                          "CAST(:r AS jsonb))"), {"c": seeded_cycle.cycle_id,
                                                 "r": json.dumps({"validated_uri": str(intervals_path)})})
    with engine.begin() as conn:
        issued = issue_invoices(conn, seeded_cycle.cycle_id, issuer, signing_key_path, documents_root)
    documents = [json.loads((Path(documents_root) / "invoices" / issuer / f"{i.invoice_id}.json").read_bytes())
                 for i in issued]
    assert documents[0]["daily_energy_wh"] == {"2026-01-01": 30, "2026-01-02": 12}
    assert documents[1]["daily_energy_wh"] == {}


def test_each_line_keeps_the_unit_settlement_gave_it(
    engine: Engine, make_cycle: Callable[..., SeededCycle], issuer: str, signing_key_path: Path, documents_root: str
) -> None:
    """A demand line (2,500 kW at 12.50 USD/kW-month) is invoiced as kW-month beside an MWh energy line."""
    cycle = make_cycle([(0, "Energy", 1_000_000, Decimal(50), 50_000_000),
                        (0, "Demand charge", 2_500_000, Decimal("12.5"), 31_250_000_000)], tenant_count=1)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO settlement_line_detail (cycle_id, line_no, clause, unit) "
                          "VALUES (:c, 2, 'tariff.demand', 'kW-month')"), {"c": cycle.cycle_id})
    with engine.begin() as conn:
        invoice = issue_invoices(conn, cycle.cycle_id, issuer, signing_key_path, documents_root)[0]
    document = json.loads((Path(documents_root) / "invoices" / issuer / f"{invoice.invoice_id}.json").read_bytes())
    assert [(line["unit"], line["quantity"]) for line in document["lines"]] == [("MWh", 1_000_000),
                                                                              ("kW-month", 2_500_000)]
    assert invoice.total_usd_cents == 3_130_000  # 50.00 + 31,250.00 USD
