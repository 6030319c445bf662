"""Campus GHG report (HTML and PDF): scope totals with per-gas detail, tenants, instruments, charts, provenance.

Layout follows the Scope 2 Guidance reporting list: Scope 1, Scope 2 location- and market-based reported
separately and never netted, per-gas masses with the GWP set named, factor sources, instrument disclosures,
biogenic CO2 outside the scopes, exclusions. Every figure carries its data-quality flag.
"""

from __future__ import annotations

import re
from datetime import date

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
from esg.reporting.report_model import ReportContext, Table, build_campus_report
from esg.reporting.tenant_statement import tonnes_text
from esg.scopes import CycleEmissions, avoided_emissions_of_exports

# Autoescape everything: tenant names and factor refs are data, never markup.
_ENVIRONMENT = Environment(
    loader=PackageLoader("esg.reporting", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_ENVIRONMENT.filters["t"] = tonnes_text
_NUMBER = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?$")
_ENVIRONMENT.tests["number"] = lambda value: bool(_NUMBER.match(str(value)))
_TEMPLATE = _ENVIRONMENT.get_template("campus_report.html.j2")


def report_context(context: ReportContext | str) -> ReportContext:
    """A context as given, or the bare one for a campus id (names unknown: the ids stand in for them)."""
    if isinstance(context, ReportContext):
        return context
    return ReportContext(context, context, context, {}, "wattledger", date.today(), 1)


def campus_report_html(emissions: CycleEmissions, context: ReportContext | str) -> str:
    """The report model as HTML, with the scope chart and the hourly heatmap; print CSS numbers the pages."""
    report = build_campus_report(emissions, report_context(context))
    return _TEMPLATE.render(
        r=report,
        scope_svg=scope_chart_svg(scope_bars(emissions)),
        heatmap=heatmap_svg(heatmap_cells(emissions)),
        avoided=avoided_emissions_of_exports(emissions) if emissions.energy_wh["export_wh"] else None,
    )


class _NumberedPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(0, 5, _latin1(f"{self.footer_text} - page {self.page_no()} of {{nb}}"), align="C")


def campus_report_pdf(emissions: CycleEmissions, context: ReportContext | str, compress: bool = True) -> bytes:
    """The same report model as PDF (Helvetica, latin-1 text), every page numbered 'page n of N'.

    `compress=False` leaves the page streams readable (tests compare the text with the HTML's)."""
    report = build_campus_report(emissions, report_context(context))
    pdf = _NumberedPdf(orientation="P", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.footer_text = report.footer
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    _line(pdf, report.title, 8)
    pdf.set_font("Helvetica", "", 9)
    _line(pdf, report.subtitle)
    for section in report.sections:
        pdf.set_font("Helvetica", "B", 11)
        _line(pdf, section.title, 7)
        pdf.set_font("Helvetica", "", 8)
        for paragraph in section.paragraphs:
            _line(pdf, paragraph, 4)
        for table in section.tables:
            _table(pdf, table)
    _chart_section(pdf, emissions)
    _heatmap_section(pdf, emissions)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("Helvetica", "", 6 if len(table.header) > 6 else 7)
    with pdf.table(text_align="LEFT", line_height=3.5) as grid:
        head = grid.row()
        for name in table.header:
            head.cell(_latin1(name))
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(_latin1(value))
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8)


def _line(pdf: FPDF, text: str, height: float = 5) -> None:
    pdf.multi_cell(0, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _chart_section(pdf: FPDF, emissions: CycleEmissions) -> None:
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, "Scope breakdown (t CO2e, data quality)", 7)
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
