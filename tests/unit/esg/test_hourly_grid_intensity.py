"""Location-based Scope 2 from an hourly intensity series (Electricity Maps CSV, WattTime v3 JSON), worked by hand.

Hour 0 at 400 g/kWh and hour 1 at 200 g/kWh, 1 MWh imported each hour: 400,000 + 200,000 g CO2e. The grid's
carbon-free share enters the CFE score: 1 MWh at 50 % CFE in hour 1 gives 0.5 MWh of carbon-free energy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from common.errors import BadInput
from esg.errors import FactorMissing
from esg.factors import parse_electricitymaps_csv, parse_watttime_aoer_json
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
END = H0 + timedelta(hours=2)
METERS = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha")]
EMAPS_CSV = (
    "Datetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),"
    "Carbon intensity gCO₂eq/kWh (Life cycle),Carbon-free energy percentage (CFE%),"
    "Renewable energy percentage (RE%),Data source,Data estimated,Data estimation method\n"
    "2025-07-01 00:00:00,USA,ERCOT,US-TEX-ERCO,400,450,20,18,eia.gov,false,\n"
    "2025-07-01 01:00:00,USA,ERCOT,US-TEX-ERCO,200,240,50,45,eia.gov,true,TIME_SLICER_AVERAGE\n"
)


def rows():
    return [
        ("GRID1", H0, 60, 1_000_000, 0),
        ("GRID1", H0 + timedelta(hours=1), 60, 1_000_000, 0),
        ("TA", H0, 60, 1_000_000, 0),
        ("TA", H0 + timedelta(hours=1), 60, 1_000_000, 0),
    ]


def test_electricitymaps_direct_series_gives_hourly_scope2_and_cfe(intervals_file):
    """400,000 + 200,000 g; CFE = 0.2 x 1 MWh + 0.5 x 1 MWh = 0.7 MWh of 2 MWh = 0.3500; estimated hour flagged."""
    series = parse_electricitymaps_csv(EMAPS_CSV, "ercot-2025-07.csv", "ERCT")
    assert series.g_co2e_per_mwh[H0] == Decimal(400_000)
    result = compute_cycle_emissions(
        intervals_file(rows()), METERS, "ERCT", H0, END, options=EmissionOptions(grid_intensity=series)
    )
    assert result.campus_scope2_location_g_co2e == 600_000
    assert [h.scope2_location_g_co2e for h in result.hourly] == [400_000, 200_000]
    assert result.tenant_energy_wh["alpha"]["carbon_free_wh"] == 700_000
    assert result.tenant_cfe_score["alpha"] == "0.3500"
    assert result.data_quality["campus_scope2_location"] == "estimated"
    assert "electricitymaps/US-TEX-ERCO/direct/ercot-2025-07.csv" in result.factor_refs
    assert "scope2_location" not in result.gases_g  # a CO2e series has no per-gas split


def test_a_missing_hour_with_imports_is_refused(intervals_file):
    """The series lacks hour 1 while the campus imported then: FactorMissing names the series and the hour."""
    series = parse_electricitymaps_csv(EMAPS_CSV.rsplit("\n", 2)[0] + "\n", "short.csv", "ERCT")
    with pytest.raises(FactorMissing, match="01:00"):
        compute_cycle_emissions(
            intervals_file(rows()), METERS, "ERCT", H0, END, options=EmissionOptions(grid_intensity=series)
        )


def test_watttime_aoer_hour_is_the_mean_of_its_points_in_grams():
    """Points 700 and 800 lb CO2/MWh in one hour: 750 lb x 453.59237 g/lb = 340,194.2775 g/MWh."""
    document = {
        "data": [
            {"point_time": "2025-07-01T00:00:00+00:00", "value": 700},
            {"point_time": "2025-07-01T00:05:00+00:00", "value": 800, "imputed_data_used": True},
        ],
        "meta": {"region": "ERCOT_EASTTX", "signal_type": "co2_aoer", "units": "lbs_co2_per_mwh"},
    }
    series = parse_watttime_aoer_json(json.dumps(document), "wt.json", "ERCT")
    assert series.g_co2e_per_mwh[H0] == Decimal(750) * Decimal("453.59237") == Decimal("340194.27750")
    assert series.estimated_hours == frozenset({H0})
    marginal = {**document, "meta": {**document["meta"], "signal_type": "co2_moer"}}
    with pytest.raises(BadInput, match="average rate"):
        parse_watttime_aoer_json(json.dumps(marginal), "wt.json", "ERCT")


def test_bad_cells_name_file_line_and_column():
    """A non-numeric intensity is a BadInput at its line and column."""
    bad = EMAPS_CSV.replace(",400,", ",n/a,")
    with pytest.raises(BadInput, match=r"x.csv, line 2, field 'Carbon intensity"):
        parse_electricitymaps_csv(bad, "x.csv", "ERCT")


def test_a_battery_behind_the_import_meter_shows_time_shifting_with_hourly_factors(intervals_file):
    """Note's example: charge 5 MWh at 400 kg/MWh, discharge 4.5 MWh at 300 kg/MWh -> +650 kg versus no battery.

    The tenant uses 10 MWh in each hour; the import meter sees 15 MWh (charging) then 5.5 MWh (discharging).
    Location-based: 15 x 400,000 + 5.5 x 300,000 = 7,650,000 g; without the battery 7,000,000 g.
    """
    csv_text = (
        "Datetime (UTC),Zone id,Carbon intensity gCO₂eq/kWh (direct)\n"
        "2025-07-01 00:00:00,US-TEX-ERCO,400\n2025-07-01 01:00:00,US-TEX-ERCO,300\n"
    )
    series = parse_electricitymaps_csv(csv_text, "battery.csv", "ERCT")
    h1 = H0 + timedelta(hours=1)
    with_battery = [
        ("GRID1", H0, 60, 15_000_000, 0),
        ("GRID1", h1, 60, 5_500_000, 0),
        ("TA", H0, 60, 10_000_000, 0),
        ("TA", h1, 60, 10_000_000, 0),
    ]
    without = [
        ("GRID1", H0, 60, 10_000_000, 0),
        ("GRID1", h1, 60, 10_000_000, 0),
        ("TA", H0, 60, 10_000_000, 0),
        ("TA", h1, 60, 10_000_000, 0),
    ]
    options = EmissionOptions(grid_intensity=series)
    shifted = compute_cycle_emissions(intervals_file(with_battery), METERS, "ERCT", H0, END, options=options)
    plain = compute_cycle_emissions(intervals_file(without), METERS, "ERCT", H0, END, options=options)
    assert shifted.campus_scope2_location_g_co2e == 15 * 400_000 + 5 * 300_000 + 300_000 // 2 == 7_650_000
    assert plain.campus_scope2_location_g_co2e == 7_000_000
    assert shifted.campus_scope2_location_g_co2e - plain.campus_scope2_location_g_co2e == 650_000
