"""An invoice people can pay: the PDF, read back as text, names the issuer and the tenant with legal names and
addresses, remit-to, payment terms and due date, prints times in the campus's local time to the minute, reads
its line descriptions as words, shows the tariff breakdown and emissions with units, and leaves empty sections
out. Version 1 documents still render and keep their hash."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from common.canonical_json import sha256_hex as canonical_sha256_hex
from invoicing.document import (
    CREDIT_NOTE_DOCUMENT_VERSION,
    DOCUMENT_VERSION,
    InvoiceHeader,
    InvoiceLine,
    Parties,
    TenantUsage,
    build_credit_note_document,
    build_invoice_document,
)
from invoicing.pdf import (
    line_description,
    local_time_text,
    readable,
    render_credit_note_pdf,
    render_invoice_pdf,
)

PARTIES = Parties(
    issuer_legal_entity="Lone Star Campus Energy LLC", bill_to_name="Acme Robotics, Inc.",
    bill_to_address="100 Congress Ave, Suite 400\nAustin, TX 78701", remit_to="Lone Star Campus Energy LLC, "
    "PO Box 1234, Dallas, TX 75201; ACH routing 111000025, account 000123456789",
    issuer_address="2500 Energy Way\nRound Rock, TX 78664", time_zone="America/Chicago",
)


def _document(parties: Parties | None = PARTIES, tou: dict[str, int] | None = None,
              emissions: dict[str, int] | None = None, daily: bool = True,
              lines: list[InvoiceLine] | None = None) -> dict[str, Any]:
    header = InvoiceHeader(
        "LSCE-000042", "LSCE", 42, "cycle:austin:2026-01", "austin", "2026-01",
        datetime(2026, 1, 1, 6, tzinfo=UTC), datetime(2026, 2, 1, 6, tzinfo=UTC), "acme", "Acme",
        datetime(2026, 2, 3, 15, 4, 5, 123456, tzinfo=UTC), 30, None, parties,
    )
    lines = lines or [
        InvoiceLine(1, "Metered consumption", 1_000_000_000, Decimal("61.25"), 61_250_000_000, 1, "ab" * 32),
        InvoiceLine(2, "Allocated grid_tariff (pro_rata)", 250_000_000, Decimal(40), 10_000_000_000, 1, "cd" * 32),
        InvoiceLine(3, "Tariff B-19 demand_max on_peak 2026-01 (812 kW)", 812_000, Decimal("18.5"),
                    15_022_000_000, 1, "ef" * 32, unit="kW-month"),
    ]
    days = {date(2026, 1, day): 30_000_000 + day * 1_000_000 for day in range(1, 32)} if daily else {}
    return build_invoice_document(header, lines, TenantUsage(days, tou or {}, emissions))


def _page_text(pdf_bytes: bytes) -> str:
    """The PDF's text: content streams inflated (fpdf2 compresses them with zlib), the strings of each
    text-showing operator joined in order."""
    streams = b"".join(zlib.decompress(stream) for stream in
                       re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf_bytes, flags=re.DOTALL))
    shown = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", streams)
    return "\n".join(re.sub(rb"\\(.)", rb"\1", text).decode("latin-1") for text in shown)


def test_the_pdf_names_the_parties_the_terms_and_local_times() -> None:
    document = _document(tou={"on_peak": 400_000_000, "off_peak": 600_000_000},
                         emissions={"scope2_location": 412_000_000, "scope2_market": 5_000_000})
    text = _page_text(render_invoice_pdf(document, "ef" * 32))
    for expected in ("Lone Star Campus Energy LLC", "2500 Energy Way", "Round Rock, TX 78664",
                     "Acme Robotics, Inc.", "100 Congress Ave, Suite 400", "Austin, TX 78701",
                     "PO Box 1234, Dallas, TX 75201", "Net 30 days from the invoice date", "2026-03-05"):
        assert expected in text, expected
    # 15:04:05.123456 UTC is 09:04 CST; the period runs from local midnight to local midnight.
    assert "2026-02-03 09:04 CST" in text
    assert "2026-01-01 00:00 CST to 2026-02-01 00:00 CST" in text
    assert "America/Chicago" in text
    assert ".123456" not in text and "000000Z" not in text


def test_line_descriptions_and_breakdowns_read_as_words_with_units() -> None:
    document = _document(tou={"on_peak": 400_000_000, "off_peak": 600_000_000},
                         emissions={"scope2_location": 412_000_000, "scope3_cat3": 5_000_000})
    text = _page_text(render_invoice_pdf(document, "ef" * 32))
    assert "Energy: Metered consumption" in text
    assert "Energy: Allocated grid tariff (pro rata)" in text
    assert "Demand: Tariff B-19 maximum demand on-peak" in text
    assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", text.replace(document["invoice_id"], "")), \
        "a snake_case identifier was printed"
    assert "Tariff breakdown: time of use and demand" in text
    assert "on-peak" in text and "off-peak" in text and "40.0 %" in text
    assert "812.000" in text  # demand in kW
    assert "Scope 2, location-based" in text and "412.000 t CO2e" in text
    assert "Scope 3, category 3 (fuel- and energy-related)" in text


def test_empty_sections_are_left_out() -> None:
    lines = [InvoiceLine(1, "Metered consumption", 1_000_000_000, Decimal("61.25"), 61_250_000_000, 1, "ab" * 32)]
    text = _page_text(render_invoice_pdf(_document(daily=False, lines=lines), "ef" * 32))
    for absent in ("Tariff breakdown", "Emissions", "Daily energy", "Not yet available", "No time-of-use"):
        assert absent not in text, absent
    assert "Line items" in text and "Total USD" in text


def test_document_version_2_carries_terms_and_zone_and_version_1_still_renders() -> None:
    document = _document()
    assert (document["document_version"], DOCUMENT_VERSION) == (2, 2)
    assert (document["payment_terms_days"], document["time_zone"]) == (30, "America/Chicago")
    assert document["issuer_address"] == "2500 Energy Way\nRound Rock, TX 78664"
    # A version 1 document (no terms, no zone, no parties) renders with UTC times, and its hash is over its
    # own JSON, so rendering never changes it.
    old = {key: value for key, value in _document(parties=None).items() if key != "payment_terms_days"}
    old["document_version"] = 1
    before = canonical_sha256_hex(old)
    text = _page_text(render_invoice_pdf(old, "ef" * 32))
    assert "2026-02-03 15:04 UTC" in text and "Due by the due date" in text
    assert canonical_sha256_hex(old) == before


def _credit_note(invoice: dict[str, Any]) -> dict[str, Any]:
    return build_credit_note_document("CN.LSCE-000007", 7, invoice["invoice_id"], "ab" * 32, invoice,
                                      "meter AC-3 read twice", 125_050, datetime(2026, 7, 1, 5, 0, 30, 5, tzinfo=UTC))


def test_the_credit_note_pdf_prints_the_invoice_parties_block_and_local_times() -> None:
    """Version 2 credit notes carry the parties of the invoice they credit and print the same block: legal names,
    both addresses, remit-to; 05:00:30 UTC on 1 July is 00:00 CDT in Chicago."""
    note = _credit_note(_document())
    assert (note["document_version"], CREDIT_NOTE_DOCUMENT_VERSION) == (2, 2)
    assert note["bill_to"] == {"name": "Acme Robotics, Inc.", "address": "100 Congress Ave, Suite 400\nAustin, TX 78701"}
    text = _page_text(render_credit_note_pdf(note, "cd" * 32))
    for expected in ("Credit note CN.LSCE-000007", "From", "Lone Star Campus Energy LLC", "2500 Energy Way",
                     "Round Rock, TX 78664", "Credit to", "Acme Robotics, Inc. (tenant acme)",
                     "100 Congress Ave, Suite 400", "Austin, TX 78701", "Remit to", "PO Box 1234, Dallas, TX 75201",
                     "2026-07-01 00:00 CDT", "austin (times in America/Chicago)", "invoice LSCE-000042",
                     "meter AC-3 read twice", "USD 1,250.50 credited",
                     f"Credit note document sha256 (RFC 8785 JSON): {'cd' * 32}."):
        assert expected in text, expected
    assert ":30" not in text and "000005" not in text


def test_a_version_1_credit_note_still_renders_and_keeps_its_hash() -> None:
    """A credit note stored before parties were carried: no parties, UTC times; rendering never changes its hash."""
    old = {key: value for key, value in _credit_note(_document(parties=None)).items()}
    old["document_version"] = 1
    before = canonical_sha256_hex(old)
    text = _page_text(render_credit_note_pdf(old, "cd" * 32))
    assert "From" in text and "LSCE" in text and "Acme (tenant acme)" in text
    assert "2026-07-01 05:00 UTC" in text and "Remit to" not in text
    assert canonical_sha256_hex(old) == before


def test_readable_helpers() -> None:
    assert readable("Allocated shared_services (floor_area)") == "Allocated shared services (floor area)"
    assert local_time_text("2026-07-01T05:00:00.000000Z", __import__("zoneinfo").ZoneInfo("America/Chicago")) \
        == "2026-07-01 00:00 CDT"
    assert line_description({"unit": "month", "description": "Service fee"}) == "Fixed charge: Service fee"
