"""Tenant statement, campus report (HTML with heatmap and scope chart, PDF) and CSV/Parquet exports.

The campus: 24 hours of 1 MWh grid import each, tenant alpha takes 0.75 MWh and beta 0.25 MWh every hour.
Expected grams come from ERCT 740.832 lb CO2e/MWh x 453.59237 g/lb worked in the test.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import NotFound
from esg.factors import DATA_DIR
from esg.reporting import (
    PARTY_SCHEMA,
    campus_report_html,
    campus_report_pdf,
    export_csv,
    export_parquet_bytes,
    invoice_emissions_g_co2e,
    render_statement_html,
    render_statement_text,
    tenant_statement,
    write_evidence_package,
)
from esg.scopes import MeterRef, carbon_ledger_postings, compute_cycle_emissions
from tests.pdf_text import pdf_text

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(days=1)
METERS = [
    MeterRef("GRID1", "grid_import"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
]
ERCT_G_PER_MWH = (Decimal("738.038") + 28 * Decimal("0.043") + 265 * Decimal("0.006")) * Decimal("453.59237")


@pytest.fixture
def result(intervals_file):
    rows = []
    for hour in range(24):
        start = START + timedelta(hours=hour)
        rows += [
            ("GRID1", start, 60, 1_000_000, 0),
            ("TA", start, 60, 750_000, 0),
            ("TB", start, 60, 250_000, 0),
        ]
    return compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", START, END)


def test_tenant_statement_shows_both_methods_with_quality_flags(result):
    """alpha: 24 x 0.75 x 336,035.74 g = 6,048,643.37 -> 6,048,643 g (largest remainder), 6.049 t; measured."""
    campus_g = int((24 * ERCT_G_PER_MWH).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert campus_g == 8_064_858
    statement = tenant_statement(result, "alpha")
    lines = {line.label.strip(): line for line in statement.lines}
    location = lines["Scope 2, location-based"]
    assert location.g_co2e == result.tenant_g_co2e["alpha"]["scope2_location"]
    assert abs(Decimal(location.g_co2e) - 24 * ERCT_G_PER_MWH * 3 / 4) < 1
    assert location.tonnes_text == "6.049"
    assert location.quality == "measured"
    assert lines["Scope 2, market-based (annual matching)"].quality == "default"
    text = render_statement_text(statement)
    assert "6.049 t CO2e  [measured]" in text
    assert "<td>Scope 2, location-based</td>" in render_statement_html(statement)
    assert invoice_emissions_g_co2e(result, "beta")["Scope 2 location-based"] == campus_g - location.g_co2e
    with pytest.raises(NotFound):
        tenant_statement(result, "gamma")


def test_campus_html_report_has_heatmap_scope_chart_and_provenance(result):
    """24 heatmap cells (one per UTC hour), one bar per scope figure, factor refs and the result hash."""
    html = campus_report_html(result, "c1")
    assert html.count("<rect") == 24 + 5
    assert "g CO2e/kWh" in html and "Emissions by scope" in html
    assert "epa-hub-2025/table6/ERCT" in html
    assert result.sha256() in html
    # Constant intensity: every hour is 336.0 g/kWh (the scale low and high are equal).
    assert "336.0 g/kWh" in html


def test_campus_pdf_report_is_a_pdf(result):
    """The PDF (fpdf2, core fonts) names the campus and prints the worked Scope 2 figure in t and g with its
    data quality: 24 MWh x 336,035.74 g/MWh = 8,064,857.8 -> 8,064,858 g."""
    pdf = campus_report_pdf(result, "c1")
    assert pdf.startswith(b"%PDF-")
    lines = pdf_text(pdf).splitlines()
    assert lines[0] == "Greenhouse gas report: c1"
    campus_g = int((24 * ERCT_G_PER_MWH).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    row = lines.index("Scope 2 location")
    assert lines[row + 1:row + 4] == [f"{Decimal(campus_g) / 10**6:.3f}", f"{campus_g:,}", "measured"]


def test_csv_and_parquet_exports_conserve_the_campus_figures(result):
    """Party rows add up to the campus location-based figure; Parquet has the declared schema and the same values."""
    rows = list(csv.DictReader(io.StringIO(export_csv(result, "parties"))))
    assert (
        sum(int(row["scope2_grid_location_g_co2e"]) for row in rows) == result.campus_scope2_location_g_co2e
    )
    assert {row["quality_scope2_location"] for row in rows} == {"measured"}
    table = pq.read_table(pa.BufferReader(export_parquet_bytes(result, "parties")))
    assert table.schema.equals(PARTY_SCHEMA, check_metadata=False)
    assert table.column("scope2_grid_location_g_co2e").to_pylist() == [
        int(row["scope2_grid_location_g_co2e"]) for row in rows
    ]
    hourly = list(csv.DictReader(io.StringIO(export_csv(result, "hourly"))))
    assert len(hourly) == 24
    assert sum(int(row["scope2_location_g_co2e"]) for row in hourly) == result.campus_scope2_location_g_co2e
    campus = {row["figure"]: row for row in csv.DictReader(io.StringIO(export_csv(result, "campus")))}
    assert int(campus["scope2_location"]["g_co2e"]) == result.campus_scope2_location_g_co2e
    assert campus["scope3_cat3"]["quality"] == "default"


def test_evidence_package_holds_result_reports_exports_factor_files_and_checksums(result, tmp_path):
    """Every file is listed in SHA256SUMS with its real hash; the factor files are the edition's, byte for byte."""
    folder = tmp_path / "evidence"
    names = write_evidence_package(result, "c1", folder)
    assert {"result.json", "report.html", "report.pdf", "parties.csv", "SHA256SUMS"} <= set(names)
    assert "factors/epa_ghg_hub_2025_table6_egrid2023_subregions.csv" in names
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    table = "epa_ghg_hub_2025_table1_stationary_combustion.csv"
    assert (folder / "factors" / table).read_bytes() == (DATA_DIR / table).read_bytes()
    assert (folder / "result.json").read_text() == result.to_json()
    with pytest.raises(FileExistsError):
        write_evidence_package(result, "c1", folder)


def test_the_report_discloses_co2e_under_every_gwp_set(result):
    """The grid figure under AR4/AR5/AR6 appears in the HTML (AR5 = the campus location-based figure)."""
    html = campus_report_html(result, "c1")
    sets = result.co2e_by_gwp_set_g["scope2_location"]
    assert sets["AR5"] == result.campus_scope2_location_g_co2e
    assert f'<td class="num">{sets["AR6"]:,}</td>' in html


def test_a_period_without_data_gives_zeros_no_legs_and_still_renders(intervals_file):
    """No intervals in the period: every figure is 0, no ledger legs, CFE undefined, reports render."""
    uri = intervals_file([("GRID1", END, 60, 1_000_000, 0)])  # the first hour after the period
    empty = compute_cycle_emissions(uri, METERS, "ERCT", START, END)
    assert (
        empty.campus_scope1_g_co2e,
        empty.campus_scope2_location_g_co2e,
        empty.campus_scope3_cat3_g_co2e,
    ) == (0, 0, 0)
    assert empty.tenant_g_co2e["alpha"]["scope2_location"] == 0
    assert empty.tenant_cfe_score["alpha"] == ""
    assert carbon_ledger_postings(empty, "c1") == []
    assert "<svg" in campus_report_html(empty, "c1")
    assert campus_report_pdf(empty, "c1").startswith(b"%PDF-")
