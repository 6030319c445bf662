"""Fuel in billing units and a supplier heating value, worked by hand from EPA Hub 2025 Table 1 natural gas
(0.001026 MMBtu/scf, 53.06 kg CO2, 1.0 g CH4, 0.10 g N2O per MMBtu) and DESNZ 2024 distillate via Table 1
No. 2 (0.138 MMBtu/gal, 73.96 kg, 3.0 g, 0.60 g), AR5 GWPs 28 and 265."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from esg.errors import EmissionsInputInvalid
from esg.factors import FactorOverride, load_factor_library
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions, scope1_from_fuel_quantity

EDITION = load_factor_library().edition("wl-2025.1")
DAY = date(2025, 7, 1)
SUPPLIER_HHV = FactorOverride(
    "ov-hhv",
    "FUEL1",
    "supplier_heating_value",
    "heat_content_mmbtu_per_scf",
    Decimal("0.00105"),
    date(2025, 1, 1),
    None,
    "gas supplier statement",
    "July chromatograph",
)


def test_one_million_scf_at_the_default_heat_content():
    """1,000,000 scf x 0.001026 = 1,026 MMBtu: 54,439,560 g CO2 + 28 x 1,026 + 265 x 102.6 = 54,495,477 g CO2e.

    (The Hub's rounded per-scf factor would give 0.05444 kg x 1,000,000 = 54,440,000 g CO2: the mmBtu path
    is the one used.)"""
    result = scope1_from_fuel_quantity(Decimal(1_000_000), "scf", "HHV", "natural-gas", EDITION, DAY)
    assert result.heat_input_mmbtu_hhv == Decimal("1026.000000")
    assert result.masses.co2_g == Decimal(1026) * Decimal("53.06") * 1000 == Decimal(54439560)
    assert result.co2e_g == 54_439_560 + 28 * 1026 + int(Decimal(265) * Decimal("102.6")) == 54_495_477


def test_a_supplier_heating_value_replaces_the_default():
    """At 0.00105 MMBtu/scf: 1,050 MMBtu -> 55,713,000 + 29,400 + 27,825 = 55,770,225 g CO2e, override referenced."""
    result = scope1_from_fuel_quantity(
        Decimal(1_000_000),
        "scf",
        "HHV",
        "natural-gas",
        EDITION,
        DAY,
        meter_id="FUEL1",
        overrides=[SUPPLIER_HHV],
    )
    assert result.heat_input_mmbtu_hhv == Decimal("1050.00000")
    assert result.co2e_g == 55_713_000 + 29_400 + 27_825 == 55_770_225
    assert "override/ov-hhv/supplier_heating_value/heat_content_mmbtu_per_scf" in result.refs


def test_diesel_gallons_and_therms():
    """120 gal diesel: 16.56 MMBtu -> 1,224,777.6 g CO2 + 28 x 49.68 + 265 x 9.936 = 1,228,801.68 -> 1,228,802.
    1,000 therms = 100 MMBtu of gas -> 5,311,450 g."""
    diesel = scope1_from_fuel_quantity(
        Decimal(120), "gallon", "HHV", "distillate-fuel-oil-no-2", EDITION, DAY
    )
    assert diesel.masses.co2_g == Decimal("1224777.600")
    assert diesel.co2e_g_exact == Decimal("1224777.6") + 28 * Decimal("49.68") + 265 * Decimal("9.936")
    assert diesel.co2e_g == 1_228_802
    therms = scope1_from_fuel_quantity(Decimal(1000), "therm", "HHV", "natural-gas", EDITION, DAY)
    assert therms.co2e_g == 5_311_450
    with pytest.raises(EmissionsInputInvalid, match="per gallon"):
        scope1_from_fuel_quantity(Decimal(1), "gallon", "HHV", "natural-gas", EDITION, DAY)


def test_cycle_rescales_a_volume_metered_fuel_meter_by_the_supplier_heating_value(intervals_file):
    """Ingest converted at 0.001026; supplier says 0.00105: 100 MMBtu becomes 100 x 0.00105/0.001026 MMBtu."""
    start = datetime(2025, 7, 1, tzinfo=UTC)
    uri = intervals_file([("FUEL1", start, 60, 29_307_107, 0)])
    options = EmissionOptions(overrides=[SUPPLIER_HHV], volume_metered_fuel_meter_ids=frozenset({"FUEL1"}))
    result = compute_cycle_emissions(
        uri, [MeterRef("FUEL1", "fuel")], "ERCT", start, start + timedelta(hours=1), options=options
    )
    mmbtu = Decimal(100) * Decimal("0.00105") / Decimal("0.001026")
    exact_g = mmbtu * (Decimal("53.06") * 1000 + 28 * Decimal("1.0") + 265 * Decimal("0.10"))
    assert (
        result.campus_scope1_g_co2e == int(exact_g.to_integral_value()) == 5_435_694
    )  # 5,311,450 x 0.00105/0.001026
    assert "override/ov-hhv/supplier_heating_value/heat_content_mmbtu_per_scf" in result.factor_refs
    with pytest.raises(EmissionsInputInvalid, match="not a volume-metered"):
        compute_cycle_emissions(
            uri,
            [MeterRef("FUEL1", "fuel")],
            "ERCT",
            start,
            start + timedelta(hours=1),
            options=EmissionOptions(overrides=[SUPPLIER_HHV]),
        )
