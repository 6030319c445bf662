"""Campus GHG report (HTML and PDF): scope totals with per-gas detail, tenants, instruments, charts, provenance.

Layout follows the Scope 2 Guidance reporting list: Scope 1, Scope 2 location- and market-based reported
separately and never netted, per-gas masses with the GWP set named, factor sources, instrument disclosures,
biogenic CO2 outside the scopes, exclusions. Every figure carries its data-quality flag.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment, select_autoescape

from esg.avoided import avoided_emissions_of_exports
from esg.charts import (
    CELL_PX,
    heatmap_cells,
    heatmap_svg,
    intensity_range,
    intensity_rgb,
    scope_bars,
    scope_chart_svg,
)
from esg.result import CycleEmissions
from esg.statement import tonnes_text

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_ENVIRONMENT.filters["t"] = tonnes_text
_TEMPLATE = _ENVIRONMENT.from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GHG report {{ campus_id }}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td.num{text-align:right}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>
<h1>Greenhouse gas report: campus {{ campus_id }}</h1>
<p>{{ e.period_start_utc.isoformat() }} to {{ e.period_end_utc.isoformat() }} (UTC, end exclusive). eGRID subregion
{{ e.campus_egrid_subregion }}. Factor edition {{ e.factor_edition }}. GWP {{ e.gwp_set }} (100-year).</p>
<h2>Scopes</h2>
<table><thead><tr><th>Figure</th><th>t CO2e</th><th>Data quality</th></tr></thead><tbody>
{% for bar in bars %}<tr><td>{{ bar.label }}</td><td class="num">{{ bar.g_co2e | t }}</td><td>{{ bar.quality }}</td></tr>{% endfor %}
{% for name, grams in e.scope3_cat3_g_co2e.items() %}<tr><td>&nbsp;&nbsp;cat. 3 {{ name }}</td><td class="num">{{ grams | t }}</td><td>{{ e.data_quality["campus_scope3_cat3"] }}</td></tr>{% endfor %}
<tr><td>Scope 1 without delivered energy (refrigerants, backup tests), passed to tenants as Scope 3</td><td class="num">{{ e.campus_scope1_shared_services_g_co2e | t }}</td><td>{{ e.data_quality.get("campus_scope1_shared_services", "measured") }}</td></tr>
<tr><td>Biogenic CO2 (outside the scopes)</td><td class="num">{{ e.campus_biogenic_co2_g | t }}</td><td>{{ e.data_quality["campus_scope1"] }}</td></tr>
<tr><td>Scope 1 share of exported energy (included above, not netted)</td><td class="num">{{ e.campus_scope1_exported_g_co2e | t }}</td><td>{{ e.data_quality["campus_scope1"] }}</td></tr>
</tbody></table>
{% if avoided %}<h3>Avoided emissions of exports (optional information, not part of the inventory, never subtracted)</h3>
<p>{{ "{:,}".format(avoided.export_wh) }} Wh exported x non-baseload rate (<code>{{ avoided.rate_ref }}</code>, GWP {{ avoided.gwp_set }})
= {{ avoided.g_co2e | t }} t CO2e.</p>{% endif %}
<h3>Per gas (grams)</h3>
<table><thead><tr><th>Figure</th><th>CO2</th><th>CH4</th><th>N2O</th></tr></thead><tbody>
{% for figure, gases in e.gases_g.items() %}<tr><td>{{ figure }}</td><td class="num">{{ "{:,}".format(gases.get("CO2", 0)) }}</td>
<td class="num">{{ "{:,}".format(gases.get("CH4", 0)) }}</td><td class="num">{{ "{:,}".format(gases.get("N2O", 0)) }}</td></tr>{% endfor %}
</tbody></table>
<h2>Scope breakdown</h2>{{ scope_svg | safe }}
<h2>Hourly emissions intensity</h2>{{ heatmap | safe }}
<h2>Energy (Wh)</h2><table><tbody>{% for name, wh in e.energy_wh.items() %}<tr><td>{{ name }}</td><td class="num">{{ "{:,}".format(wh) }}</td></tr>{% endfor %}</tbody></table>
<h2>Tenants</h2>
<table><thead><tr><th>Tenant</th><th>Consumption Wh</th><th>Scope 2 location t</th><th>Scope 2 market t</th><th>Scope 2 market hourly t</th><th>Scope 3 cat. 3 t</th><th>Scope 3 shared services t</th><th>CFE score</th><th>Data quality (location / market)</th></tr></thead><tbody>
{% for tenant, f in e.tenant_g_co2e.items() %}<tr><td>{{ tenant }}</td><td class="num">{{ "{:,}".format(e.tenant_energy_wh[tenant]["consumption_wh"]) }}</td>
<td class="num">{{ f["scope2_location"] | t }}</td><td class="num">{{ f["scope2_market"] | t }}</td><td class="num">{{ f["scope2_market_hourly"] | t }}</td>
<td class="num">{{ f["scope3_cat3"] | t }}</td><td class="num">{{ (f.get("scope3_cat1_shared_services", 0) + f.get("scope3_cat8_shared_services", 0)) | t }}</td><td>{{ e.tenant_cfe_score[tenant] or "n/a" }}</td>
<td>{{ e.data_quality["tenant:" ~ tenant ~ ":scope2_location"] }} / {{ e.data_quality["tenant:" ~ tenant ~ ":scope2_market"] }}</td></tr>{% endfor %}
{% for why, f in e.retained_g_co2e.items() %}<tr><td>operator: {{ why }}</td><td></td><td class="num">{{ f["scope2_location"] | t }}</td>
<td class="num">{{ f["scope2_market"] | t }}</td><td class="num">{{ f["scope2_market_hourly"] | t }}</td><td class="num">{{ f["scope3_cat3"] | t }}</td><td class="num">{{ (f.get("scope3_cat1_shared_services", 0) + f.get("scope3_cat8_shared_services", 0)) | t }}</td><td></td><td></td></tr>{% endfor %}
</tbody></table>
<h2>Contractual instruments</h2>
{% if e.instruments %}<table><thead><tr><th>Claim</th><th>Lot</th><th>Type</th><th>Technology</th><th>Zone</th><th>Beneficiary</th><th>Claimed Wh</th><th>Applied annual Wh</th><th>Applied hourly Wh</th><th>Not applied</th></tr></thead><tbody>
{% for i in e.instruments %}<tr><td>{{ i.claim_id }}</td><td>{{ i.lot_id }}</td><td>{{ i.instrument }}</td><td>{{ i.technology }}</td><td>{{ i.zone }}</td><td>{{ i.beneficiary }}</td>
<td class="num">{{ "{:,}".format(i.claimed_wh) }}</td><td class="num">{{ "{:,}".format(i.applied_annual_wh) }}</td><td class="num">{{ "{:,}".format(i.applied_hourly_wh) }}</td><td>{{ i.not_applied_reason }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p>No contractual instruments claimed for this period.</p>{% endif %}
<h2>Methods, conventions and provenance</h2>
<ul>{% for k, v in e.conventions.items() %}<li>{{ k }}: {{ v }}</li>{% endfor %}</ul>
<h3>Disclosures</h3><ul>{% for n in e.disclosures %}<li>{{ n }}</li>{% endfor %}</ul>
<h3>Exclusions</h3><ul>{% for n in e.exclusions %}<li>{{ n }}</li>{% endfor %}{% if not e.exclusions %}<li>none</li>{% endif %}</ul>
<h3>Emission factors used</h3><ul>{% for r in e.factor_refs %}<li><code>{{ r }}</code></li>{% endfor %}</ul>
<p>Meter data: interval file sha256 <code>{{ e.inputs["intervals_file_sha256"] }}</code>; raw files
{% for s in e.inputs["source_sha256"] %}<code>{{ s }}</code> {% endfor %}. Result sha256 <code>{{ sha }}</code>.</p>
</body></html>"""
)


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
