"""The cycle's emissions carry a battery's charging grams to whoever takes its energy: hand-worked over three hours
and a second period opened from the first one's pool, then conservation on generated campuses.

Campus in ERCT with an hourly grid intensity and a residual mix of 600 kg/MWh; battery bess1 (FIFO, 800-900 permille,
nothing stored at the start, losses 2:1 alpha:beta).
- H0: grid 2 000 000 Wh at 500 kg/MWh (1 000 000 g); alpha 500 000, beta 500 000, the battery charges 1 000 000 Wh:
  it takes half the hour's grid grams, 500 000 g. An operator certificate (hourly, zero-rated) of 400 000 Wh in H0
  covers the battery's charge (no shared load): market-based hourly, its 1 000 000 Wh are 600 000 Wh uncovered at
  0.6 g/Wh = 360 000 g, with 400 000 certificate Wh.
- H1: grid 1 000 000 Wh at 300 kg/MWh (300 000 g), solar PV1 1 000 000 Wh; alpha 500 000, beta 500 000, charge
  1 000 000 Wh: the battery takes 150 000 g (half); its charge is 500 000 Wh solar (0 g) and 500 000 Wh grid
  (150 000 g location; market hourly 500 000 Wh x 0.6 = 300 000 g).
- H2: the battery discharges 1 600 000 Wh; grid 400 000 Wh at 400 kg/MWh (160 000 g); alpha 1 200 000, beta 800 000.
  The discharge follows consumption: alpha 960 000 Wh, beta 640 000 Wh. FIFO (sources in name order, solar first):
  alpha takes 960 000 Wh of the H0 lot (480 000 g location, 345 600 g market hourly, 384 000 certificate Wh);
  beta the other 40 000 Wh of it (20 000 g, 14 400 g, 16 000 Wh), the 500 000 Wh solar (0 g) and 100 000 Wh of the
  H1 grid lot (30 000 g, 60 000 g): 50 000 g location, 74 400 g market hourly.
- End: stored 0 + 2 000 000 x 0.85 - 1 600 000 = 100 000 Wh; the pool holds 400 000 Wh, so 300 000 Wh were lost:
  alpha 200 000 (60 000 g location, 120 000 g market hourly), beta 100 000 (30 000 g, 60 000 g), from the H1 grid
  lot. Closing: 100 000 Wh, 30 000 g location, 60 000 g market hourly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campus import StorageAsset
from esg.certificates import CertificateClaim, CertificateLot, CertificateRegistry
from esg.factors import HourlyGridIntensity
from esg.reporting import export_csv, tenant_statement
from esg.scopes import CycleEmissions, EmissionOptions, MarketRate, MeterRef, compute_cycle_emissions
from esg.scopes.storage_carry import carried_pools
from settlement.storage_hours import storage_hours, storage_period
from settlement.storage_pool import AMOUNT_COST, Pool, make_lot, pools_with_carried_amounts

H0 = datetime(2025, 7, 1, tzinfo=UTC)
H1, H2, H3 = (H0 + timedelta(hours=n) for n in (1, 2, 3))
METERS = [
    MeterRef("GRID1", "grid_import"),
    MeterRef("PV1", "generation"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
    MeterRef("CHG", "storage_charge"),
    MeterRef("DIS", "storage_discharge"),
]
BESS = StorageAsset("bess1", "CHG", "DIS", capacity_wh_usable=4_000_000, power_kw_rated=2_000,
                    round_trip_efficiency_permille_min=800, round_trip_efficiency_permille_max=900,
                    losses_key=(("alpha", 2), ("beta", 1)))
RESIDUAL = MarketRate("residual_mix", "ERCT", Decimal(600_000), "test/residual-mix/ERCT")
Rows = list[tuple[str, datetime, int, int, int]]


def first_period_rows() -> Rows:
    flows = {
        H0: {"GRID1": 2_000_000, "TA": 500_000, "TB": 500_000, "CHG": 1_000_000},
        H1: {"GRID1": 1_000_000, "PV1": 1_000_000, "TA": 500_000, "TB": 500_000, "CHG": 1_000_000},
        H2: {"GRID1": 400_000, "TA": 1_200_000, "TB": 800_000, "DIS": 1_600_000},
    }
    return [(meter, hour, 60, energy_wh, 0) for hour, by_meter in flows.items() for meter, energy_wh in by_meter.items()]


def options(with_battery: bool = True) -> EmissionOptions:
    registry = CertificateRegistry()
    registry.register_lot(CertificateLot("gc-h0", "GC", "solar", "ERCT", H0, H1, 400_000, 0, "test", "Solar A"))
    registry.claim(CertificateClaim("op-h0", "gc-h0", "campus", 400_000, H0, H1))
    intensity = HourlyGridIntensity("ERCT", "test/hourly/ERCT", {
        H0: Decimal(500_000), H1: Decimal(300_000), H2: Decimal(400_000), H3: Decimal(400_000)})
    return EmissionOptions(claims=registry.claims_between(H0, H3), market_rates=[RESIDUAL], grid_intensity=intensity,
                           storage_assets=(BESS,) if with_battery else ())


def first_period(intervals_file: Callable[[Rows], str], with_battery: bool = True) -> CycleEmissions:
    return compute_cycle_emissions(intervals_file(first_period_rows()), METERS, "ERCT", H0, H3,
                                   options=options(with_battery))


def test_discharge_takers_carry_the_grams_of_the_hours_that_charged_the_battery(intervals_file: Callable[[Rows], str]) -> None:
    """Location-based grid figures: alpha 250 000 + 75 000 + 96 000 (its grid share of each hour) + 480 000 (from the
    battery) + 60 000 (losses) = 961 000 g; beta 250 000 + 75 000 + 64 000 + 50 000 + 30 000 = 469 000 g; the
    battery keeps its closing 30 000 g. Without the battery read, the charging hours' grams stay with that hour's
    consumers: alpha 500 000 + 150 000 + 96 000 = 746 000, beta 714 000. The campus total is 1 460 000 g either way."""
    carried = first_period(intervals_file)
    plain = first_period(intervals_file, with_battery=False)
    assert carried.campus_scope2_location_g_co2e == plain.campus_scope2_location_g_co2e == 1_460_000
    assert carried.tenant_g_co2e["alpha"]["scope2_grid_location"] == 961_000
    assert carried.tenant_g_co2e["beta"]["scope2_grid_location"] == 469_000
    assert carried.retained_g_co2e["storage.bess1"]["scope2_grid_location"] == 30_000
    assert (plain.tenant_g_co2e["alpha"]["scope2_grid_location"],
            plain.tenant_g_co2e["beta"]["scope2_grid_location"]) == (746_000, 714_000)
    bess = carried.storage["bess1"]
    assert (bess["charged"]["energy_wh"], bess["discharge_wh"], bess["losses_wh"]) == (2_000_000, 1_600_000, 300_000)
    assert bess["charged"]["scope2_grid_location"] == 650_000
    assert {party: (f["energy_wh"], f["scope2_grid_location"]) for party, f in bess["taken"].items()} == \
        {"tenant:alpha": (960_000, 480_000), "tenant:beta": (640_000, 50_000)}
    assert {party: (f["energy_wh"], f["scope2_grid_location"]) for party, f in bess["losses"].items()} == \
        {"tenant:alpha": (200_000, 60_000), "tenant:beta": (100_000, 30_000)}
    assert (bess["closing"]["energy_wh"], bess["closing"]["scope2_grid_location"]) == (100_000, 30_000)


def test_a_certificate_matched_to_charging_energy_travels_with_it_under_hourly_matching(intervals_file: Callable[[Rows], str]) -> None:
    """Market-based hourly: alpha 300 000 + 150 000 + 144 000 + 345 600 + 120 000 = 1 059 600 g, beta 300 000 +
    150 000 + 96 000 + 74 400 + 60 000 = 680 400 g, the battery its closing 60 000 g; campus (3 400 000 - 400 000 Wh
    certified) x 0.6 = 1 800 000 g. The certificate's 400 000 Wh went with the H0 energy: alpha 384 000, beta 16 000;
    none were lost (the losses came from H1)."""
    carried = first_period(intervals_file)
    assert carried.campus_scope2_market_hourly_g_co2e == 1_800_000
    assert carried.tenant_g_co2e["alpha"]["scope2_grid_market_hourly"] == 1_059_600
    assert carried.tenant_g_co2e["beta"]["scope2_grid_market_hourly"] == 680_400
    assert carried.retained_g_co2e["storage.bess1"]["scope2_grid_market_hourly"] == 60_000
    bess = carried.storage["bess1"]
    assert {party: (f["certificate_wh"], f["scope2_grid_market_hourly"]) for party, f in bess["taken"].items()} == \
        {"tenant:alpha": (384_000, 345_600), "tenant:beta": (16_000, 74_400)}
    assert sum(f["certificate_wh"] for f in bess["losses"].values()) == 0
    applied = next(row for row in carried.instruments if row["claim_id"] == "op-h0")
    assert applied["applied_hourly_wh"] == 400_000


def test_every_figure_adds_up_and_the_battery_keeps_what_it_still_stores(intervals_file: Callable[[Rows], str]) -> None:
    """For every figure tenants + retained = campus, and the battery's own figure is closing - opening."""
    carried = first_period(intervals_file)
    check_conserved(carried, first_period(intervals_file, with_battery=False), same_certificates=False)


def test_the_next_period_opens_from_the_saved_pool_and_hands_on_its_grams(intervals_file: Callable[[Rows], str]) -> None:
    """Period 2 (H3): the battery discharges its 100 000 Wh into alpha's 100 000 Wh, no grid: alpha takes the closing
    lot's 30 000 g location and 60 000 g market hourly; nothing stays (stored end 100 000 + 0 - 100 000 = 0). The
    campus emitted nothing this hour: the battery's figure is -30 000 g, so tenants + retained = 0 still."""
    first = first_period(intervals_file)
    opening = carried_pools(first.storage)
    assert [(lot.source, lot.energy_wh) for lot in opening["bess1"].lots] == [("grid_import", 100_000)]
    rows = [("TA", H3, 60, 100_000, 0), ("DIS", H3, 60, 100_000, 0), ("GRID1", H3, 60, 0, 0)]
    second = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H3, H3 + timedelta(hours=1),
                                     options=replace(options(), storage_openings=opening))
    assert second.campus_scope2_location_g_co2e == 0
    assert second.tenant_g_co2e["alpha"]["scope2_grid_location"] == 30_000
    assert second.tenant_g_co2e["alpha"]["scope2_grid_market_hourly"] == 60_000
    assert second.retained_g_co2e["storage.bess1"]["scope2_grid_location"] == -30_000
    assert second.storage["bess1"]["closing"]["energy_wh"] == 0
    assert second.storage["bess1"]["opening"]["scope2_grid_location"] == 30_000


FIGURES = ("scope2_onsite_generation", "scope2_grid_location", "scope2_grid_market", "scope2_grid_market_hourly",
           "scope3_cat3")


def check_conserved(carried: CycleEmissions, plain: CycleEmissions, same_certificates: bool = True) -> None:
    """`plain` is the same cycle without the carried view: the campus figures are its own (market-based ones only
    when no certificate went unused there for want of a load the battery's charge now is)."""
    campus = {"scope1": carried.campus_scope1_g_co2e, "scope2_grid_location": carried.campus_scope2_location_g_co2e,
              "scope2_grid_market": carried.campus_scope2_market_g_co2e,
              "scope2_grid_market_hourly": carried.campus_scope2_market_hourly_g_co2e,
              "scope3_cat3": carried.campus_scope3_cat3_g_co2e}
    assert (plain.campus_scope1_g_co2e, plain.campus_scope2_location_g_co2e, plain.campus_scope3_cat3_g_co2e) == \
        (campus["scope1"], campus["scope2_grid_location"], campus["scope3_cat3"])
    if same_certificates:
        assert (plain.campus_scope2_market_g_co2e, plain.campus_scope2_market_hourly_g_co2e) == \
            (campus["scope2_grid_market"], campus["scope2_grid_market_hourly"])
    parties = [*carried.tenant_g_co2e.values(), *carried.retained_g_co2e.values()]
    for figure, total in campus.items():
        name = "scope2_onsite_generation" if figure == "scope1" else figure
        assert sum(p[name] for p in parties) == total, figure
    for asset_id, bess in carried.storage.items():
        kept = carried.retained_g_co2e.get(f"storage.{asset_id}", {})
        for figure in FIGURES:
            assert kept.get(figure, 0) == bess["closing"][figure] - bess["opening"][figure], figure
            handed = sum(f[figure] for f in [*bess["taken"].values(), *bess["losses"].values()])
            assert bess["opening"][figure] + bess["charged"][figure] == handed + bess["closing"][figure], figure
        handed_wh = sum(f["carbon_free_wh"] for f in [*bess["taken"].values(), *bess["losses"].values()])
        assert bess["opening"]["carbon_free_wh"] + bess["charged"]["carbon_free_wh"] == \
            handed_wh + bess["closing"]["carbon_free_wh"]


@st.composite
def campus_hours(draw: st.DrawFn) -> Rows:
    """Up to six hours: the battery charges (from grid and maybe solar) or discharges at most what it holds."""
    rows: Rows = []
    held_wh = 0
    for index in range(draw(st.integers(1, 6))):
        hour = H0 + timedelta(hours=index)
        alpha, beta = draw(st.integers(0, 900_000)), draw(st.integers(1, 900_000))
        charge = draw(st.integers(0, 800_000))
        discharge = 0 if charge else draw(st.integers(0, min(held_wh, alpha + beta)))
        held_wh += charge - discharge
        solar = draw(st.integers(0, alpha + beta + charge))
        grid = alpha + beta + charge - discharge - solar + draw(st.integers(0, 50_000))
        rows += [("GRID1", hour, 60, max(grid, 1), 0), ("PV1", hour, 60, solar, 0), ("TA", hour, 60, alpha, 0),
                 ("TB", hour, 60, beta, 0), ("CHG", hour, 60, charge, 0), ("DIS", hour, 60, discharge, 0)]
    return rows


@given(campus_hours(), st.sampled_from(["fifo", "pro_rata"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_battery_never_changes_a_campus_total_and_every_gram_is_accounted_for(
        intervals_file: Callable[[Sequence[tuple[str, datetime, int, int, int]]], str], rows: Rows,
        method: str) -> None:
    """Generated campuses: campus totals are those without the carried view; charged grams = taken + losses + still
    stored for every figure; tenants + retained = campus."""
    hours = len({row[1] for row in rows})
    end = H0 + timedelta(hours=hours)
    intensity = HourlyGridIntensity("ERCT", "test/hourly/ERCT",
                                    {H0 + timedelta(hours=n): Decimal(300_000 + 37_000 * n) for n in range(hours)})
    asset = replace(BESS, pool_method="fifo" if method == "fifo" else "pro_rata")
    base = EmissionOptions(market_rates=[RESIDUAL], grid_intensity=intensity)
    uri = intervals_file(rows)
    carried = compute_cycle_emissions(uri, METERS, "ERCT", H0, end, options=replace(base, storage_assets=(asset,)))
    plain = compute_cycle_emissions(uri, METERS, "ERCT", H0, end, options=base)
    check_conserved(carried, plain)


def test_the_statement_and_the_storage_export_name_what_came_from_the_battery(intervals_file: Callable[[Rows], str]
                                                                              ) -> None:
    """alpha's statement: of its location-based Scope 2, 480 000 + 60 000 = 540 000 g came with the 1 160 000 Wh it
    took or lost from bess1 (0.540 t), of its hourly market-based 345 600 + 120 000 = 465 600 g. The storage export
    lists opening, charged, taken, losses and closing, and they add up column by column."""
    carried = first_period(intervals_file)
    lines = {line.label: line.g_co2e for line in tenant_statement(carried, "alpha").lines}
    assert lines["  of which from battery bess1 (1,160,000 Wh taken or lost, location-based)"] == 540_000
    assert lines["  of which from battery bess1 (1,160,000 Wh taken or lost, market-based, hourly matching)"] == 465_600
    rows = list(csv.DictReader(io.StringIO(export_csv(carried, "storage"))))
    assert [(row["part"], row["party"]) for row in rows] == [
        ("opening", ""), ("charged", ""), ("taken", "tenant:alpha"), ("taken", "tenant:beta"),
        ("losses", "tenant:alpha"), ("losses", "tenant:beta"), ("closing", "")]
    for column in ("energy_wh", "certificate_wh", "scope2_location_g_co2e", "scope2_market_hourly_g_co2e",
                   "carbon_free_wh"):
        into = sum(int(row[column]) for row in rows if row["part"] in ("opening", "charged"))
        out = sum(int(row[column]) for row in rows if row["part"] in ("taken", "losses", "closing"))
        assert into == out, column
    plain = tenant_statement(first_period(intervals_file, with_battery=False), "alpha")
    assert not any("battery" in line.label for line in plain.lines)


def test_a_pool_saved_before_grams_opens_with_none_and_a_priced_battery_keeps_settlements_cost(
        intervals_file: Callable[[Rows], str]) -> None:
    """A pool kept with cost only (100 000 Wh of grid at $40/MWh: 4 000 000 micro-USD) opens period 2 with no grams:
    alpha takes the 100 000 Wh with 0 g and the battery's figure is 0. Priced at grid $45/MWh and solar $30/MWh, the
    first period's lots carry cost beside grams: H0's 1 000 000 Wh of grid cost 45 000 000 micro-USD, H1's 500 000 Wh
    of solar 15 000 000 and 500 000 Wh of grid 22 500 000; what stays is 100 000 Wh of the H1 grid lot:
    4 500 000 micro-USD, 30 000 g location-based; settlement's pool of the same hours has the same lots and cost."""
    cost_only = {"bess1": Pool("fifo", (make_lot("grid_import", 100_000, {AMOUNT_COST: 4_000_000}),))}
    rows = [("TA", H3, 60, 100_000, 0), ("DIS", H3, 60, 100_000, 0), ("GRID1", H3, 60, 0, 0)]
    second = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H3, H3 + timedelta(hours=1),
                                     options=replace(options(), storage_openings=cost_only))
    assert second.tenant_g_co2e["alpha"]["scope2_grid_location"] == 0
    assert second.retained_g_co2e["storage.bess1"]["scope2_grid_location"] == 0
    assert second.storage["bess1"]["taken"]["tenant:alpha"]["energy_wh"] == 100_000

    priced = replace(BESS, supply_prices_usd_per_mwh=(("generation:PV1", Decimal(30)), ("grid_import", Decimal(45))))
    uri = intervals_file(first_period_rows())
    carried = compute_cycle_emissions(uri, METERS, "ERCT", H0, H3,
                                      options=replace(options(), storage_assets=(priced,)))
    closing = carried_pools(carried.storage)["bess1"]
    assert [(lot.source, lot.energy_wh, lot.amount(AMOUNT_COST), lot.amount("co2e_g_scope2_location"))
            for lot in closing.lots] == [("grid_import", 100_000, 4_500_000, 30_000)]
    settled = storage_period(priced, storage_hours(pq.read_table(uri), METERS, priced), Pool("fifo"), 100_000,
                             {source: {AMOUNT_COST: price} for source, price in priced.supply_prices_usd_per_mwh or ()})
    assert pools_with_carried_amounts({"bess1": settled.closing}, {"bess1": closing}) == {"bess1": closing}
    with pytest.raises(AssertionError, match="differs from settlement's"):
        pools_with_carried_amounts({"bess1": Pool("fifo", (make_lot("grid_import", 100_000, {AMOUNT_COST: 1}),))},
                                   {"bess1": closing})
