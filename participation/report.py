"""The shadow participation report: one model (from the recorded cycle step `shadow`), rendered as the staff page
and as PDF (fpdf2). Money shown in dollars to the cent (half to even) from exact micro-USD; energy in MWh to the
Wh; emissions in t CO2e to the gram."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from common.errors import BadInput

PROGRAM_NAMES = {"export": "Export of spare on-site output", "economic_dr": "Economic demand response",
                 "coincident_peak": "Coincident-peak charge avoidance",
                 "storage_arbitrage": "Battery energy arbitrage", "storage_peak_shaving": "Battery peak shaving",
                 "storage_coincident_peak": "Battery coincident-peak discharge"}
NOT_COUNTED = " (alternative use, not counted)"
BOUND_ROWS_MAX = 200  # the report lists the first ones; the recorded step has all


def usd_text(micros: int) -> str:
    cents = (Decimal(micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return f"{'-' if cents < 0 else ''}${abs(cents) / 100:,.2f}"


def mwh_text(energy_wh: int) -> str:
    return f"{Decimal(energy_wh) / 1_000_000:,.6f} MWh"


def tonnes_text(grams: int) -> str:
    return f"{Decimal(grams) / 1_000_000:,.6f} t CO2e"


@dataclass(frozen=True)
class ShadowReport:
    title: str
    subtitle: str
    status: str
    note: str
    header: tuple[str, ...]
    program_rows: tuple[tuple[str, ...], ...]
    total_row: tuple[str, ...]
    bound_rows: tuple[tuple[str, str, str, str], ...]  # interval start, program, rules, reasons
    bound_count: int
    tenant_rows: tuple[tuple[str, str], ...]  # tenant, bill effect
    rules_version: str
    footer: str


def shadow_report(cycle_id: str, recorded: Mapping[str, Any]) -> ShadowReport:
    """The report model of a recorded `shadow` step (a campus without `[market]` gets a report saying so)."""
    status = str(recorded.get("status", ""))
    header = ("Program", "Revenue", "Avoided cost", "Cost", "Net", "Energy", "Emissions")
    if status != "computed":
        return ShadowReport(f"Shadow market participation - {cycle_id}", "", status,
                            str(recorded.get("reason", "not computed")), header, (), (), (), 0, (), "", cycle_id)
    try:
        programs = tuple((PROGRAM_NAMES.get(p["program"], p["program"]) + ("" if p.get("counted", True)
                                                                            else NOT_COUNTED),
                          usd_text(p["revenue_usd_micros"]),
                          usd_text(p["avoided_cost_usd_micros"]), usd_text(p["cost_usd_micros"]),
                          usd_text(p["net_usd_micros"]), mwh_text(p["energy_wh"]), tonnes_text(p["emissions_g"]))
                         for p in recorded["programs"])
        counted = [p for p in recorded["programs"] if p.get("counted", True)]
        total = ("Total", *(usd_text(sum(p[key] for p in counted)) for key in
                            ("revenue_usd_micros", "avoided_cost_usd_micros", "cost_usd_micros", "net_usd_micros")),
                 mwh_text(sum(p["energy_wh"] for p in counted)),
                 tonnes_text(sum(p["emissions_g"] for p in counted)))
        bound = tuple((b["interval_start_utc"], b["program"], ", ".join(b["rules"]), "; ".join(b["reasons"]))
                      for b in recorded["bound_intervals"])
        tenants = tuple((tenant, usd_text(micros)) for tenant, micros in
                        sorted(recorded["tenant_bill_effect_usd_micros"].items()))
        subtitle = (f"Campus {recorded['campus_id']}, node {recorded['node']}, {recorded['period_start_utc']} to "
                    f"{recorded['period_end_utc']} (UTC), {recorded['interval_minutes']}-minute intervals")
        version = str(recorded["rules_version"])
    except (KeyError, TypeError) as missing:
        raise BadInput(cycle_id, None, "shadow", f"the recorded step lacks {missing}") from None
    note = ("What the campus would have earned in its ISO's markets under its [market] guardrails, from the metered "
            "data its invoices used. Memo figures (ledger asset USD_SHADOW/6): never billed.")
    return ShadowReport(f"Shadow market participation - {cycle_id}", subtitle, status, note, header, programs, total,
                        bound[:BOUND_ROWS_MAX], len(bound), tenants, version,
                        f"{cycle_id} - rules version {version}")


def shadow_report_pdf(report: ShadowReport, compress: bool = True) -> bytes:
    """The same model as PDF (Helvetica, latin-1 text); `compress=False` keeps the text readable for tests."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    _line(pdf, report.title, 8)
    pdf.set_font("Helvetica", "", 9)
    if report.subtitle:
        _line(pdf, report.subtitle)
    _line(pdf, report.note)
    if report.status != "computed":
        return bytes(pdf.output())
    _heading(pdf, "Programs")
    _table(pdf, report.header, (*report.program_rows, report.total_row))
    _heading(pdf, "Effect on each tenant's bill")
    _table(pdf, ("Tenant", "Bill effect"), report.tenant_rows)
    _heading(pdf, f"Intervals where a guardrail bound ({report.bound_count})")
    if report.bound_rows:
        _table(pdf, ("Interval start (UTC)", "Program", "Rules", "Reasons"), report.bound_rows)
    else:
        _line(pdf, "None.")
    _heading(pdf, "Rules version")
    _line(pdf, report.rules_version)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _line(pdf: FPDF, text: str, height: float = 5) -> None:
    pdf.multi_cell(0, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, text, 7)
    pdf.set_font("Helvetica", "", 8)


def _table(pdf: FPDF, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> None:
    pdf.set_font("Helvetica", "", 7)
    with pdf.table(text_align="LEFT", line_height=3.5) as grid:
        head = grid.row()
        for name in header:
            head.cell(_latin1(name))
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(_latin1(value))
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8)
