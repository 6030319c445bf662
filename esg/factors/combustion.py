"""Scope 1 from fuel: heat input (MMBtu, HHV) times per-gas factors, with explicit overrides.

    CO2 [g] = MMBtu_HHV x kg CO2/MMBtu x 1000      CH4 [g] = MMBtu_HHV x g CH4/MMBtu      N2O likewise
All arithmetic is Decimal and exact; nothing is rounded here. Physical quantities (scf, therm, gallon, LHV)
convert to MMBtu HHV before the factor is applied: one path, mmBtu, as the EPA Hub advises, so that rounded
per-unit factors never mix with per-MMBtu ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from esg.errors import EmissionsInputInvalid
from esg.factors.library import CombustionFactor
from esg.factors.units import G_PER_KG, MMBTU_PER_THERM, WH_PER_MMBTU

OVERRIDE_KINDS = frozenset({"stack_test", "cems", "supplier_heating_value", "engine_methane"})
OVERRIDE_PARAMETERS = frozenset(
    {"co2_kg_per_mmbtu", "ch4_g_per_mmbtu", "n2o_g_per_mmbtu", "heat_content_mmbtu_per_scf"}
)
# DESNZ 2024 natural gas CO2 per kWh net CV / per kWh gross CV (rows 1_100_1004_7_2 / 1_100_1004_6_2):
# 0.20223 / 0.18253. The same gas is being described, so the ratio is the gross/net (HHV/LHV) energy ratio.
NATURAL_GAS_HHV_PER_LHV_DEFAULT = Decimal("0.20223") / Decimal("0.18253")


@dataclass(frozen=True)
class FactorOverride:
    """A measured replacement for one published factor on one meter, with who approved it and why."""

    override_id: str
    meter_id: str
    kind: str
    parameter: str
    value: Decimal
    valid_from: date
    valid_to: date | None
    approved_by: str
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in OVERRIDE_KINDS:
            raise EmissionsInputInvalid(
                "override", None, "kind", f"{self.kind!r} not in {sorted(OVERRIDE_KINDS)}"
            )
        if self.parameter not in OVERRIDE_PARAMETERS:
            raise EmissionsInputInvalid(
                "override", None, "parameter", f"{self.parameter!r} is not overridable"
            )
        if self.value < 0:
            raise EmissionsInputInvalid("override", None, "value", f"negative value {self.value}")
        if not self.approved_by.strip() or not self.reason.strip():
            raise EmissionsInputInvalid(
                "override", None, "approved_by", "an override needs who approved it and why"
            )

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class GasMassesG:
    """Exact per-gas masses in grams; `biogenic_co2_g` is reported outside the scopes."""

    co2_g: Decimal
    ch4_g: Decimal
    n2o_g: Decimal
    biogenic_co2_g: Decimal = Decimal(0)


@dataclass(frozen=True)
class EffectiveFactor:
    """The per-MMBtu factors used for one meter, and the refs of every published row or override behind them."""

    co2_kg_per_mmbtu: Decimal
    ch4_g_per_mmbtu: Decimal
    n2o_g_per_mmbtu: Decimal
    biogenic_co2: bool
    refs: tuple[str, ...]


def effective_factor(published: CombustionFactor, overrides: list[FactorOverride]) -> EffectiveFactor:
    """Published factors with each overridden parameter replaced; the last override per parameter wins."""
    values = {
        "co2_kg_per_mmbtu": published.co2_kg_per_mmbtu,
        "ch4_g_per_mmbtu": published.ch4_g_per_mmbtu,
        "n2o_g_per_mmbtu": published.n2o_g_per_mmbtu,
    }
    refs = [published.ref]
    for override in overrides:
        if override.parameter in values:
            values[override.parameter] = override.value
            refs.append(f"override/{override.override_id}/{override.kind}/{override.parameter}")
    return EffectiveFactor(
        values["co2_kg_per_mmbtu"],
        values["ch4_g_per_mmbtu"],
        values["n2o_g_per_mmbtu"],
        published.biogenic_co2,
        tuple(refs),
    )


def gas_masses_g(heat_input_mmbtu_hhv: Decimal, factor: EffectiveFactor) -> GasMassesG:
    co2_g = heat_input_mmbtu_hhv * factor.co2_kg_per_mmbtu * G_PER_KG
    ch4_g = heat_input_mmbtu_hhv * factor.ch4_g_per_mmbtu
    n2o_g = heat_input_mmbtu_hhv * factor.n2o_g_per_mmbtu
    if factor.biogenic_co2:
        return GasMassesG(Decimal(0), ch4_g, n2o_g, co2_g)
    return GasMassesG(co2_g, ch4_g, n2o_g)


def mmbtu_from_wh_thermal(heat_input_wh: int) -> Decimal:
    """Interval files carry fuel heat input as Wh thermal (HHV); 1 MMBtu = 293,071.07 Wh."""
    return Decimal(heat_input_wh) / WH_PER_MMBTU


def mmbtu_hhv_from_quantity(
    quantity: Decimal,
    unit: str,
    heating_value_basis: str,
    heat_content_mmbtu_per_unit: Decimal | None = None,
    hhv_per_lhv: Decimal | None = None,
) -> Decimal:
    """Heat input in MMBtu HHV from a fuel quantity in `scf`, `gallon`, `therm`, `MMBtu` or `Wh`.

    Volume units need a heat content (MMBtu per unit, on `heating_value_basis`); an LHV quantity needs the
    HHV/LHV ratio (`hhv_per_lhv`), because mixing bases is a 10 % error for natural gas.
    """
    if heating_value_basis not in ("HHV", "LHV"):
        raise EmissionsInputInvalid("fuel quantity", None, "heating_value_basis", f"{heating_value_basis!r}")
    if unit in ("scf", "gallon", "short ton"):
        if heat_content_mmbtu_per_unit is None:
            raise EmissionsInputInvalid("fuel quantity", None, "heat_content", f"{unit} needs a heat content")
        mmbtu = quantity * heat_content_mmbtu_per_unit
    elif unit == "therm":
        mmbtu = quantity * MMBTU_PER_THERM
    elif unit == "MMBtu":
        mmbtu = quantity
    elif unit == "Wh":
        mmbtu = quantity / WH_PER_MMBTU
    else:
        raise EmissionsInputInvalid("fuel quantity", None, "unit", f"unknown fuel unit {unit!r}")
    if heating_value_basis == "HHV":
        return mmbtu
    if hhv_per_lhv is None:
        raise EmissionsInputInvalid(
            "fuel quantity", None, "hhv_per_lhv", "an LHV quantity needs the HHV/LHV ratio"
        )
    return mmbtu * hhv_per_lhv


def co2e_g(masses: GasMassesG, gwp_ch4: Decimal, gwp_n2o: Decimal) -> Decimal:
    """CO2e of the in-scope gases (biogenic CO2 excluded)."""
    return masses.co2_g + gwp_ch4 * masses.ch4_g + gwp_n2o * masses.n2o_g
