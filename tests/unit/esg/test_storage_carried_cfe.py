"""The carbon-free share of a battery's charging energy reaches the hourly CFE score of whoever takes its discharge:
hand-worked FIFO and pro rata, the next period, the cap at the load, certificates, then conservation and the rule
without a battery on generated campuses.

Campus in ERCT with an hourly grid series giving the grid's carbon-free fraction g; solar PV1 is carbon-free;
battery bess1 (800-900 permille, nothing stored at the start, no losses key: losses follow the energy taken).
- H0: PV1 1 000 Wh, the battery charges 1 000 Wh, nobody else uses anything, no grid. The battery is the hour's only
  consumer: S = 1 000 Wh, so its charge is 1 000 carbon-free Wh (lot `generation:PV1`, 1 000 Wh, 1 000 cf Wh).
- H1: grid 1 000 Wh with g = 0.4, the battery charges 1 000 Wh: G = 1 000, no certificate, so
  0.4 x 1 000 = 400 carbon-free Wh (lot `grid_import`, 1 000 Wh, 400 cf Wh). Charged: 2 000 Wh, 1 400 cf Wh.
- H2: alpha uses 2 000 Wh; grid 500 Wh with g = 0.5 and the battery's 1 500 Wh, all to alpha. Alpha's own
  CFE: G = 500, 0.5 x 500 = 250 Wh.
  - FIFO: alpha takes the H0 lot (1 000 cf Wh) and 500 of the H1 lot's 1 000 Wh (500/1 000 x 400 = 200 cf Wh):
    B = 1 200, CFE_H2 = 250 + 1 200 = 1 450 (under the 2 000 Wh load), score 1 450 / 2 000 = 0.7250 (0.1250
    without the battery's carbon-free Wh).
  - Pro rata: the pool is 1 000 Wh solar (1 000 cf) and 1 000 Wh grid (400 cf); 1 500 Wh take 750 of each:
    750 + 750/1 000 x 400 = 750 + 300 = 1 050 cf Wh, CFE_H2 = 1 300, score 0.6500.
- End: stored 0 + 2 000 x 0.85 - 1 500 = 200 Wh; the pool holds 500 Wh, so 300 Wh are lost (alpha's, by energy
  taken), and their carbon-free Wh count in no score.
  - FIFO: the losses come from the H1 lot's last 500 Wh (200 cf): 300/500 x 200 = 120 cf Wh; closing 200 Wh, 80 cf.
    1 400 charged = 1 200 taken + 120 lost + 80 stored.
  - Pro rata: 250 Wh solar (250 cf) and 250 Wh grid (100 cf) left; the losses take 150 of each: 150 + 60 = 210 cf
    Wh; closing 100 + 100 Wh, 100 + 40 = 140 cf. 1 400 = 1 050 + 210 + 140.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campus import StorageAsset
from esg.factors import HourlyGridIntensity
from esg.reporting import export_csv
from esg.scopes import CycleEmissions, EmissionOptions, compute_cycle_emissions
from esg.scopes.storage_carry import carried_pools
from settlement.storage_pool import Pool, make_lot
from tests.unit.esg.test_storage_carried_cycle import METERS, campus_hours
from tests.unit.esg.test_storage_carried_cycle import first_period as certificate_period

H0 = datetime(2025, 7, 1, tzinfo=UTC)
H1, H2, H3, H4 = (H0 + timedelta(hours=n) for n in (1, 2, 3, 4))
BESS = StorageAsset("bess1", "CHG", "DIS", capacity_wh_usable=4_000_000, power_kw_rated=2_000,
                    round_trip_efficiency_permille_min=800, round_trip_efficiency_permille_max=900)
Rows = list[tuple[str, datetime, int, int, int]]
FLOWS = {
    H0: {"PV1": 1_000, "CHG": 1_000},
    H1: {"GRID1": 1_000, "CHG": 1_000},
    H2: {"GRID1": 500, "TA": 2_000, "DIS": 1_500},
}
CARBON_FREE_FRACTION = {H0: Decimal("0.3"), H1: Decimal("0.4"), H2: Decimal("0.5"), H3: Decimal("0.6")}


def rows_of(flows: dict[datetime, dict[str, int]]) -> Rows:
    return [(meter, hour, 60, energy_wh, 0)
            for hour, by_meter in flows.items() for meter, energy_wh in by_meter.items()]


def options(asset: StorageAsset | None = BESS, fractions: dict[datetime, Decimal] | None = None) -> EmissionOptions:
    fractions = CARBON_FREE_FRACTION if fractions is None else fractions
    intensity = HourlyGridIntensity("ERCT", "test/hourly/ERCT", {hour: Decimal(400_000) for hour in fractions},
                                    carbon_free_fraction=fractions)
    return EmissionOptions(grid_intensity=intensity, carbon_free_generation_meter_ids=frozenset({"PV1"}),
                           storage_assets=(asset,) if asset is not None else ())


def period(intervals_file: Callable[[Rows], str], asset: StorageAsset | None = BESS) -> CycleEmissions:
    return compute_cycle_emissions(intervals_file(rows_of(FLOWS)), METERS, "ERCT", H0, H3, options=options(asset))


def cf(figures: dict[str, int]) -> tuple[int, int]:
    return figures["energy_wh"], figures["carbon_free_wh"]


def test_fifo_a_taker_adds_the_carbon_free_wh_of_the_energy_it_took_in_the_discharge_hour(
        intervals_file: Callable[[Rows], str]) -> None:
    """FIFO: alpha's carbon-free Wh 250 + 1 200 = 1 450 of 2 000, score 0.7250; without the battery read, 250 of
    2 000 (0.1250). The storage section lists 1 400 cf Wh charged, 1 200 taken, 120 lost, 80 stored."""
    carried = period(intervals_file)
    assert carried.tenant_energy_wh["alpha"]["carbon_free_wh"] == 1_450
    assert carried.tenant_cfe_score["alpha"] == "0.7250"
    plain = period(intervals_file, asset=None)
    assert (plain.tenant_energy_wh["alpha"]["carbon_free_wh"], plain.tenant_cfe_score["alpha"]) == (250, "0.1250")
    bess = carried.storage["bess1"]
    assert cf(bess["charged"]) == (2_000, 1_400)
    assert {party: cf(figures) for party, figures in bess["taken"].items()} == {"tenant:alpha": (1_500, 1_200)}
    assert {party: cf(figures) for party, figures in bess["losses"].items()} == {"tenant:alpha": (300, 120)}
    assert cf(bess["closing"]) == (200, 80)
    assert [(source, energy_wh, amounts.get("carbon_free_wh")) for source, energy_wh, amounts in bess["closing_lots"]] \
        == [("grid_import", 200, 80)]


def test_pro_rata_a_taker_adds_its_proportional_share_of_the_pools_carbon_free_wh(
        intervals_file: Callable[[Rows], str]) -> None:
    """Pro rata: alpha takes 1 050 cf Wh, CFE 250 + 1 050 = 1 300 of 2 000, score 0.6500; 210 lost, 140 stored."""
    carried = period(intervals_file, replace(BESS, pool_method="pro_rata"))
    assert carried.tenant_energy_wh["alpha"]["carbon_free_wh"] == 1_300
    assert carried.tenant_cfe_score["alpha"] == "0.6500"
    bess = carried.storage["bess1"]
    assert {party: cf(figures) for party, figures in bess["taken"].items()} == {"tenant:alpha": (1_500, 1_050)}
    assert {party: cf(figures) for party, figures in bess["losses"].items()} == {"tenant:alpha": (300, 210)}
    assert cf(bess["closing"]) == (200, 140)


def test_the_stored_carbon_free_wh_open_the_next_period_and_an_old_pool_opens_with_none(
        intervals_file: Callable[[Rows], str]) -> None:
    """Period 2 (H3) opens from the FIFO closing pool (200 Wh of grid, 80 cf Wh): the battery discharges its 200 Wh
    into alpha's 200 Wh, no grid, so alpha's CFE is 80 of 200, 0.4000. A pool kept before carbon-free Wh were (grams
    only) opens with none: 0.0000."""
    opening = carried_pools(period(intervals_file).storage)
    rows = rows_of({H3: {"TA": 200, "DIS": 200, "GRID1": 0}})
    second = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H3, H4,
                                     options=replace(options(), storage_openings=opening))
    assert (second.tenant_energy_wh["alpha"]["carbon_free_wh"], second.tenant_cfe_score["alpha"]) == (80, "0.4000")
    assert cf(second.storage["bess1"]["opening"]) == (200, 80)
    assert cf(second.storage["bess1"]["closing"]) == (0, 0)
    old = {"bess1": Pool("fifo", (make_lot("grid_import", 200, {"co2e_g_scope2_location": 80}),))}
    before = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H3, H4,
                                     options=replace(options(), storage_openings=old))
    assert (before.tenant_energy_wh["alpha"]["carbon_free_wh"], before.tenant_cfe_score["alpha"]) == (0, "0.0000")


def test_a_takers_cfe_stays_capped_at_its_load(intervals_file: Callable[[Rows], str]) -> None:
    """H0: PV1 1 000 Wh charges the battery (1 000 cf Wh). H1: alpha uses 1 000 Wh, all from the battery, while the
    grid meter reads 1 000 Wh at g = 1 (alpha, the only consumer, has G = 1 000: 1 000 cf Wh of its own). 1 000 +
    1 000 is capped at the 1 000 Wh load: score 1.0000."""
    rows = rows_of({H0: {"PV1": 1_000, "CHG": 1_000}, H1: {"GRID1": 1_000, "TA": 1_000, "DIS": 1_000}})
    result = compute_cycle_emissions(intervals_file(rows), METERS, "ERCT", H0, H2,
                                     options=options(fractions={H0: Decimal(0), H1: Decimal(1)}))
    assert result.storage["bess1"]["taken"]["tenant:alpha"]["carbon_free_wh"] == 1_000
    assert (result.tenant_energy_wh["alpha"]["carbon_free_wh"], result.tenant_cfe_score["alpha"]) == (1_000, "1.0000")


def test_certificates_matched_to_the_charge_count_in_the_takers_scores(intervals_file: Callable[[Rows], str]) -> None:
    """The three-hour campus of test_storage_carried_cycle: the operator's 400 000 Wh certificate (zero-carbon,
    hourly) covers the battery's H0 charge, its only carbon-free energy (PV1 is not declared carbon-free there, no
    grid fraction): 400 000 cf Wh charged, all in the H0 lot. FIFO gives alpha 960 000 of its 1 000 000 Wh
    (384 000 cf Wh) and beta 40 000 (16 000), as the certificate Wh go. Their loads are 2 200 000 and 1 800 000 Wh:
    scores 384 000 / 2 200 000 = 0.17454... -> 0.1745 and 16 000 / 1 800 000 = 0.00888... -> 0.0089 (both 0.0000
    before carbon-free energy went through the battery)."""
    carried = certificate_period(intervals_file)
    bess = carried.storage["bess1"]
    assert bess["charged"]["carbon_free_wh"] == bess["charged"]["certificate_wh"] == 400_000
    assert {party: f["carbon_free_wh"] for party, f in bess["taken"].items()} == \
        {"tenant:alpha": 384_000, "tenant:beta": 16_000}
    assert {t: e["carbon_free_wh"] for t, e in carried.tenant_energy_wh.items()} == {"alpha": 384_000, "beta": 16_000}
    assert carried.tenant_cfe_score == {"alpha": "0.1745", "beta": "0.0089"}


def test_the_storage_export_lists_the_carbon_free_wh_in_a_column_of_its_own(intervals_file: Callable[[Rows], str]
                                                                            ) -> None:
    """The earlier columns keep their place; `carbon_free_wh` comes last and balances like the others."""
    text = export_csv(period(intervals_file), "storage")
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["asset_id", "part", "party", "energy_wh", "certificate_wh"] and header[-1] == "carbon_free_wh"
    values = {(row.split(",")[1], row.split(",")[2]): int(row.split(",")[-1]) for row in text.splitlines()[1:]}
    assert values == {("opening", ""): 0, ("charged", ""): 1_400, ("taken", "tenant:alpha"): 1_200,
                      ("losses", "tenant:alpha"): 120, ("closing", ""): 80}


def rule_carbon_free_wh(rows: Sequence[tuple[str, datetime, int, int, int]], fractions: dict[datetime, Decimal]
                        ) -> dict[str, int]:
    """The CFE rule worked with Fractions, for tenants without a battery: in each hour S = PV1 x L / load (no export),
    G = grid x L / load, CFE_h = min(S + g x G, L); summed and rounded half-even."""
    by_hour: dict[datetime, dict[str, int]] = {}
    for meter, hour, _, energy_wh, _ in rows:
        by_hour.setdefault(hour, {})[meter] = energy_wh
    totals = {"alpha": Fraction(0), "beta": Fraction(0)}
    for hour, wh in by_hour.items():
        loads = {"alpha": wh.get("TA", 0), "beta": wh.get("TB", 0)}
        load = sum(loads.values())
        for tenant, tenant_wh in loads.items():
            if tenant_wh:
                share = Fraction(tenant_wh, load)
                own = wh.get("PV1", 0) * share + Fraction(fractions[hour]) * wh.get("GRID1", 0) * share
                totals[tenant] += min(own, Fraction(tenant_wh))
    return {tenant: int((Decimal(total.numerator) / Decimal(total.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN)) for tenant, total in totals.items()}


@given(campus_hours(), st.sampled_from(["fifo", "pro_rata"]), st.integers(0, 100))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_carbon_free_wh_are_conserved_and_without_a_battery_the_rule_is_unchanged(
        intervals_file: Callable[[Rows], str], rows: Rows, method: str, percent: int) -> None:
    """Generated campuses (solar carbon-free, the grid g% carbon-free, rising by 7 points an hour): opening + charged
    = taken + losses + closing carbon-free Wh; no hour charges more carbon-free Wh than energy; the battery has no
    score. Without the battery read, each tenant's carbon-free Wh are the rule's worked with Fractions (within 1 Wh:
    the engine's 60-digit Decimal may round the other way at an exact half)."""
    hours = sorted({row[1] for row in rows})
    fractions = {hour: Decimal(min(100, percent + 7 * index)) / 100 for index, hour in enumerate(hours)}
    end = hours[-1] + timedelta(hours=1)
    uri = intervals_file(rows)
    carried = compute_cycle_emissions(uri, METERS, "ERCT", H0, end,
                                      options=options(replace(BESS, pool_method="fifo" if method == "fifo"
                                                              else "pro_rata"), fractions))
    bess = carried.storage["bess1"]
    handed = sum(f["carbon_free_wh"] for part in ("taken", "losses") for f in bess[part].values())
    assert bess["opening"]["carbon_free_wh"] + bess["charged"]["carbon_free_wh"] == \
        handed + bess["closing"]["carbon_free_wh"]
    assert 0 <= bess["charged"]["carbon_free_wh"] <= bess["charged"]["energy_wh"]
    assert set(carried.tenant_cfe_score) == {"alpha", "beta"}
    plain = compute_cycle_emissions(uri, METERS, "ERCT", H0, end, options=options(None, fractions))
    expected = rule_carbon_free_wh(rows, fractions)
    for tenant, energy in plain.tenant_energy_wh.items():
        assert abs(energy["carbon_free_wh"] - expected[tenant]) <= 1, tenant
