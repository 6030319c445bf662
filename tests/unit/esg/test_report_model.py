"""The campus report an auditor accepts: one model rendered as HTML and as PDF with the same content; entity,
boundary, period, preparer, issue date, version and restatement note, base year, factor editions with their
publishers, per-gas figures with the GWP set, tenant names instead of ids, instrument quality criteria with
registry and serials, numbered pages; and an evidence package with the interval data, factor rows and proofs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from markupsafe import escape

from esg.certificates import CertificateClaim, CertificateLot
from esg.factors import MarketRateRow
from esg.reporting import (
    ReportContext,
    build_campus_report,
    campus_report_html,
    campus_report_pdf,
    write_evidence_package,
)
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(days=1)
METERS = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha"),
          MeterRef("TB", "tenant_consumption", "beta")]
LOT = CertificateLot("lot-7", "REC", "wind", "ERCT", START, END, 2_000_000, 0, "ERCOT REC Program",
                     "Sweetwater Wind 4", serial_start=41, serial_end=42, serial_prefix="TX-W", location="US-TX")


RESIDUAL_ROW = MarketRateRow("rm-erct-2025", "residual_mix", "ERCT", Decimal("412345.6"), "Green-e Energy", "2025",
                             date(2025, 1, 1), date(2026, 1, 1))
UPSTREAM_ROW = MarketRateRow("up-us-2025", "grid_upstream", "ERCT", Decimal("4.8E+4"), "NREL LCA Harmonization",
                             "2025", date(2025, 1, 1))  # read back normalized, as the library stores it


@pytest.fixture
def emissions(intervals_file):
    rows = []
    for hour in range(24):
        start = START + timedelta(hours=hour)
        rows += [("GRID1", start, 60, 1_000_000, 0), ("TA", start, 60, 750_000, 0), ("TB", start, 60, 250_000, 0)]
    claim = CertificateClaim("claim-alpha", "lot-7", "tenant:alpha", 2_000_000, START, END)
    return compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", START, END,
                                   options=EmissionOptions(claims=[(LOT, claim)]))


@pytest.fixture
def context():
    return ReportContext(
        campus_id="c1", campus_name="Lone Star Data Campus", legal_entity="Lone Star Power LLC",
        tenant_names={"alpha": "Alpha Compute Inc.", "beta": "Beta Labs LLC"}, preparer="Jane Auditor-Prep",
        issue_date=date(2025, 8, 15), version=2,
        versions=[{"version": 1, "factor_edition": "wl-2025.1", "reason": "as settled",
                   "ledger_idempotency_key": "cycle:c1:2025-07:settlement:v1"},
                  {"version": 2, "factor_edition": "wl-2025.1", "reason": "stack test ST-114",
                   "ledger_idempotency_key": "cycle:c1:2025-07:esg-restatement:v2"}],
        base_year=2023, lots={"lot-7": LOT}, market_rates=[RESIDUAL_ROW, UPSTREAM_ROW],
    )


def _cells(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [value for section in report.sections for table in section.tables
            for row in [table.header, *table.rows] for value in row if value]


def test_the_report_names_what_an_auditor_looks_for(emissions, context):
    """Entity and boundary, period, preparer, issue date, version and restatement, base year, sources, gases,
    names rather than ids, instruments with registry, serials, vintage and location."""
    report = build_campus_report(emissions, context)
    text = "\n".join([report.title, report.subtitle, *[p for s in report.sections for p in s.paragraphs],
                      *_cells(report)])
    for expected in ("Lone Star Power LLC", "operational control", "2025-07-01T00:00:00+00:00 to 2025-07-02",
                     "Prepared by Jane Auditor-Prep; issued 2025-08-15", "Base year: 2023",
                     "version 2 restates", "stack test ST-114", "cycle:c1:2025-07:esg-restatement:v2",
                     "US EPA Center for Corporate Climate Leadership", "GWP set AR5", "CH4", "N2O",
                     "Alpha Compute Inc.", "Beta Labs LLC", "ERCOT REC Program", "ERCOT REC Program TX-W-41 to TX-W-42",
                     "US-TX", "QC2 one claim per MWh", "esg:certificate-retirement:c1:"):
        assert expected in text, expected
    methods = next(s for s in report.sections if s.title == "Methods, factor editions and sources")
    assert methods.tables[1].rows == [["market-rate/rm-erct-2025@2025", "residual_mix", "ERCT", "412,345.6",
                                       "Green-e Energy", "2025", "2025-01-01 to 2026-01-01", ""],
                                      ["market-rate/up-us-2025@2025", "grid_upstream", "ERCT", "48,000",
                                       "NREL LCA Harmonization", "2025", "2025-01-01 to open", ""]]
    tenant_rows = next(s for s in report.sections if s.title == "Tenants").tables[0].rows
    assert [row[0] for row in tenant_rows[:2]] == ["Alpha Compute Inc.", "Beta Labs LLC"], "names, not ids"


def test_html_and_pdf_carry_the_same_content_with_numbered_pages(emissions, context):
    """Every table cell (each word of it in the PDF, where cells wrap) and every paragraph's start of the model is in
    both renderings; the PDF numbers its pages."""
    report = build_campus_report(emissions, context)
    page = campus_report_html(emissions, context)
    pdf = campus_report_pdf(emissions, context, compress=False).decode("latin-1")
    pdf_text = re.sub(r"\\(.)", r"\1", pdf).replace(") Tj (", "")  # the page total is its own text run
    for value in [report.title, *_cells(report)]:
        assert str(escape(value)) in page, value
        for word in value.split():  # a PDF table cell wraps at its width (a long word inside): words are there
            assert len(word) > 15 or word in pdf_text, (value, word)
    for section in report.sections:
        assert str(escape(section.title)) in page and section.title in pdf_text
        for paragraph in section.paragraphs:
            assert str(escape(paragraph)) in page
            assert paragraph[:30] in pdf_text, paragraph[:30]
    pages = int(re.search(rb"/Count (\d+)", campus_report_pdf(emissions, context, compress=False)).group(1))
    assert pages >= 2 and f"page {pages} of {pages}" in pdf_text and "page 1 of" in pdf_text
    assert 'counter(page) " of " counter(pages)' in page


def test_the_evidence_package_holds_intervals_factor_rows_and_proofs(emissions, context, tmp_path: Path):
    """The interval bytes, factor_refs.csv with each ref's file, the proofs file, and SHA256SUMS over all."""
    proof = {"idempotency_key": "cycle:c1:2025-07:settlement:v1", "seq": 3, "leaf_index": 2, "tree_size": 4,
             "leaf_hash_hex": "ab" * 32, "canonical_b64": "e30=", "proof_hex": ["cd" * 32], "root_hex": "ef" * 32,
             "checkpoint_note": "note"}
    names = write_evidence_package(emissions, context, tmp_path / "pkg", b"PAR1 intervals", [proof])
    folder = tmp_path / "pkg"
    assert {"intervals.parquet", "factor_refs.csv", "ledger/inclusion_proofs.json", "README.txt", "report.pdf",
            "report.html"} <= set(names)
    refs = (folder / "factor_refs.csv").read_text().splitlines()
    assert "epa-hub-2025/table6/ERCT,epa-hub-2025/table6,epa_ghg_hub_2025_table6_egrid2023_subregions.csv,ERCT" in refs
    assert len(refs) == len(emissions.factor_refs) + 1
    assert (folder / "market_rates.csv").read_text().splitlines() == [
        "factor_ref,rate_id,kind,zone,g_co2e_per_mwh,source,edition,valid_from,valid_to,supplier,note",
        ("market-rate/rm-erct-2025@2025,rm-erct-2025,residual_mix,ERCT,412345.6,Green-e Energy,2025,2025-01-01,"
         "2026-01-01,,"),
        "market-rate/up-us-2025@2025,up-us-2025,grid_upstream,ERCT,48000,NREL LCA Harmonization,2025,2025-01-01,,,"]
    assert "market_rates.csv" in names and "methods.csv" in names
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


# What each tenant's market-based Scope 2 rests on, and its Scope 3 category 3 in parts: the same figures in the
# report model (so in HTML and PDF), the tenant statement (JSON, text, HTML) and the exports.
# Hand-worked: alpha draws 0.75 MWh of grid power each hour (18 MWh), beta 0.25 MWh (6 MWh). alpha's 2 MWh of RECs
# cover 2 MWh under annual matching; RECs are not granular, so hourly matching prices all 18 MWh at the fallback.
# No supplier rate or residual mix exists: the fallback is the grid average, every hour. The T&D losses (C) are
# grid MWh x ERCT 740.832 lb CO2e/MWh (AR5) x 453.59237 g/lb x 0.042 / 0.958: campus 353,574.14 g -> 353,574,
# split 3:1 by largest remainder: quotas 265,180.5 and 88,393.5, the tie to the first: alpha 265,181, beta 88,393.
GRID_AVERAGE_LABEL = "grid average (fallback: no supplier rate or residual mix)"


def test_the_market_method_of_each_tenant_is_in_the_report_statement_and_export(emissions, context):
    from esg.reporting import export_csv, render_statement_html, render_statement_text, tenant_statement

    fallback = emissions.market_methods["tenant:alpha"]["fallback_ref"]
    report = build_campus_report(emissions, context)
    section = next(s for s in report.sections if s.title == "Market-based Scope 2 method per tenant and hour")
    assert section.tables[0].rows == [
        ["Alpha Compute Inc.", "certificates (contractual instruments)", "2.000", "0.000", "0", fallback],
        ["Alpha Compute Inc.", GRID_AVERAGE_LABEL, "16.000", "18.000", "24", fallback],
        ["Beta Labs LLC", GRID_AVERAGE_LABEL, "6.000", "6.000", "24", fallback],
    ]
    assert fallback.startswith("epa-hub-2025/table6/ERCT")
    statement = tenant_statement(emissions, "alpha", "Alpha Compute Inc.")
    assert [(row.method, row.annual_wh, row.hourly_wh, row.hours) for row in statement.market_methods] == [
        ("instrument", 2_000_000, 0, 0), ("grid_average", 16_000_000, 18_000_000, 24)]
    assert "16.000" in render_statement_text(statement) and GRID_AVERAGE_LABEL in render_statement_html(statement)
    exported = export_csv(emissions, "methods").splitlines()
    assert exported == [
        "party,kind,method,annual_wh,hourly_wh,hours,fallback_ref",
        f"alpha,tenant,instrument,2000000,0,0,{fallback}",
        f"alpha,tenant,grid_average,16000000,18000000,24,{fallback}",
        f"beta,tenant,grid_average,6000000,6000000,24,{fallback}",
    ]


def test_each_tenants_scope3_category3_is_split_in_three_parts_everywhere(emissions, context):
    from esg.reporting import export_csv, render_statement_html, tenant_statement

    report = build_campus_report(emissions, context)
    tenants = next(s for s in report.sections if s.title == "Tenants")
    # Scope 2 in grams, as the ledger's legs hold them: location 24 MWh x 336,035.74265184 g/MWh = 8,064,857.82 ->
    # 8,064,858, split 3:1 by largest remainder: quotas 6,048,643.5 and 2,016,214.5, the tie to the first (alpha);
    # market 22 MWh (2 MWh covered by the zero-emission RECs) = 7,392,786.34 -> 7,392,786, split 16:6: quotas
    # 5,376,571.64 and 2,016,214.36, the last gram to alpha; hourly matching ignores RECs, so it equals location.
    assert tenants.tables[1].rows == [["Alpha Compute Inc.", "6,048,644", "5,376,572", "6,048,644"],
                                      ["Beta Labs LLC", "2,016,214", "2,016,214", "2,016,214"]]
    parts = tenants.tables[2]
    assert parts.header == ["Party", "upstream of fuels (A) g", "upstream of generation of purchased power (B) g",
                            "T&D losses (C) g", "Scope 3 cat. 3 g"]
    assert parts.rows == [["Alpha Compute Inc.", "0", "0", "265,181", "265,181"],
                          ["Beta Labs LLC", "0", "0", "88,393", "88,393"]]
    lines = {line.label: line.g_co2e for line in tenant_statement(emissions, "alpha").lines}
    assert lines["  of which T&D losses (C)"] == lines["Scope 3 category 3 (fuel- and energy-related)"] == 265_181
    assert lines["  of which upstream of fuels (A)"] == lines[
        "  of which upstream of generation of purchased power (B)"] == 0
    assert "of which T&amp;D losses (C)" in render_statement_html(tenant_statement(emissions, "beta"))
    beta = next(row for row in export_csv(emissions, "parties").splitlines() if row.startswith("beta,"))
    header = export_csv(emissions, "parties").splitlines()[0].split(",")
    values = dict(zip(header, beta.split(","), strict=True))
    assert (values["scope3_cat3_td_losses_g_co2e"], values["scope3_cat3_upstream_fuels_g_co2e"],
            values["scope3_cat3_upstream_power_g_co2e"], values["scope3_cat3_g_co2e"]) == ("88393", "0", "0", "88393")


def test_the_statement_pdf_carries_the_text_statement_line_for_line(emissions):
    """The PDF sets the text statement's lines (figures, method rows, 3.3 parts) and numbers its pages."""
    from esg.reporting import render_statement_pdf, render_statement_text, tenant_statement

    statement = tenant_statement(emissions, "alpha", "Alpha Compute Inc.")
    pdf = render_statement_pdf(statement, compress=False)
    assert pdf.startswith(b"%PDF")
    pdf_text = re.sub(r"\\(.)", r"\1", pdf.decode("latin-1"))
    lines = [line for line in render_statement_text(statement).splitlines() if line and len(line) < 120]
    assert any("grid average (fallback" in line and "16.000" in line and "18.000" in line for line in lines)
    assert any("of which T&D losses (C)" in line and "0.265" in line for line in lines)
    for line in lines:
        assert line in pdf_text, line
    assert "page 1 of 1" in pdf_text.replace(") Tj (", "")
