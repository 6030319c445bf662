"""Render an invoice document (the JSON value of `invoicing.document`) as an unsigned PDF with fpdf2.

Display only: every number printed comes from the document, already exact (Wh, micro-USD, cents); the
chart's bar heights are the one place floats appear, and they only place ink. The built-in Helvetica font
keeps the output identical on every machine; characters outside Latin-1 are replaced before printing.

What a payer needs comes first: issuer and bill-to with legal names and addresses, remit-to, payment terms and
due date. Times print in the campus's local time (the document's `time_zone`, UTC for documents without one),
to the minute. Identifiers written in snake_case (TOU periods, allocation methods, emission scopes) print as
words. Sections with nothing to show (no TOU data, no demand charge, no daily data, no emissions) are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from invoicing.document import UNITS_IN_WH
from invoicing.money import format_usd_cents

PAGE_WIDTH_MM = 210
MARGIN_MM = 15
CONTENT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_MM
ROW_HEIGHT_MM = 6
CHART_HEIGHT_MM = 45
# Bars beyond this many days would be thinner than a hairline on A4; a billing month has at most 31.
CHART_DAYS_MAX = 62
LINE_COLUMNS_MM = (8, 76, 34, 34, 28)
DESCRIPTION_CHARS_MAX = 48
LABEL_WIDTH_MM = 28

# Words for identifiers that reach line descriptions and tables in snake_case; others lose their underscores.
WORDS = {
    "on_peak": "on-peak", "off_peak": "off-peak", "mid_peak": "mid-peak", "super_off_peak": "super off-peak",
    "partial_peak": "partial-peak", "pro_rata": "pro rata", "coincident_peak": "coincident peak",
    "non_coincident_peak": "non-coincident peak", "floor_area": "floor area", "demand_max": "maximum demand",
    "grid_tariff": "grid tariff", "fixed_price": "fixed price",
}
EMISSION_SCOPES = {
    "scope1": "Scope 1, direct",
    "scope2_location": "Scope 2, location-based",
    "scope2_market": "Scope 2, market-based",
    "scope3_cat3": "Scope 3, category 3 (fuel- and energy-related)",
    "scope3_shared_services": "Scope 3, shared services",
}
# What each settlement line unit is, in words (the rate column says per what).
LINE_KINDS = {"MWh": "Energy", "REC-MWh": "Certificates", "kW-month": "Demand", "month": "Fixed charge",
              "day": "Daily charge", "USD": "Amount"}
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def render_invoice_pdf(document: dict[str, Any], document_sha256_hex: str, draft: bool = False,
                       signer_public_key_b64: str | None = None) -> bytes:
    """The invoice as PDF bytes, ending in `%%EOF`; deterministic for a given document.

    `draft=True` marks an unnumbered preview (see `invoicing.drafts`): it says so at the top and is never signed.
    `signer_public_key_b64` (the raw Ed25519 key the PDF will be signed with) is printed in the footer, so a
    tenant or auditor holding only the paper has the key that checks it and the ledger's checkpoints.
    """
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    # A fixed creation date (the issue time) keeps the bytes, and so the signature, reproducible.
    pdf.set_creation_date(datetime.fromisoformat(document["issued_at_utc"]))
    pdf.set_title(f"Invoice {document['invoice_id']}")
    pdf.set_author(document["issuer"])
    pdf.add_page()
    if draft:
        pdf.set_font("Helvetica", "B", 12)
        pdf.set_text_color(184, 74, 74)
        pdf.cell(CONTENT_WIDTH_MM, 8, "DRAFT - preview before approval; not numbered, not payable",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    _header(pdf, document)
    _line_items(pdf, document)
    _tariff_breakdown(pdf, document)
    _daily_load_chart(pdf, document)
    _emissions(pdf, document)
    _footer(pdf, document_sha256_hex, signer_public_key_b64)
    return bytes(pdf.output())


def _text(value: object) -> str:
    return str(value).replace("\u2014", "-").replace("\u2013", "-").encode("latin-1", "replace").decode("latin-1")


def _row(pdf: FPDF, cells: list[tuple[float, str, str]], bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    for width_mm, text, align in cells:
        pdf.cell(width_mm, ROW_HEIGHT_MM, _text(text), border="B", align=align)
    pdf.ln(ROW_HEIGHT_MM)


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(CONTENT_WIDTH_MM, 7, _text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def readable(text: str) -> str:
    """`Allocated grid_tariff (pro_rata)` -> `Allocated grid tariff (pro rata)`: snake_case identifiers as words."""
    return SNAKE_CASE.sub(lambda match: WORDS.get(match.group(0), match.group(0).replace("_", " ")), text)


def emission_scope_text(scope: str) -> str:
    return EMISSION_SCOPES.get(scope, readable(scope))


def _zone(document: dict[str, Any]) -> tzinfo:
    name = document.get("time_zone")
    return ZoneInfo(name) if name else UTC


def local_time_text(utc_value: str, zone: tzinfo) -> str:
    """A document timestamp (`...T23:00:00.000000Z`) in the campus's local time, to the minute, with its zone
    abbreviation: `2026-01-31 17:00 CST`."""
    local = datetime.fromisoformat(utc_value).astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def payment_terms_text(document: dict[str, Any]) -> str:
    days = document.get("payment_terms_days")
    return f"Net {days} days from the invoice date" if days is not None else "Due by the due date"


def _facts(pdf: FPDF, facts: list[tuple[str, str]]) -> None:
    for label, value in facts:
        pdf.set_font("Helvetica", "B" if label else "", 9)
        pdf.cell(LABEL_WIDTH_MM, 5, _text(label))
        pdf.set_font("Helvetica", "", 9)
        # Addresses may hold several lines (the campus file keeps them as one string with newlines or commas).
        for part in str(value).splitlines() or [""]:
            width_mm = CONTENT_WIDTH_MM - LABEL_WIDTH_MM
            if pdf.get_string_width(_text(part)) > width_mm:  # a long remit-to wraps instead of running off the page
                pdf.multi_cell(width_mm, 5, _text(part), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            else:
                pdf.cell(width_mm, 5, _text(part), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_x(MARGIN_MM + LABEL_WIDTH_MM)
        pdf.set_x(MARGIN_MM)


def _parties(pdf: FPDF, document: dict[str, Any], counterparty_label: str) -> None:
    """The parties block every document prints (invoice document version 2, credit note version 2): the issuer's
    legal name and address, then the tenant's (`counterparty_label`: "Bill to", "Credit to") legal name and
    billing address. A document without parties (version 1) names the issuer series and the tenant's name."""
    bill_to = document.get("bill_to") or {"name": document["tenant_name"]}
    issuer = document.get("issuer_legal_entity") or document["issuer"]
    facts = [("From", issuer)]
    if document.get("issuer_address"):
        facts.append(("", document["issuer_address"]))
    facts.append((counterparty_label, f"{bill_to['name']} (tenant {document['tenant_id']})"))
    if bill_to.get("address"):
        facts.append(("", bill_to["address"]))
    _facts(pdf, facts)
    pdf.ln(2)


def _campus_fact(document: dict[str, Any]) -> tuple[str, str]:
    """The campus and the zone the document's times print in."""
    return ("Campus", document["campus_id"] + (f" (times in {document['time_zone']})" if document.get("time_zone")
                                               else " (times in UTC)"))


def _remit_to_facts(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Remit to", document["remit_to"])] if document.get("remit_to") else []


def _header(pdf: FPDF, document: dict[str, Any]) -> None:
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(CONTENT_WIDTH_MM, 10, _text(f"Invoice {document['invoice_id']}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    zone = _zone(document)
    _parties(pdf, document, "Bill to")
    start, end = (local_time_text(document[key], zone) for key in ("period_start_utc", "period_end_utc"))
    terms = [
        ("Invoice number", f"{document['invoice_id']} (series {document['issuer']}, no. {document['number']})"),
        ("Invoice date", local_time_text(document["issued_at_utc"], zone)),
        ("Billing period", f"{document['period']}: {start} to {end}"),
        _campus_fact(document),
        ("Payment terms", payment_terms_text(document)),
        ("Due date", document["due_date"]),
        ("Amount due", f"USD {format_usd_cents(document['total_usd_cents'])}"),
    ]
    terms += _remit_to_facts(document)
    if document.get("replaces_invoice_id"):
        terms.append(("Replaces", f"invoice {document['replaces_invoice_id']} (cancelled)"))
    _facts(pdf, terms)


def _mwh_text(energy_wh: int) -> str:
    return f"{Decimal(energy_wh) / Decimal(1_000_000):,.3f}"


def quantity_text(quantity: int, unit: str) -> str:
    """A line's quantity in its own unit: Wh shown as MWh, W as kW, counts as they are."""
    if unit in UNITS_IN_WH:
        return f"{_mwh_text(quantity)} {unit}"
    if unit == "kW-month":
        return f"{Decimal(quantity) / Decimal(1_000):,.3f} kW"
    return f"{quantity:,} {unit}"


def _rate_unit(unit: str) -> str:
    return "kW-mo" if unit == "kW-month" else unit


def _line_items(pdf: FPDF, document: dict[str, Any]) -> None:
    _section(pdf, "Line items")
    widths = LINE_COLUMNS_MM
    _row(pdf, [(widths[0], "#", "L"), (widths[1], "Description", "L"), (widths[2], "Quantity", "R"),
               (widths[3], "Rate USD", "R"), (widths[4], "Amount USD", "R")], bold=True)
    for line in document["lines"]:
        _row(pdf, [(widths[0], str(line["line_no"]), "L"), (widths[1], line_description(line), "L"),
                   (widths[2], quantity_text(line["quantity"], line["unit"]), "R"),
                   (widths[3], f"{line['rate_usd_per_unit']}/{_rate_unit(line['unit'])}", "R"),
                   (widths[4], format_usd_cents(line["amount_usd_cents"]), "R")])
    label_width = sum(widths[:4])
    rounding = document["rounding"]
    if rounding["adjustment_usd_cents"] != 0:
        _row(pdf, [(label_width, f"Rounding adjustment ({rounding['mode']}, from exact micro-USD)", "R"),
                   (widths[4], format_usd_cents(rounding["adjustment_usd_cents"]), "R")])
    _row(pdf, [(label_width, "Total USD", "R"), (widths[4], format_usd_cents(document["total_usd_cents"]), "R")],
         bold=True)


def line_description(line: dict[str, Any]) -> str:
    """`Demand: Tariff B-19 maximum demand ...`: the line's kind in words, then its readable description."""
    kind = LINE_KINDS.get(line["unit"])
    text = readable(line["description"])
    if kind is not None and not text.lower().startswith(kind.lower()):
        text = f"{kind}: {text}"
    return text if len(text) <= DESCRIPTION_CHARS_MAX else text[:DESCRIPTION_CHARS_MAX - 3] + "..."


def _tariff_breakdown(pdf: FPDF, document: dict[str, Any]) -> None:
    """Energy by time-of-use period and the demand charges, when a tariff produced them; nothing otherwise."""
    tou: dict[str, int] = document["tou_energy_wh"]
    demand_lines = [line for line in document["lines"] if line["unit"] == "kW-month"]
    if not tou and not demand_lines:
        return
    _section(pdf, "Tariff breakdown: time of use and demand")
    if tou:
        total_wh = sum(tou.values())
        _row(pdf, [(90, "Time-of-use period", "L"), (40, "Energy (MWh)", "R"), (40, "Share of energy", "R")],
             bold=True)
        for name, energy_wh in tou.items():
            share = "" if total_wh <= 0 else f"{Decimal(energy_wh) * 100 / Decimal(total_wh):.1f} %"
            _row(pdf, [(90, readable(name), "L"), (40, _mwh_text(energy_wh), "R"), (40, share, "R")])
    if demand_lines:
        pdf.ln(2)
        _row(pdf, [(90, "Demand charge", "L"), (30, "Demand (kW)", "R"), (30, "USD/kW-month", "R"),
                   (30, "Amount USD", "R")], bold=True)
        for line in demand_lines:
            _row(pdf, [(90, readable(line["description"])[:56], "L"),
                       (30, f"{Decimal(line['quantity']) / Decimal(1_000):,.3f}", "R"),
                       (30, line["rate_usd_per_unit"], "R"), (30, format_usd_cents(line["amount_usd_cents"]), "R")])


def _daily_load_chart(pdf: FPDF, document: dict[str, Any]) -> None:
    daily = list(document["daily_energy_wh"].items())[:CHART_DAYS_MAX]
    if not daily:
        return
    _section(pdf, "Daily energy (MWh per local day)")
    pdf.set_font("Helvetica", "", 8)
    if pdf.get_y() + CHART_HEIGHT_MM + 12 > pdf.h - MARGIN_MM:
        pdf.add_page()
    top_mm = pdf.get_y() + 4
    peak_wh = max(max(energy_wh for _, energy_wh in daily), 1)
    slot_mm = CONTENT_WIDTH_MM / len(daily)
    pdf.set_fill_color(46, 110, 160)
    for index, (_, energy_wh) in enumerate(daily):
        height_mm = CHART_HEIGHT_MM * max(energy_wh, 0) / peak_wh
        pdf.rect(MARGIN_MM + index * slot_mm + slot_mm * 0.1, top_mm + CHART_HEIGHT_MM - height_mm,
                 slot_mm * 0.8, height_mm, style="F")
    pdf.line(MARGIN_MM, top_mm + CHART_HEIGHT_MM, MARGIN_MM + CONTENT_WIDTH_MM, top_mm + CHART_HEIGHT_MM)
    pdf.set_xy(MARGIN_MM, top_mm - 4)
    pdf.cell(CONTENT_WIDTH_MM, 4, _text(f"peak {_mwh_text(peak_wh)} MWh"), align="R")
    pdf.set_xy(MARGIN_MM, top_mm + CHART_HEIGHT_MM + 1)
    pdf.cell(CONTENT_WIDTH_MM / 2, 4, _text(daily[0][0]))
    pdf.cell(CONTENT_WIDTH_MM / 2, 4, _text(daily[-1][0]), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _emissions(pdf: FPDF, document: dict[str, Any]) -> None:
    emissions: dict[str, int] | None = document["emissions_g_co2e"]
    if not emissions:
        return
    _section(pdf, "Emissions attributed to this tenant")
    _row(pdf, [(110, "Scope", "L"), (50, "Emissions", "R")], bold=True)
    for scope, grams in emissions.items():
        _row(pdf, [(110, emission_scope_text(scope), "L"),
                   (50, f"{Decimal(grams) / Decimal(1_000_000):,.3f} t CO2e", "R")])


def _footer(pdf: FPDF, document_sha256_hex: str, signer_public_key_b64: str | None,
            document_label: str = "Invoice") -> None:
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 7)
    # Lines that fit the width at 7 pt, as cells: fpdf's line breaking (multi_cell) took a fifth of a render.
    lines = [f"{document_label} document sha256 (RFC 8785 JSON): {document_sha256_hex}.",
             ("This PDF carries an Ed25519 signature (scheme wattledger-pdf-ed25519-v1); check it with "
              "`wattledger invoice verify`.")]
    if signer_public_key_b64 is not None:
        lines.append(f"Signing key (Ed25519, base64 of the raw public key; the ledger's vkey holds the same key): "
                     f"{signer_public_key_b64}")
    for line in lines:
        pdf.cell(CONTENT_WIDTH_MM, 4, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_credit_note_pdf(document: dict[str, Any], document_sha256_hex: str,
                           signer_public_key_b64: str | None = None) -> bytes:
    """A credit note as PDF bytes: the parties block of the invoice it credits (document version 2; a version 1
    note names the issuer series and the tenant only), which invoice it credits, why, when in the campus's local
    time, and how much (cents, from the document)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    pdf.set_creation_date(datetime.fromisoformat(document["issued_at_utc"]))
    pdf.set_title(f"Credit note {document['credit_note_id']}")
    pdf.set_author(document["issuer"])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(CONTENT_WIDTH_MM, 10, _text(f"Credit note {document['credit_note_id']}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _parties(pdf, document, "Credit to")
    facts = [
        ("Credit note", f"{document['credit_note_id']} (series {document['issuer']}, no. {document['number']})"),
        ("Credits", f"invoice {document['invoice_id']} (sha256 {document['invoice_document_sha256_hex'][:16]}...)"),
        ("Issued", local_time_text(document["issued_at_utc"], _zone(document))),
        _campus_fact(document),
        ("Reason", document["reason"]),
        ("Amount", f"USD {format_usd_cents(document['amount_usd_cents'])} credited"),
        *_remit_to_facts(document),
    ]
    _facts(pdf, facts)
    pdf.ln(4)
    _row(pdf, [(CONTENT_WIDTH_MM - 40, "Amount credited USD", "R"),
               (40, format_usd_cents(document["amount_usd_cents"]), "R")], bold=True)
    _footer(pdf, document_sha256_hex, signer_public_key_b64, "Credit note")
    return bytes(pdf.output())
