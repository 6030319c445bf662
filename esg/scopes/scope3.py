"""Scope 3 category 3 (fuel- and energy-related activities), with the convention switches made explicit.

A upstream of purchased fuels       = fuel heat input (kWh, gross CV = HHV) x well-to-tank factor
B upstream of purchased electricity = grid kWh x upstream factor                  (switch: exclude | proxy)
C T&D losses                        = grid MWh x loss ratio x grid generation rate
      loss ratio = GGL / (1 - GGL)  (eGRID: consumption is downstream of losses)  | GGL  (switch)
      rate       = location-based grid average                                   | market-based (switch)
D generation of grid power resold to tenants (only if the operator reports as an energy retailer)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from esg.errors import EmissionsInputInvalid
from esg.factors import WH_PER_MWH, FactorEdition, UpstreamFactor

LOSS_RATIOS = ("ggl_over_one_minus_ggl", "ggl")
LOSS_BASES = ("location", "market")
UPSTREAM_ELECTRICITY = ("exclude", "desnz_uk_proxy", "library")
# DESNZ 2024 well-to-tank rows per kWh gross CV (HHV), by EPA Table 1 fuel.
WTT_ROW_BY_FUEL = {
    "natural-gas": "11_100_1004_6_1",
    "distillate-fuel-oil-no-2": "11_101_1012_6_1",
    "propane": "11_100_1007_6_1",
    "liquefied-petroleum-gases-lpg": "11_100_1003_6_1",
}
# DESNZ 2024 WTT of UK electricity: generation and T&D parts, kg CO2e per kWh.
UPSTREAM_ELECTRICITY_ROWS = ("15_917_4000_5_1", "15_918_4000_5_1")


@dataclass(frozen=True)
class Scope3Conventions:
    td_loss_ratio: str = "ggl_over_one_minus_ggl"
    td_loss_factor_basis: str = "location"
    upstream_electricity: str = "exclude"
    operator_resells_grid_power: bool = False
    # With `library`: the grid upstream factor of the campus's zone (g CO2e per MWh consumed) and its source.
    upstream_electricity_g_co2e_per_mwh: Decimal | None = None
    upstream_electricity_ref: str = ""

    def __post_init__(self) -> None:
        if self.upstream_electricity == "library" and (
            self.upstream_electricity_g_co2e_per_mwh is None or not self.upstream_electricity_ref
        ):
            raise EmissionsInputInvalid("scope 3 conventions", None, "upstream_electricity",
                                        "`library` needs a grid upstream rate and its reference")
        for name, value, allowed in (
            ("td_loss_ratio", self.td_loss_ratio, LOSS_RATIOS),
            ("td_loss_factor_basis", self.td_loss_factor_basis, LOSS_BASES),
            ("upstream_electricity", self.upstream_electricity, UPSTREAM_ELECTRICITY),
        ):
            if value not in allowed:
                raise EmissionsInputInvalid("scope 3 conventions", None, name, f"{value!r} not in {allowed}")

    def as_dict(self) -> dict[str, str]:
        return {
            "scope3_td_loss_ratio": self.td_loss_ratio,
            "scope3_td_loss_factor_basis": self.td_loss_factor_basis,
            "scope3_upstream_electricity": self.upstream_electricity,
            "scope3_operator_resells_grid_power": str(self.operator_resells_grid_power).lower(),
            **({"scope3_upstream_electricity_ref": self.upstream_electricity_ref}
               if self.upstream_electricity == "library" else {}),
        }


def wtt_factor(edition: FactorEdition, fuel_slug: str) -> UpstreamFactor | None:
    row_id = WTT_ROW_BY_FUEL.get(fuel_slug)
    return edition.upstream_factor(row_id) if row_id else None


def upstream_electricity_g_per_wh(
    edition: FactorEdition, conventions: Scope3Conventions
) -> tuple[Decimal, list[str]]:
    """kg CO2e per kWh equals g per Wh; zero (and no refs) when activity B is excluded."""
    if conventions.upstream_electricity == "exclude":
        return Decimal(0), []
    if conventions.upstream_electricity == "library":
        assert conventions.upstream_electricity_g_co2e_per_mwh is not None  # checked in __post_init__
        return conventions.upstream_electricity_g_co2e_per_mwh / WH_PER_MWH, [conventions.upstream_electricity_ref]
    factors = [edition.upstream_factor(row_id) for row_id in UPSTREAM_ELECTRICITY_ROWS]
    return sum((factor.kg_co2e_per_unit for factor in factors), Decimal(0)), [
        factor.ref for factor in factors
    ]


def td_loss_ratio(grid_gross_loss_fraction: Decimal, conventions: Scope3Conventions) -> Decimal:
    if conventions.td_loss_ratio == "ggl":
        return grid_gross_loss_fraction
    return grid_gross_loss_fraction / (1 - grid_gross_loss_fraction)
