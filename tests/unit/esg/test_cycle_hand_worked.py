"""A two-hour campus worked by hand: Scope 1 from a gas meter, eGRID Scope 2, allocation, Scope 3 cat. 3, legs.

Every expected figure is computed in this file from the published factors written out as literals (EPA Hub 2025
Table 1 natural gas, Table 6 ERCT, AR5/AR6 GWPs, DESNZ 2024 WTT natural gas), with Decimal arithmetic and the
rounding the code promises (half-even once per campus figure, largest remainder for the parts).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from esg.errors import EmissionsInputInvalid, FactorMissing
from esg.reporting import campus_report_html
from esg.scopes import (
    CycleEmissions,
    EmissionOptions,
    MeterRef,
    avoided_emissions_of_exports,
    carbon_ledger_postings,
    compute_cycle_emissions,
)

H0 = datetime(2025, 7, 1, 0, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
END = H0 + timedelta(hours=2)
QUARTER = timedelta(minutes=15)

# Hand-worked constants, units by name.
WH_PER_MMBTU = Decimal("293071.07")
G_PER_LB = Decimal("453.59237")
FUEL_WH_THERMAL = 29_307_107  # = 100 MMBtu x 293,071.07 Wh/MMBtu
ERCT_CO2_LB_PER_MWH, ERCT_CH4_LB_PER_MWH, ERCT_N2O_LB_PER_MWH = (
    Decimal("738.038"),
    Decimal("0.043"),
    Decimal("0.006"),
)
ERCT_GGL = Decimal("0.042")
WTT_NATURAL_GAS_KG_PER_KWH_GROSS = Decimal("0.03021")

METERS = [
    MeterRef("FUEL1", "fuel"),
    MeterRef("GEN1", "generation"),
    MeterRef("GRID1", "grid_import"),
    MeterRef("EXP1", "export"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
    MeterRef("SH1", "shared_consumption"),
]


def half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def quarters(
    meter_id: str, hour: datetime, energy_wh_per_hour: int
) -> list[tuple[str, datetime, int, int, int]]:
    """Four 15-minute intervals that add up to the hour's energy (the hourly bucketing is part of the test)."""
    each = energy_wh_per_hour // 4
    return [(meter_id, hour + i * QUARTER, 15, each, 0) for i in range(4)]


def campus_rows() -> list[tuple[str, datetime, int, int, int]]:
    rows = [("FUEL1", H0, 60, FUEL_WH_THERMAL, 0), ("FUEL1", H1, 60, 0, 0)]
    # Hour 0: 10 MWh generated, 2 MWh exported, 1 MWh imported; alpha 6 MWh, beta 3 MWh, shared 0.
    for meter_id, energy_wh in (
        ("GEN1", 10_000_000),
        ("EXP1", 2_000_000),
        ("GRID1", 1_000_000),
        ("TA", 6_000_000),
        ("TB", 3_000_000),
        ("SH1", 0),
    ):
        rows += quarters(meter_id, H0, energy_wh)
    # Hour 1: turbine off; 3 MWh imported; alpha, beta and shared 1 MWh each.
    for meter_id, energy_wh in (
        ("GEN1", 0),
        ("EXP1", 0),
        ("GRID1", 3_000_000),
        ("TA", 1_000_000),
        ("TB", 1_000_000),
        ("SH1", 1_000_000),
    ):
        rows += quarters(meter_id, H1, energy_wh)
    # A meter that is not in the list is ignored (and reported as such).
    rows.append(("OTHER", H0, 60, 5, 0))
    return rows


def test_scope1_from_100_mmbtu_natural_gas_is_5_311_450_g_at_ar5(intervals_file):
    """100 MMBtu x (53.06 kg CO2 + 1.0 g CH4 x 28 + 0.10 g N2O x 265) = 5,311,450 g CO2e; per gas kept."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    mmbtu = Decimal(FUEL_WH_THERMAL) / WH_PER_MMBTU
    assert mmbtu == Decimal(100)
    co2_g = mmbtu * Decimal("53.06") * 1000
    ch4_g = mmbtu * Decimal("1.0")
    n2o_g = mmbtu * Decimal("0.10")
    assert result.campus_scope1_g_co2e == half_even(co2_g + 28 * ch4_g + 265 * n2o_g) == 5_311_450
    assert result.gases_g["scope1"] == {"CO2": 5_306_000, "CH4": 100, "N2O": 10}
    assert result.factor_edition == "wl-2025.1"
    assert "epa-hub-2025/table1/natural-gas" in result.factor_refs
    assert result.inputs["ignored_meter_ids"] == ["OTHER"]


def test_scope1_at_ar6_uses_29_8_and_273(intervals_file):
    """Same fuel at AR6: 5,306,000 + 29.8 x 100 + 273 x 10 = 5,311,710 g CO2e; per-gas masses unchanged."""
    options = EmissionOptions(gwp_set="AR6")
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END, options=options)
    assert (
        result.campus_scope1_g_co2e
        == half_even(Decimal(5_306_000) + Decimal("29.8") * 100 + 273 * 10)
        == 5_311_710
    )
    assert result.gases_g["scope1"] == {"CO2": 5_306_000, "CH4": 100, "N2O": 10}
    assert result.gwp_set == "AR6"
    # Every set is disclosed beside the chosen one: AR4 = 5,306,000 + 25 x 100 + 298 x 10 = 5,311,480.
    assert result.co2e_by_gwp_set_g["scope1"] == {"AR4": 5_311_480, "AR5": 5_311_450, "AR6": 5_311_710}
    assert "ipcc-gwp100/ar4-ar5-ar6/AR6/CH4" in result.factor_refs


def test_scope2_location_and_allocation_to_tenants(intervals_file):
    """ERCT 740.832 lb CO2e/MWh x 4 MWh imported, split hour by hour; tenants carry turbine emissions net of exports."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    rate_g_per_mwh = (ERCT_CO2_LB_PER_MWH + 28 * ERCT_CH4_LB_PER_MWH + 265 * ERCT_N2O_LB_PER_MWH) * G_PER_LB
    assert rate_g_per_mwh == Decimal("336035.74265184")
    assert result.campus_scope2_location_g_co2e == half_even(4 * rate_g_per_mwh) == 1_344_143
    # Scope 1 split: exported share 2/10 stays with the operator, the rest 6:3 between alpha and beta.
    scope1_g = Decimal(5_311_450)
    export_g = scope1_g * 2 / 10
    alpha_onsite_g, beta_onsite_g = (scope1_g - export_g) * 6 / 9, (scope1_g - export_g) * 3 / 9
    assert (export_g, half_even(alpha_onsite_g)) == (Decimal(1062290), 2_832_773)
    assert int(beta_onsite_g) == 1_416_386  # 1,416,386.67: floor, then the remaining gram below
    # Floors add to 5,311,449; the last gram goes to the largest remainder (beta's .667).
    assert result.retained_g_co2e["export"]["scope2_onsite_generation"] == 1_062_290
    assert result.tenant_g_co2e["alpha"]["scope2_onsite_generation"] == 2_832_773
    assert result.tenant_g_co2e["beta"]["scope2_onsite_generation"] == 1_416_387
    assert result.campus_scope1_exported_g_co2e == 1_062_290
    # Grid: hour 0 1 MWh split 6:3; hour 1 3 MWh split 1:1:1.
    alpha_grid = rate_g_per_mwh * 6 / 9 + rate_g_per_mwh
    beta_grid = rate_g_per_mwh * 3 / 9 + rate_g_per_mwh
    assert (int(alpha_grid), int(beta_grid), int(rate_g_per_mwh)) == (560_059, 448_047, 336_035)
    # Two grams left after flooring go to the two largest remainders: shared (.743) and beta (.657).
    assert result.tenant_g_co2e["alpha"]["scope2_grid_location"] == 560_059
    assert result.tenant_g_co2e["beta"]["scope2_grid_location"] == 448_048
    assert result.retained_g_co2e["shared"]["scope2_grid_location"] == 336_036
    # Energy shares: 8 MWh of generation reached loads in hour 0 (6:3): 5,333,333.33 and 2,666,666.67 Wh.
    assert result.tenant_energy_wh["alpha"]["onsite_generation_wh"] == 5_333_333
    assert result.tenant_energy_wh["beta"]["onsite_generation_wh"] == 2_666_667
    assert result.tenant_g_co2e["alpha"]["scope2_location"] == 2_832_773 + 560_059
    assert result.tenant_g_co2e["beta"]["scope2_location"] == 1_416_387 + 448_048


def test_market_based_without_instruments_falls_back_to_grid_average_and_says_so(intervals_file):
    """No certificates, no residual mix: market-based grid = location-based grid, flagged `default` and disclosed."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    assert result.campus_scope2_market_g_co2e == 1_344_143
    assert result.data_quality["campus_scope2_market"] == "default"
    assert result.data_quality["campus_scope2_location"] == "measured"
    assert any("Quality Criterion 8" in note for note in result.disclosures)


def test_scope3_category3_fuel_upstream_and_td_losses(intervals_file):
    """A = 29,307,107 Wh x 0.03021 g/Wh; C = grid g x 0.042/(1-0.042); B excluded by default and listed."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    upstream_fuel_g = Decimal(FUEL_WH_THERMAL) * WTT_NATURAL_GAS_KG_PER_KWH_GROSS  # kg/kWh == g/Wh
    assert upstream_fuel_g == Decimal("885367.70247")
    rate_g_per_mwh = (ERCT_CO2_LB_PER_MWH + 28 * ERCT_CH4_LB_PER_MWH + 265 * ERCT_N2O_LB_PER_MWH) * G_PER_LB
    losses_g = 4 * rate_g_per_mwh * ERCT_GGL / (1 - ERCT_GGL)
    assert result.scope3_cat3_g_co2e == {
        "a_upstream_fuels": 885_368,
        "b_upstream_electricity": 0,
        "c_td_losses": half_even(losses_g),
        "d_resold_electricity": 0,
    }
    assert half_even(losses_g) == 58_929  # 1,344,142.97 g x 0.0438413...
    assert result.campus_scope3_cat3_g_co2e == 885_368 + 58_929
    assert any("cat. 3 B" in exclusion for exclusion in result.exclusions)


def test_ledger_legs_balance_and_name_campus_and_tenants(intervals_file):
    """Credits at the campus equal debits to tenants and the operator's retained accounts, to the gram."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    legs = {(account, asset): amount for account, asset, amount in carbon_ledger_postings(result, "c1")}
    assert sum(legs.values()) == 0
    assert legs[("campus:c1:emissions:scope1", "TCO2E/6")] == -5_311_450
    assert legs[("campus:c1:emissions:scope2", "TCO2E/6")] == -1_344_143
    assert legs[("tenant:alpha:emissions", "TCO2E/6")] == 2_832_773 + 560_059
    assert legs[("campus:c1:emissions:retained:export", "TCO2E/6")] == 1_062_290


def test_json_round_trip_is_lossless(intervals_file):
    """to_json carries only ints and strings; from_json restores an equal result with the same hash."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    text = result.to_json()
    assert not _floats_in(json.loads(text)), "emissions JSON must hold no floats"
    restored = CycleEmissions.from_json(text)
    assert restored == result
    assert restored.sha256() == result.sha256()


def test_unknown_subregion_and_bad_meter_lists_are_refused(intervals_file):
    """A subregion missing from the edition and a tenant meter without a tenant are typed input errors."""
    uri = intervals_file(campus_rows())
    with pytest.raises(FactorMissing, match="XXXX"):
        compute_cycle_emissions(uri, METERS, "XXXX", H0, END)
    with pytest.raises(EmissionsInputInvalid, match="names a tenant"):
        compute_cycle_emissions(uri, [MeterRef("TA", "tenant_consumption")], "ERCT", H0, END)
    with pytest.raises(EmissionsInputInvalid, match="listed twice"):
        compute_cycle_emissions(uri, [MeterRef("TA", "fuel"), MeterRef("TA", "fuel")], "ERCT", H0, END)


def _floats_in(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats_in(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats_in(item)]
    return []


def test_avoided_emissions_of_exports_use_the_non_baseload_rate_and_stay_apart(intervals_file):
    """2 MWh exported x ERCT non-baseload (1,264.939 + 28 x 0.076 + 265 x 0.010 lb/MWh) x 453.59237 g/lb.

    = 2 x 1,269.717 x 453.59237 = 1,151,867.89 g -> 1,151,868; Scope 1 is unchanged (never netted)."""
    result = compute_cycle_emissions(intervals_file(campus_rows()), METERS, "ERCT", H0, END)
    avoided = avoided_emissions_of_exports(result)
    assert avoided is not None
    exact_g = 2 * (Decimal("1264.939") + 28 * Decimal("0.076") + 265 * Decimal("0.010")) * G_PER_LB
    assert avoided.g_co2e == half_even(exact_g) == 1_151_868
    assert avoided.rate_ref == "epa-hub-2025/table6/ERCT/nonbaseload"
    assert result.campus_scope1_g_co2e == 5_311_450
    assert "never subtracted" in campus_report_html(result, "c1")


def test_a_local_january_starting_on_31_december_utc_gets_the_new_years_edition(intervals_file):
    """Tokyo's January 2025 starts 2024-12-31T15:00Z; its midpoint is in 2025, so wl-2025.1 applies."""
    start = datetime(2024, 12, 31, 15, tzinfo=UTC)
    end = datetime(2025, 1, 31, 15, tzinfo=UTC)
    result = compute_cycle_emissions(
        intervals_file([("GRID1", start, 60, 1_000_000, 0)]), METERS, "ERCT", start, end
    )
    assert result.factor_edition == "wl-2025.1"
