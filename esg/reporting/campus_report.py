"""Campus GHG report (HTML and PDF): scope totals with per-gas detail, tenants, instruments, charts, provenance.

Layout follows the Scope 2 Guidance reporting list: Scope 1, Scope 2 location- and market-based reported
separately and never netted, per-gas masses with the GWP set named, factor sources, instrument disclosures,
biogenic CO2 outside the scopes, exclusions. Every figure carries its data-quality flag.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment, PackageLoader, select_autoescape

from esg.reporting.charts import (
    CELL_PX,
    heatmap_cells,
    heatmap_svg,
    intensity_range,
    intensity_rgb,
    scope_bars,
    scope_chart_svg,
)
from esg.reporting.tenant_statement import tonnes_text
from esg.scopes import CycleEmissions, avoided_emissions_of_exports

# Autoescape everything: tenant names and factor refs are data, never markup.
_ENVIRONMENT = Environment(
    loader=PackageLoader("esg.reporting", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_ENVIRONMENT.filters["t"] = tonnes_text
_TEMPLATE = _ENVIRONMENT.get_template("campus_report.html.j2")


def campus_report_html(emissions: CycleEmissions, campus_id: str) -> str:
    return _TEMPLATE.render(
        e=emissions,
        campus_id=campus_id,
        bars=scope_bars(emissions),
        scope_svg=scope_chart_svg(scope_bars(emissions)),
        heatmap=heatmap_svg(heatmap_cells(emissions)),
        sha=emissions.sha256(),
        avoided=avoided_emissions_of_exports(emissions) if emissions.energy_wh["export_wh"] else None,
    )


def campus_report_pdf(emissions: CycleEmissions, campus_id: str) -> bytes:
    """A one-document PDF: scope table, bar chart, heatmap, tenants, provenance (Helvetica, latin-1 text)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    _line(pdf, f"Greenhouse gas report: campus {campus_id}", 8)
    pdf.set_font("Helvetica", "", 9)
    _line(
        pdf,
        f"{emissions.period_start_utc.isoformat()} to {emissions.period_end_utc.isoformat()} (UTC); "
        f"eGRID {emissions.campus_egrid_subregion}; edition {emissions.factor_edition}; GWP {emissions.gwp_set}",
    )
    _scope_section(pdf, emissions)
    _heatmap_section(pdf, emissions)
    _tenant_section(pdf, emissions)
    _provenance_section(pdf, emissions)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, height: float = 5) -> None:
    pdf.multi_cell(
        0, height, text.encode("latin-1", "replace").decode("latin-1"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _scope_section(pdf: FPDF, emissions: CycleEmissions) -> None:
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, "Scopes (t CO2e, data quality)", 7)
    pdf.set_font("Helvetica", "", 9)
    bars = scope_bars(emissions)
    largest = max((bar.g_co2e for bar in bars), default=0) or 1
    for bar in bars:
        y = pdf.get_y()
        pdf.cell(50, 6, bar.label)
        pdf.set_fill_color(74, 111, 165)
        pdf.rect(62, y + 1, max(0.2, 90 * bar.g_co2e / largest), 4, style="F")
        pdf.set_x(155)
        pdf.cell(0, 6, f"{tonnes_text(bar.g_co2e)} ({bar.quality})", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for name, grams in emissions.scope3_cat3_g_co2e.items():
        _line(pdf, f"  cat. 3 {name}: {tonnes_text(grams)} t")
    _line(
        pdf,
        f"Scope 1 without delivered energy (passed to tenants as Scope 3): "
        f"{tonnes_text(emissions.campus_scope1_shared_services_g_co2e)} t",
    )
    _line(
        pdf,
        f"Biogenic CO2 outside the scopes: {tonnes_text(emissions.campus_biogenic_co2_g)} t; Scope 1 share of "
        f"exports (included, not netted): {tonnes_text(emissions.campus_scope1_exported_g_co2e)} t",
    )
    for figure, gases in emissions.gases_g.items():
        _line(pdf, f"{figure} per gas (g): " + ", ".join(f"{gas} {grams:,}" for gas, grams in gases.items()))


def _heatmap_section(pdf: FPDF, emissions: CycleEmissions) -> None:
    cells = heatmap_cells(emissions)
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, "Hourly emissions intensity (g CO2e/kWh; rows UTC days, columns UTC hours)", 7)
    days = sorted({cell.day for cell in cells})
    low, high = intensity_range(cells)
    size_mm = CELL_PX * 0.3
    if pdf.get_y() + len(days) * size_mm > pdf.h - 20:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_font("Helvetica", "", 6)
    for row, day in enumerate(days):
        pdf.text(10, top + row * size_mm + size_mm * 0.8, day.isoformat())
    for cell in cells:
        pdf.set_fill_color(*intensity_rgb(cell.intensity_g_per_kwh, low, high))
        pdf.rect(
            30 + cell.hour * size_mm,
            top + days.index(cell.day) * size_mm,
            size_mm * 0.9,
            size_mm * 0.9,
            style="F",
        )
    pdf.set_y(top + len(days) * size_mm + 2)
    pdf.set_font("Helvetica", "", 8)
    _line(pdf, f"Colour scale {low} (light) to {high} (dark red) g CO2e/kWh; grey = no load.")


def _tenant_section(pdf: FPDF, emissions: CycleEmissions) -> None:
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, "Tenants (t CO2e): Scope 2 location / market / market hourly / Scope 3 cat. 3; CFE score", 7)
    pdf.set_font("Helvetica", "", 8)
    for tenant, f in emissions.tenant_g_co2e.items():
        quality = emissions.data_quality[f"tenant:{tenant}:scope2_location"]
        _line(
            pdf,
            f"{tenant}: {tonnes_text(f['scope2_location'])} / {tonnes_text(f['scope2_market'])} / "
            f"{tonnes_text(f['scope2_market_hourly'])} / {tonnes_text(f['scope3_cat3'])}; "
            f"CFE {emissions.tenant_cfe_score[tenant] or 'n/a'}; quality {quality}",
        )
    for why, f in emissions.retained_g_co2e.items():
        _line(
            pdf,
            f"operator ({why}): {tonnes_text(f['scope2_location'])} / {tonnes_text(f['scope2_market'])} / "
            f"{tonnes_text(f['scope2_market_hourly'])} / {tonnes_text(f['scope3_cat3'])}",
        )


def _provenance_section(pdf: FPDF, emissions: CycleEmissions) -> None:
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, "Methods and provenance", 7)
    pdf.set_font("Helvetica", "", 7)
    notes: list[Any] = [f"{k}: {v}" for k, v in emissions.conventions.items()]
    notes += emissions.disclosures + [f"Excluded: {n}" for n in emissions.exclusions]
    notes += [f"Factor {ref}" for ref in emissions.factor_refs]
    notes.append(
        f"Interval file sha256 {emissions.inputs['intervals_file_sha256']}; result sha256 {emissions.sha256()}"
    )
    for note in notes:
        _line(pdf, str(note), 4)
