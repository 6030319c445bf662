"""Scope 1 paths beyond a metered gas flow: heat rate, overrides with who and why, fuel units, LHV, biogenic CO2.

Expected values are worked by hand from EPA Hub 2025 Table 1 (natural gas 53.06 kg CO2, 1.0 g CH4, 0.10 g N2O
per MMBtu HHV; biodiesel 73.84 kg, 1.1 g, 0.11 g) and AR5 GWPs (28, 265).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from esg.errors import EmissionsInputInvalid
from esg.factors import FactorOverride, mmbtu_hhv_from_quantity
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
END = H0 + timedelta(hours=1)


def test_generation_with_a_heat_rate_gives_scope1_and_is_flagged_estimated(intervals_file):
    """2 MWh x 9.5 MMBtu/MWh = 19 MMBtu: 1,008,140 g CO2 + 28 x 19 g CH4 + 265 x 1.9 g N2O = 1,009,175.5 -> 1,009,176 (half-even)."""
    uri = intervals_file([("GEN2", H0, 60, 2_000_000, 0), ("TA", H0, 60, 2_000_000, 0)])
    meters = [MeterRef("GEN2", "generation"), MeterRef("TA", "tenant_consumption", "alpha")]
    options = EmissionOptions(heat_rate_mmbtu_per_mwh_by_meter={"GEN2": Decimal("9.5")})
    result = compute_cycle_emissions(uri, meters, "ERCT", H0, END, options=options)
    mmbtu = Decimal(2) * Decimal("9.5")
    exact_g = mmbtu * Decimal("53.06") * 1000 + 28 * mmbtu * Decimal("1.0") + 265 * mmbtu * Decimal("0.10")
    assert exact_g == Decimal("1009175.500")
    assert result.campus_scope1_g_co2e == 1_009_176
    assert result.tenant_g_co2e["alpha"]["scope2_location"] == 1_009_176
    assert result.data_quality["campus_scope1"] == "estimated"
    assert any("heat rate" in note for note in result.disclosures)


def test_engine_methane_override_replaces_the_generic_ch4_factor_and_is_referenced(intervals_file):
    """100 MMBtu with a 567 g CH4/MMBtu slip test: 5,306,000 + 28 x 56,700 + 265 x 10 = 6,896,250 g CO2e."""
    uri = intervals_file([("FUEL1", H0, 60, 29_307_107, 0)])
    override = FactorOverride(
        "ov-1",
        "FUEL1",
        "engine_methane",
        "ch4_g_per_mmbtu",
        Decimal(567),
        date(2025, 1, 1),
        None,
        "J. Rivera (environmental lead)",
        "manufacturer methane-slip test 2025-03, 4-stroke lean-burn",
    )
    result = compute_cycle_emissions(
        uri, [MeterRef("FUEL1", "fuel")], "ERCT", H0, END, options=EmissionOptions(overrides=[override])
    )
    assert result.campus_scope1_g_co2e == 5_306_000 + 28 * 56_700 + 265 * 10 == 6_896_250
    assert "override/ov-1/engine_methane/ch4_g_per_mmbtu" in result.factor_refs
    # With no consumption meter, the whole amount stays with the operator as unallocated.
    assert result.retained_g_co2e["unallocated"]["scope2_onsite_generation"] == 6_896_250


def test_an_override_without_who_and_why_is_refused():
    """Overrides must name who approved them and why."""
    with pytest.raises(EmissionsInputInvalid, match="who approved"):
        FactorOverride(
            "ov-2", "FUEL1", "stack_test", "co2_kg_per_mmbtu", Decimal(53), date(2025, 1, 1), None, "", "x"
        )


def test_biodiesel_co2_is_reported_outside_the_scopes(intervals_file):
    """10 MMBtu biodiesel: CO2 738,400 g is biogenic; Scope 1 keeps only 28 x 11 g CH4 + 265 x 1.1 g N2O, on 10.000001 MMBtu = 599.50006 -> 600."""
    uri = intervals_file(
        [("FUEL1", H0, 60, 2_930_711, 0)]
    )  # 10.0000 MMBtu: 2,930,710.7 Wh rounded to 2,930,711
    result = compute_cycle_emissions(
        uri,
        [MeterRef("FUEL1", "fuel")],
        "ERCT",
        H0,
        END,
        options=EmissionOptions(fuel_type_by_meter={"FUEL1": "biodiesel-100"}),
    )
    mmbtu = Decimal(2_930_711) / Decimal("293071.07")
    assert (
        result.campus_biogenic_co2_g == int((mmbtu * Decimal("73.84") * 1000).to_integral_value()) == 738_400
    )
    assert result.campus_scope1_g_co2e == 600
    assert result.gases_g["scope1"]["CO2"] == 0


def test_fuel_quantities_convert_to_mmbtu_hhv():
    """1,000 scf x 0.001026 = 1.026 MMBtu; 10 therms = 1 MMBtu; 100 MMBtu LHV x (0.20223/0.18253) HHV per LHV."""
    assert mmbtu_hhv_from_quantity(Decimal(1000), "scf", "HHV", Decimal("0.001026")) == Decimal("1.026")
    assert mmbtu_hhv_from_quantity(Decimal(10), "therm", "HHV") == Decimal(1)
    ratio = Decimal("0.20223") / Decimal("0.18253")
    assert mmbtu_hhv_from_quantity(Decimal(100), "MMBtu", "LHV", hhv_per_lhv=ratio) == Decimal(100) * ratio
    with pytest.raises(EmissionsInputInvalid, match="HHV/LHV"):
        mmbtu_hhv_from_quantity(Decimal(100), "MMBtu", "LHV")
    with pytest.raises(EmissionsInputInvalid, match="heat content"):
        mmbtu_hhv_from_quantity(Decimal(100), "scf", "HHV")
