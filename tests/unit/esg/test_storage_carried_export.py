"""A battery that discharges into export: the exported share's grams leave with the export (`retained:export`, as
exported on-site generation's do), in no tenant's Scope 2, and every figure is conserved to the gram.

Campus in ERCT, hourly grid intensity, battery bess1 (FIFO, 800-900 permille, nothing stored at the start).
- H0: grid 2 000 000 Wh at 500 kg/MWh (1 000 000 g); alpha 500 000, beta 500 000, the battery charges 1 000 000 Wh:
  it takes half the hour's grid grams, 500 000 g.
- H1: grid 100 000 Wh at 300 kg/MWh (30 000 g); the battery discharges 1 000 000 Wh; alpha 400 000, beta 100 000,
  export 600 000. No generation, so the export's 600 000 Wh are the battery's first; the other 400 000 Wh go to
  alpha : beta as 400 000 : 100 000, 320 000 and 80 000. FIFO in id order from the H0 lot (0.5 g/Wh): alpha
  160 000 g, beta 40 000 g, the export 300 000 g. The hour's grid grams go to its on-site consumers by metered Wh:
  alpha 24 000, beta 6 000.
- End: the estimate 0 + 1 000 000 x 0.85 - 1 000 000 is below the floor, and the pool is empty: nothing stored,
  nothing lost.
Location-based grid: alpha 250 000 + 24 000 + 160 000 = 434 000 g, beta 250 000 + 6 000 + 40 000 = 296 000 g, the
export 300 000 g; campus 1 030 000 g = their sum, the battery keeping 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from campus import StorageAsset
from esg.factors import HourlyGridIntensity
from esg.scopes import EmissionOptions, MarketRate, MeterRef, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
H1, H2 = H0 + timedelta(hours=1), H0 + timedelta(hours=2)
METERS = [MeterRef("GRID1", "grid_import"), MeterRef("EXP", "export"),
          MeterRef("TA", "tenant_consumption", "alpha"), MeterRef("TB", "tenant_consumption", "beta"),
          MeterRef("CHG", "storage_charge"), MeterRef("DIS", "storage_discharge")]
BESS = StorageAsset("bess1", "CHG", "DIS", capacity_wh_usable=4_000_000, power_kw_rated=2_000,
                    round_trip_efficiency_permille_min=800, round_trip_efficiency_permille_max=900)
RESIDUAL = MarketRate("residual_mix", "ERCT", Decimal(600_000), "test/residual-mix/ERCT")
Rows = list[tuple[str, datetime, int, int, int]]
FLOWS = {
    H0: {"GRID1": 2_000_000, "TA": 500_000, "TB": 500_000, "CHG": 1_000_000},
    H1: {"GRID1": 100_000, "DIS": 1_000_000, "TA": 400_000, "TB": 100_000, "EXP": 600_000},
}


def test_the_exported_share_of_a_discharge_carries_its_grams_out_with_the_export(
        intervals_file: Callable[[Rows], str]) -> None:
    rows = [(meter, hour, 60, energy_wh, 0) for hour, by_meter in FLOWS.items() for meter, energy_wh in by_meter.items()]
    intensity = HourlyGridIntensity("ERCT", "test/hourly/ERCT", {H0: Decimal(500_000), H1: Decimal(300_000)})
    result = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H0, H2, options=EmissionOptions(
        market_rates=[RESIDUAL], grid_intensity=intensity, storage_assets=(BESS,)))
    assert result.tenant_g_co2e["alpha"]["scope2_grid_location"] == 434_000
    assert result.tenant_g_co2e["beta"]["scope2_grid_location"] == 296_000
    assert result.retained_g_co2e["export"]["scope2_grid_location"] == 300_000
    assert result.retained_g_co2e.get("storage.bess1", {}).get("scope2_grid_location", 0) == 0
    assert result.campus_scope2_location_g_co2e == 1_030_000
    bess = result.storage["bess1"]
    assert {party: (f["energy_wh"], f["scope2_grid_location"]) for party, f in bess["taken"].items()} == {
        "retained:export": (600_000, 300_000), "tenant:alpha": (320_000, 160_000), "tenant:beta": (80_000, 40_000)}
    assert (bess["losses_wh"], bess["losses"], bess["closing"]["energy_wh"]) == (0, {}, 0)
    charged, taken = bess["charged"], bess["taken"]
    for figure in ("scope2_grid_location", "scope2_grid_market", "scope3_cat3"):
        assert charged[figure] == sum(part[figure] for part in taken.values()), figure
