"""Per-tenant emissions statement: the figures a tenant sees on its invoice and in its own GHG inventory.

From the tenant's perspective the operator's Scope 1 (on-site turbines) and the grid supply are the tenant's
Scope 2, in both methods; the operator's upstream fuel emissions are the tenant's Scope 3 category 3.
Display converts grams to tonnes with three decimals (kilograms), half-even; the stored figures stay grams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from jinja2 import Environment, PackageLoader, select_autoescape

from common.errors import NotFound
from esg.reporting.party_methods import (
    SCOPE3_CAT3_PARTS,
    MethodRow,
    fallback_ref,
    method_rows,
    tenant_method_rows,
)
from esg.scopes import CycleEmissions, battery_shares

G_PER_TONNE = Decimal(1_000_000)
LINES = (
    ("scope2_location", "Scope 2, location-based", "scope2_location"),
    ("scope2_onsite_generation", "  of which on-site generation (operator Scope 1)", "scope2_location"),
    ("scope2_grid_location", "  of which grid electricity, location-based", "scope2_location"),
    ("scope2_market", "Scope 2, market-based (annual matching)", "scope2_market"),
    ("scope2_grid_market", "  of which grid electricity, market-based", "scope2_market"),
    ("scope2_market_hourly", "Scope 2, market-based (hourly matching)", "scope2_market"),
    ("scope3_cat3", "Scope 3 category 3 (fuel- and energy-related)", "scope3_cat3"),
    *((name, f"  of which {label}", "scope3_cat3") for name, label in SCOPE3_CAT3_PARTS),
    (
        "scope3_cat1_shared_services",
        "Scope 3 category 1 (operator services: refrigerants, backup tests)",
        "scope3_shared_services",
    ),
    ("scope3_cat8_shared_services", "Scope 3 category 8 (upstream leased assets)", "scope3_shared_services"),
)
# After which line the energy a tenant took from a battery (and its share of the battery's losses) is named, with
# the grams of the energy that charged it: part of the figure above, not added to it.
BATTERY_LINES = {
    "scope2_grid_location": ("scope2_location", "location-based"),
    "scope2_grid_market": ("scope2_market", "market-based"),
    "scope2_market_hourly": ("scope2_market_hourly", "market-based, hourly matching"),
}


@dataclass(frozen=True)
class StatementLine:
    label: str
    g_co2e: int
    quality: str

    @property
    def tonnes_text(self) -> str:
        return tonnes_text(self.g_co2e)


@dataclass(frozen=True)
class TenantStatement:
    tenant_id: str
    period_start_utc: str
    period_end_utc: str
    factor_edition: str
    gwp_set: str
    consumption_wh: int
    grid_wh: int
    carbon_free_wh: int
    cfe_score: str
    lines: list[StatementLine]
    factor_refs: list[str]
    disclosures: list[str]
    result_sha256: str
    tenant_name: str = ""
    version: int = 1
    version_note: str = "as settled"
    market_methods: list[MethodRow] = field(default_factory=list)
    """The tenant's own grid supply by market-based method: MWh (annual and hourly matching) and hours."""
    market_fallback_ref: str = ""
    shared_load_billed_wh: int = 0
    shared_load_methods: list[MethodRow] = field(default_factory=list)
    """How the campus's shared consumption (whose emissions follow the shared MWh billed) was priced."""


def tonnes_text(g_co2e: int) -> str:
    # Half-even to the kilogram for display only; the grams are what the ledger holds.
    return f"{(Decimal(g_co2e) / G_PER_TONNE).quantize(Decimal('0.001'), rounding=ROUND_HALF_EVEN):,}"


def tenant_statement(
    emissions: CycleEmissions, tenant_id: str, tenant_name: str = "", version: int = 1, version_note: str = "as settled"
) -> TenantStatement:
    figures = emissions.tenant_g_co2e.get(tenant_id)
    if figures is None:
        raise NotFound(f"tenant {tenant_id} has no emissions in this result")
    energy = emissions.tenant_energy_wh[tenant_id]
    batteries = battery_shares(emissions.storage, f"tenant:{tenant_id}")
    lines: list[StatementLine] = []
    for name, label, quality_key in LINES:
        quality = _quality(emissions, tenant_id, quality_key)
        lines.append(StatementLine(label, figures.get(name, 0), quality))
        if name in BATTERY_LINES:
            figure, method = BATTERY_LINES[name]
            lines += [StatementLine(f"  of which from battery {asset_id} ({share['energy_wh']:,} Wh taken or lost, "
                                    f"{method})", share[figure], quality)
                      for asset_id, share in batteries.items()]
    return TenantStatement(
        tenant_id,
        emissions.period_start_utc.isoformat(),
        emissions.period_end_utc.isoformat(),
        emissions.factor_edition,
        emissions.gwp_set,
        energy["consumption_wh"],
        energy["grid_wh"],
        energy["carbon_free_wh"],
        emissions.tenant_cfe_score[tenant_id],
        lines,
        emissions.factor_refs,
        emissions.disclosures,
        emissions.sha256(),
        tenant_name or tenant_id,
        version,
        version_note,
        tenant_method_rows(emissions, tenant_id),
        fallback_ref(emissions, f"tenant:{tenant_id}"),
        int(energy.get("shared_load_billed_wh", 0)),
        method_rows(emissions, "retained:shared") if energy.get("shared_load_billed_wh", 0) else [],
    )


def _quality(emissions: CycleEmissions, tenant_id: str, key: str) -> str:
    if key == "scope3_shared_services":
        return emissions.data_quality.get("campus_scope1_shared_services", "measured")
    return emissions.data_quality[f"tenant:{tenant_id}:{key}"]


def invoice_emissions_g_co2e(emissions: CycleEmissions, tenant_id: str) -> dict[str, int]:
    """The short form printed on an invoice: both Scope 2 methods and Scope 3 category 3, in grams."""
    figures = emissions.tenant_g_co2e[tenant_id]
    return {
        "Scope 2 location-based": figures["scope2_location"],
        "Scope 2 market-based": figures["scope2_market"],
        "Scope 3 cat. 3": figures["scope3_cat3"],
    }


def render_statement_text(statement: TenantStatement) -> str:
    width = max(len(line.label) for line in statement.lines)
    rows = [
        f"{line.label:<{width}}  {line.tonnes_text:>14} t CO2e  [{line.quality}]" for line in statement.lines
    ]
    header = [
        f"Emissions statement, {statement.tenant_name or statement.tenant_id}",
        f"Version {statement.version} ({statement.version_note})",
        f"Period {statement.period_start_utc} to {statement.period_end_utc} (UTC, end exclusive)",
        f"Factor edition {statement.factor_edition}, GWP {statement.gwp_set}",
        (
            f"Consumption {statement.consumption_wh:,} Wh, of which grid {statement.grid_wh:,} Wh; "
            f"hourly CFE score {statement.cfe_score or 'n/a'}"
        ),
        "",
    ]
    footer = ["", f"Result sha256 {statement.result_sha256}", *statement.disclosures]
    return "\n".join(header + rows + _method_text(statement) + footer) + "\n"


def _method_text(statement: TenantStatement) -> list[str]:
    if not statement.market_methods:
        return []
    lines = ["", f"Market-based method of your grid supply (below the certificates: {statement.market_fallback_ref})",
             f"{'Method':<60}  {'MWh annual':>14}  {'MWh hourly':>14}  {'Hours':>6}"]
    lines += [_method_line(row) for row in statement.market_methods]
    if statement.shared_load_methods:
        lines += ["", (f"Shared load billed to you: {statement.shared_load_billed_wh:,} Wh; the campus's shared "
                       "consumption was priced by:")]
        lines += [_method_line(row) for row in statement.shared_load_methods]
    return lines


def _method_line(row: MethodRow) -> str:
    return f"{row.label:<60}  {row.annual_mwh_text:>14}  {row.hourly_mwh_text:>14}  {row.hours:>6}"


_ENVIRONMENT = Environment(
    loader=PackageLoader("esg.reporting", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_STATEMENT_TEMPLATE = _ENVIRONMENT.get_template("tenant_statement.html.j2")


def render_statement_html(statement: TenantStatement) -> str:
    return _STATEMENT_TEMPLATE.render(s=statement)
