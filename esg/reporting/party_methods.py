"""What each party's market-based Scope 2 rests on, and its Scope 3 category 3 in parts: the figures a tenant
statement, the campus report and the exports all show, from one place so they cannot differ.

The engine records per party (`CycleEmissions.market_methods`) the Wh of grid supply priced by each method under
annual and hourly matching, and the hourly method as runs of hours. Here each method becomes one row: Wh under
annual matching, Wh under hourly matching and the hours whose grid supply it priced (hourly matching). A method is
`instrument` (certificates and other contractual instruments), `supplier` (a supplier-specific rate),
`residual_mix`, `grid_average` (the fallback when neither exists, Quality Criterion 8), `instrument+<rate>` for an
hour only partly covered by granular certificates, and `none` for hours without grid supply.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from esg.factors import WH_PER_MWH
from esg.scopes import CycleEmissions

METHOD_LABELS = {
    "instrument": "certificates (contractual instruments)",
    "supplier": "supplier-specific rate",
    "residual_mix": "residual mix",
    "grid_average": "grid average (fallback: no supplier rate or residual mix)",
    "none": "no grid supply",
}
METHOD_ORDER = ("instrument", "supplier", "residual_mix", "grid_average")
SCOPE3_CAT3_PARTS = (
    ("scope3_cat3_upstream_fuels", "upstream of fuels (A)"),
    ("scope3_cat3_upstream_power", "upstream of generation of purchased power (B)"),
    ("scope3_cat3_td_losses", "T&D losses (C)"),
)
RESOLD_POWER = "scope3_cat3_resold_power"


@dataclass(frozen=True)
class MethodRow:
    """One method of one party: Wh it priced under annual and under hourly matching, hours it priced (hourly)."""

    method: str
    label: str
    annual_wh: int
    hourly_wh: int
    hours: int

    @property
    def annual_mwh_text(self) -> str:
        return mwh_text(self.annual_wh)

    @property
    def hourly_mwh_text(self) -> str:
        return mwh_text(self.hourly_wh)


def mwh_text(energy_wh: int) -> str:
    # Display only, half-even to the kWh; the Wh stay exact in the exports.
    return f"{(Decimal(energy_wh) / WH_PER_MWH).quantize(Decimal('0.001'), rounding=ROUND_HALF_EVEN):,}"


def method_label(method: str) -> str:
    if method.startswith("instrument+"):
        rest = method.removeprefix("instrument+")
        return f"partly certificates, the rest at the {METHOD_LABELS.get(rest, rest)}"
    return METHOD_LABELS.get(method, method)


def method_rows(emissions: CycleEmissions, party: str) -> list[MethodRow]:
    """The party's (`tenant:<id>` or `retained:<why>`) methods, certificates first, `none` last; [] for a result
    computed before methods were recorded."""
    recorded: dict[str, Any] = emissions.market_methods.get(party, {})
    annual: dict[str, int] = recorded.get("annual_wh", {})
    hourly: dict[str, int] = recorded.get("hourly_wh", {})
    hours: dict[str, int] = {}
    for _first_hour, count, method in recorded.get("hours", []):
        hours[method] = hours.get(method, 0) + int(count)
    methods = set(annual) | set(hourly) | set(hours)
    return [MethodRow(method, method_label(method), int(annual.get(method, 0)), int(hourly.get(method, 0)),
                      hours.get(method, 0))
            for method in sorted(methods, key=_method_rank)]


def _method_rank(method: str) -> tuple[int, str]:
    if method in METHOD_ORDER:
        return METHOD_ORDER.index(method), method
    return (len(METHOD_ORDER) + 1, method) if method == "none" else (len(METHOD_ORDER), method)


def tenant_method_rows(emissions: CycleEmissions, tenant_id: str) -> list[MethodRow]:
    return method_rows(emissions, f"tenant:{tenant_id}")


def fallback_ref(emissions: CycleEmissions, party: str) -> str:
    """The rate below the instruments the party's uncovered grid supply was priced at (a factor ref)."""
    return str(emissions.market_methods.get(party, {}).get("fallback_ref", ""))


def scope3_cat3_parts(figures: dict[str, int]) -> list[tuple[str, str, int]]:
    """(figure name, label, grams) of category 3's three parts for a party; they add up to its `scope3_cat3`.
    Category 3 D (grid power resold) stays with the operator, so it is listed only where it is not zero."""
    parts = [(name, label, figures.get(name, 0)) for name, label in SCOPE3_CAT3_PARTS]
    if figures.get(RESOLD_POWER, 0):
        parts.append((RESOLD_POWER, "grid power resold (D)", figures[RESOLD_POWER]))
    return parts
