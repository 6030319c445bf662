"""The campus GHG report as one model (sections of paragraphs and tables), rendered twice: HTML and PDF show the
same content because both walk the same model.

What an assurance provider looks for (GHG Protocol Corporate Standard ch. 9 and Scope 2 Guidance ch. 7): the
reporting entity and its boundary, the period, who prepared it and when, the version and what a restatement
changed, the base year, methods and factor editions with their sources, the quality criteria of every
contractual instrument, per-gas figures with the GWP set, and names of tenants rather than identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from esg.certificates import CertificateLot, retirement_key
from esg.factors import MarketRateRow, load_factor_library
from esg.reporting.charts import scope_bars
from esg.reporting.party_methods import fallback_ref, method_rows, scope3_cat3_parts
from esg.reporting.tenant_statement import tonnes_text
from esg.scopes import CycleEmissions


@dataclass(frozen=True)
class ReportContext:
    """Facts of the report that are not in the result: who, for whom, which version, which instruments."""

    campus_id: str
    campus_name: str
    legal_entity: str
    tenant_names: dict[str, str]
    preparer: str
    issue_date: date
    version: int
    versions: list[dict[str, Any]] = field(default_factory=list)
    base_year: int | None = None
    lots: dict[str, CertificateLot] = field(default_factory=dict)
    ledger_entries: dict[int, str] = field(default_factory=dict)  # version -> ledger idempotency key
    market_rates: list[MarketRateRow] = field(default_factory=list)  # the library rows the result names


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class CampusReport:
    title: str
    subtitle: str
    sections: list[Section]
    footer: str


def figure_label(name: str) -> str:
    """A figure's name for readers: `scope2_location` -> `Scope 2 location`, `c_td_losses` -> `C: td losses`."""
    words = name.split("_")
    if len(words[0]) == 1:
        return f"{words[0].upper()}: {' '.join(words[1:])}"
    head = words[0]
    if head.startswith("scope") and head[5:].isdigit():
        head = f"Scope {head[5:]}"
    return " ".join([head, *words[1:]])


def _grams(value: int) -> str:
    return f"{value:,}"


def build_campus_report(emissions: CycleEmissions, context: ReportContext) -> CampusReport:
    period = f"{emissions.period_start_utc.isoformat()} to {emissions.period_end_utc.isoformat()} (UTC, end exclusive)"
    sections = [
        _entity(emissions, context, period),
        _version(context),
        _totals(emissions),
        _gases(emissions),
        _tenants(emissions, context),
        _market_methods(emissions, context),
        _instruments(emissions, context),
        _methods(emissions, context),
        _provenance(emissions, context),
    ]
    return CampusReport(
        title=f"Greenhouse gas report: {context.campus_name}",
        subtitle=f"{context.legal_entity}; {period}; version {context.version}, issued {context.issue_date}",
        sections=sections,
        footer=f"{context.campus_name} GHG report, version {context.version}, result sha256 {emissions.sha256()[:16]}",
    )


def _entity(emissions: CycleEmissions, context: ReportContext, period: str) -> Section:
    base_year = context.base_year or emissions.period_start_utc.year
    base_note = "" if context.base_year else " (first period reported; no earlier base year declared)"
    return Section("Reporting entity, boundary and period", [
        f"Reporting entity: {context.legal_entity}, operator of {context.campus_name}.",
        ("Organizational boundary: operational control. The inventory covers every meter of the campus: on-site "
        "combustion (Scope 1), purchased grid electricity (Scope 2), fuel- and energy-related activities "
        "(Scope 3 category 3); tenants' shares follow the metered energy they were billed for."),
        f"Reporting period: {period}.",
        f"Base year: {base_year}{base_note}.",
        f"Prepared by {context.preparer}; issued {context.issue_date.isoformat()}.",
        (f"eGRID subregion {emissions.campus_egrid_subregion}; factor edition {emissions.factor_edition}; "
        f"GWP set {emissions.gwp_set} (100-year)."),
    ])


def _version(context: ReportContext) -> Section:
    rows = [
        [str(v["version"]), str(v.get("factor_edition", "")), str(v.get("reason", "")),
         str(v.get("ledger_idempotency_key") or "")]
        for v in context.versions
    ]
    note = ("This is the result as settled; it has not been restated." if context.version == 1 else
            f"This version {context.version} restates the earlier ones listed below; each restatement was posted "
            "to the ledger as an adjustment of the settlement.")
    return Section("Version and restatements", [note],
                   [Table(["Version", "Factor edition", "Reason", "Ledger entry"], rows)] if rows else [])


def _totals(emissions: CycleEmissions) -> Section:
    rows = [[bar.label, tonnes_text(bar.g_co2e), _grams(bar.g_co2e), bar.quality] for bar in scope_bars(emissions)]
    rows += [[f"  Scope 3 cat. 3 {figure_label(name)}", tonnes_text(grams), _grams(grams),
              emissions.data_quality["campus_scope3_cat3"]] for name, grams in emissions.scope3_cat3_g_co2e.items()]
    rows.append(["Scope 1 without delivered energy (passed to tenants as Scope 3)",
                 tonnes_text(emissions.campus_scope1_shared_services_g_co2e),
                 _grams(emissions.campus_scope1_shared_services_g_co2e),
                 emissions.data_quality.get("campus_scope1_shared_services", "measured")])
    rows.append(["Biogenic CO2 (outside the scopes)", tonnes_text(emissions.campus_biogenic_co2_g),
                 _grams(emissions.campus_biogenic_co2_g), emissions.data_quality["campus_scope1"]])
    return Section(
        "Emissions by scope",
        [("Scope 2 is reported location-based and market-based, side by side and never netted. Exports are not "
         f"subtracted (Scope 1 share of exports, included: {tonnes_text(emissions.campus_scope1_exported_g_co2e)} t).")],
        [Table(["Figure", "t CO2e", "g CO2e", "Data quality"], rows)],
    )


def _gases(emissions: CycleEmissions) -> Section:
    rows = [[figure_label(figure), gas, _grams(grams)] for figure, gases in emissions.gases_g.items()
            for gas, grams in gases.items()]
    tables = [Table(["Figure", "Gas", "grams"], rows)]
    if emissions.co2e_by_gwp_set_g:
        names = sorted({name for sets in emissions.co2e_by_gwp_set_g.values() for name in sets})
        tables.append(Table(["Figure", *[f"g CO2e {name}" for name in names]], [
            [figure_label(figure), *[_grams(sets.get(name, 0)) for name in names]]
            for figure, sets in emissions.co2e_by_gwp_set_g.items()
        ]))
    return Section(f"Per gas, GWP set {emissions.gwp_set}",
                   [f"Masses of each gas; CO2e uses the {emissions.gwp_set} 100-year GWPs."], tables)


def _tenants(emissions: CycleEmissions, context: ReportContext) -> Section:
    rows = []
    for tenant, figures in sorted(emissions.tenant_g_co2e.items()):
        rows.append([
            context.tenant_names.get(tenant, tenant), f"{emissions.tenant_energy_wh[tenant]['consumption_wh']:,}",
            tonnes_text(figures["scope2_location"]), tonnes_text(figures["scope2_market"]),
            tonnes_text(figures["scope3_cat3"]), emissions.tenant_cfe_score[tenant] or "n/a",
            emissions.data_quality[f"tenant:{tenant}:scope2_location"],
        ])
    for why, figures in sorted(emissions.retained_g_co2e.items()):
        rows.append([f"Operator ({why})", "", tonnes_text(figures["scope2_location"]),
                     tonnes_text(figures["scope2_market"]), tonnes_text(figures["scope3_cat3"]), "", ""])
    return Section("Tenants", ["Each tenant's share; the parts add up to the campus figures to the gram.",
                               ("Scope 2 of each party in grams, as the ledger holds them, and its Scope 3 category "
                                "3 in its parts (g CO2e), which add up to its total.")],
                   [Table(["Tenant", "Consumption Wh", "Scope 2 location t", "Scope 2 market t", "Scope 3 cat. 3 t",
                           "CFE score", "Data quality"], rows), _scope2_grams_table(emissions, context),
                    _scope3_parts_table(emissions, context)])


def _scope2_grams_table(emissions: CycleEmissions, context: ReportContext) -> Table:
    return Table(["Party", "Scope 2 location g", "Scope 2 market g", "Scope 2 market (hourly) g"], [
        [name, _grams(figures.get("scope2_location", 0)), _grams(figures.get("scope2_market", 0)),
         _grams(figures.get("scope2_market_hourly", 0))] for _party, name, figures in _party_names(emissions, context)])


def _party_names(emissions: CycleEmissions, context: ReportContext) -> list[tuple[str, str, dict[str, int]]]:
    """(party key, name for readers, figures): tenants by name, then the operator's retained parts."""
    parties = [(f"tenant:{tenant}", context.tenant_names.get(tenant, tenant), figures)
               for tenant, figures in sorted(emissions.tenant_g_co2e.items())]
    parties += [(f"retained:{why}", f"Operator ({why})", figures)
                for why, figures in sorted(emissions.retained_g_co2e.items())]
    return parties


def _scope3_parts_table(emissions: CycleEmissions, context: ReportContext) -> Table:
    parties = _party_names(emissions, context)
    labels = {name: label for _party, _name, figures in parties for name, label, _g in scope3_cat3_parts(figures)}
    rows = [[name, *[_grams(figures.get(part, 0)) for part in labels], _grams(figures.get("scope3_cat3", 0))]
            for _party, name, figures in parties]
    return Table(["Party", *[f"{label} g" for label in labels.values()], "Scope 3 cat. 3 g"], rows)


def _market_methods(emissions: CycleEmissions, context: ReportContext) -> Section:
    """Per tenant (and the operator's parts), the market-based method of its grid supply: MWh under annual and
    hourly matching and the hours it priced (Scope 2 Guidance Table 6.3, Quality Criterion 8 for the grid
    average)."""
    rows = []
    named = [(party, name) for party, name, _figures in _party_names(emissions, context)]
    # The shared consumption's grid supply keeps its own method rows after its figures moved to the tenants billed
    # for it (shared_load = "billed"); it is listed after the parties that hold figures.
    named += [(party, "Shared consumption (billed to tenants)" if party == "retained:shared" else
               f"Operator ({party.partition(':')[2]})") for party in sorted(emissions.market_methods)
              if party not in dict(named)]
    for party, name in named:
        for row in method_rows(emissions, party):
            rows.append([name, row.label, row.annual_mwh_text, row.hourly_mwh_text, str(row.hours),
                         fallback_ref(emissions, party) if row.method != "none" else ""])
    paragraphs = [("The market-based method of each party's grid supply: certificates and other contractual "
                   "instruments first, then a supplier-specific rate, then the residual mix, and the grid average "
                   "only where neither exists (disclosed). MWh under annual matching (2015 Guidance) and hourly "
                   "matching (draft revision), and the hours each method priced under hourly matching.")]
    if not rows:
        paragraphs.append("This result was computed before the method per hour was recorded.")
        return Section("Market-based Scope 2 method per tenant and hour", paragraphs)
    return Section("Market-based Scope 2 method per tenant and hour", paragraphs, [Table(
        ["Party", "Method", "MWh annual", "MWh hourly", "Hours", "Rate below the instruments"], rows)])


def _instruments(emissions: CycleEmissions, context: ReportContext) -> Section:
    if not emissions.instruments:
        return Section("Contractual instruments", [("No contractual instruments were claimed for this period; "
                                                   "market-based Scope 2 uses the rates disclosed under Methods.")])
    rows = []
    for item in emissions.instruments:
        lot = context.lots.get(str(item["lot_id"]))
        beneficiary = str(item["beneficiary"])
        name = (context.tenant_names.get(beneficiary.removeprefix("tenant:"), beneficiary)
                if beneficiary.startswith("tenant:") else "the operator")
        rows.append([
            str(item["instrument"]), lot.registry if lot else "", lot.serial_text() if lot and lot.has_serials() else "",
            f"{lot.vintage_start_utc.date()} to {lot.vintage_end_utc.date()}" if lot else "",
            lot.location if lot else "", str(item["technology"]), str(item.get("facility", "")), name,
            f"{int(str(item['claimed_wh'])):,}", f"{int(str(item['applied_annual_wh'])):,}",
            str(item["not_applied_reason"]) or "applied",
            retirement_key(context.campus_id, str(item["claim_id"])) if lot else "not in the registry",
        ])
    return Section("Contractual instruments and Scope 2 quality criteria", [
        ("QC1 attribute conveyed: each instrument carries its emission rate. QC2 one claim per MWh: serial ranges "
        "are registered once and each retirement is a ledger entry. QC3 retired on behalf of the named "
        "beneficiary. QC4 vintage: only consumption inside the vintage is covered. QC5 market boundary: "
        "instruments from another zone are not applied unless the zone is declared deliverable. QC6-7 supplier "
        "rates and residual mix as disclosed under Methods. An instrument not applied says why."),
    ], [Table(["Type", "Registry", "Serials", "Vintage", "Location", "Technology", "Facility", "Beneficiary",
               "Claimed Wh", "Applied Wh", "Status", "Retirement ledger entry"], rows)])


def _methods(emissions: CycleEmissions, context: ReportContext) -> Section:
    library = load_factor_library()
    edition = library.edition(emissions.factor_edition)
    rows = []
    for kind, table_id in sorted(edition.tables.items()):
        meta = library.tables[table_id]
        publication = meta.publication
        rows.append([kind, table_id, str(publication.get("title", "")), str(publication.get("publisher", "")),
                     str(publication.get("edition", "")), meta.confidence])
    paragraphs = [f"Factor edition {edition.edition_id}: {edition.description}"]
    paragraphs += [f"{name}: {value}" for name, value in emissions.conventions.items()]
    paragraphs += [f"Disclosure: {note}" for note in emissions.disclosures]
    paragraphs += [f"Excluded: {note}" for note in emissions.exclusions] or ["Exclusions: none."]
    tables = [Table(["Kind", "Table", "Title", "Publisher", "Edition", "Confidence"], rows)]
    if context.market_rates:
        # Supplier rates, residual mixes and grid upstream factors are not in the published files: their rows.
        tables.append(Table(["Market rate", "Kind", "Zone", "g CO2e/MWh", "Publisher", "Edition", "Valid", "Supplier"], [
            [rate.ref, rate.kind, rate.zone, format(rate.g_co2e_per_mwh, ",f"), rate.source, rate.edition,
             rate.validity_text(), rate.supplier or ""] for rate in sorted(context.market_rates, key=lambda r: r.ref)]))
    return Section("Methods, factor editions and sources", paragraphs, tables)


def _provenance(emissions: CycleEmissions, context: ReportContext) -> Section:
    return Section("Evidence", [
        f"Meter data: interval file sha256 {emissions.inputs['intervals_file_sha256']}; raw files "
        + ", ".join(str(s) for s in emissions.inputs["source_sha256"]) + ".",
        f"Result sha256 {emissions.sha256()}; factor refs used: " + ", ".join(emissions.factor_refs) + ".",
        ("The evidence package holds the interval data, the factor rows and the ledger inclusion proofs needed to "
        "recompute every figure."),
    ])
