"""A tenant's emissions statement as PDF: the text rendering's lines, set in a fixed-width font, so the PDF carries
exactly what the text and HTML statements say (the same `TenantStatement`); pages numbered 'page n of N'."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from esg.reporting.tenant_statement import TenantStatement, render_statement_text

LINE_HEIGHT_MM = 3.6


class _NumberedPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(0, 5, f"{self.footer_text} - page {self.page_no()} of {{nb}}", align="C")


def render_statement_pdf(statement: TenantStatement, compress: bool = True) -> bytes:
    """`compress=False` leaves the page streams readable (tests compare the text with the text rendering)."""
    pdf = _NumberedPdf(orientation="P", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.footer_text = _latin1(f"Emissions statement, {statement.tenant_name}, version {statement.version}")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Courier", "", 7)
    for line in render_statement_text(statement).splitlines():
        # A long line (a disclosure) wraps at the page width; the others fit as they are.
        pdf.multi_cell(0, LINE_HEIGHT_MM, _latin1(line) or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
