"""Issue 18, emissions in the cycle: the campus file's ESG settings, the Scope 2 hierarchy per tenant and hour,
shared loads following the MWh billed, diesel test runs with their upstream, the per-tenant split of Scope 3.3,
a settable grid upstream factor, carbon-free on-site generation and the edition's validity. Worked by hand.

Grid-only ERCT campus unless said otherwise. Hour 0: 1 MWh imported, alpha 0.4, beta 0.4, shared cooling 0.2.
Hour 1: 1 MWh imported, alpha 0.8, beta 0, cooling 0.2. Rates are test values (g CO2e per MWh).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from campus import Meter, MeterRole
from esg.certificates import CertificateClaim, CertificateLot
from esg.errors import EmissionsInputInvalid
from esg.factors import MarketRateRow, load_factor_library, market_rate_from_json, select_rate
from esg.scopes import (
    EmissionOptions,
    MarketRate,
    MeterRef,
    Scope3Conventions,
    allocate_shared_load,
    campus_emission_settings,
    carbon_ledger_postings,
    compute_cycle_emissions,
    fuel_slug_of,
)
from settlement import allocate_largest_remainder

H0 = datetime(2025, 7, 1, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
END = H0 + timedelta(hours=2)
PERIOD = (H0, END)
RESIDUAL = Decimal(400_000)
SUPPLIER_BETA = Decimal(100_000)
METERS = [
    MeterRef("GRID1", "grid_import"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
    MeterRef("COOL", "shared_consumption"),
]
ROWS = [
    ("GRID1", H0, 60, 1_000_000, 0),
    ("GRID1", H1, 60, 1_000_000, 0),
    ("TA", H0, 60, 400_000, 0),
    ("TA", H1, 60, 800_000, 0),
    ("TB", H0, 60, 400_000, 0),
    ("TB", H1, 60, 0, 0),
    ("COOL", H0, 60, 200_000, 0),
    ("COOL", H1, 60, 200_000, 0),
]
RESIDUAL_RATE = MarketRate("residual_mix", "ERCT", RESIDUAL, "market-rate/rm-erct@2024")
BETA_SUPPLIER = MarketRate("supplier", "ERCT", SUPPLIER_BETA, "market-rate/green-tariff@2025", "beta")


def library_row(rate_id: str, kind: str, rate: int, valid_from: date, valid_to: date | None = None,
                zone: str = "ERCT") -> MarketRateRow:
    return MarketRateRow(rate_id, kind, zone, Decimal(rate), "test publisher", "2025", valid_from, valid_to,
                         "Acme Energy" if kind == "supplier" else None)


# Market-based Scope 2: the hierarchy, per tenant, and the method recorded per tenant and hour.


def test_each_tenant_gets_its_own_rate_below_the_instruments_and_the_method_is_recorded(intervals_file) -> None:
    """alpha: 1.2 MWh at the residual mix = 480,000 g; beta: 0.4 MWh at its supplier rate = 40,000 g; the shared
    cooling 0.4 MWh at the residual mix = 160,000 g. Location-based stays the eGRID rate."""
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(market_rates=[RESIDUAL_RATE, BETA_SUPPLIER]))
    assert emissions.tenant_g_co2e["alpha"]["scope2_market"] == 480_000
    assert emissions.tenant_g_co2e["beta"]["scope2_market"] == 40_000
    assert emissions.retained_g_co2e["shared"]["scope2_market"] == 160_000
    assert emissions.campus_scope2_market_g_co2e == 680_000
    assert emissions.tenant_g_co2e["alpha"]["scope2_location"] != emissions.tenant_g_co2e["alpha"]["scope2_market"]
    methods = emissions.market_methods
    assert methods["tenant:alpha"]["fallback_method"] == "residual_mix"
    assert methods["tenant:alpha"]["fallback_ref"] == "market-rate/rm-erct@2024"
    assert methods["tenant:alpha"]["annual_wh"] == {"residual_mix": 1_200_000}
    assert methods["tenant:beta"]["annual_wh"] == {"supplier": 400_000}
    assert methods["tenant:beta"]["hours"] == [[H0.isoformat(), 1, "supplier"], [H1.isoformat(), 1, "none"]]
    assert methods["tenant:alpha"]["hours"] == [[H0.isoformat(), 2, "residual_mix"]]
    assert {"market-rate/rm-erct@2024", "market-rate/green-tariff@2025"} <= set(emissions.factor_refs)
    assert emissions.data_quality["tenant:beta:scope2_market"] == "measured"


def test_without_any_rate_the_grid_average_is_used_and_flagged_default(intervals_file) -> None:
    """Quality Criterion 8: no residual mix exists, so market-based equals location-based, flagged `default`."""
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END)
    alpha = emissions.tenant_g_co2e["alpha"]
    assert alpha["scope2_market"] == alpha["scope2_location"]
    assert emissions.market_methods["tenant:alpha"]["fallback_method"] == "grid_average"
    assert emissions.data_quality["tenant:alpha:scope2_market"] == "default"


def test_a_campus_supplier_rate_comes_before_the_residual_mix(intervals_file) -> None:
    """Supplier-specific rate (250,000 g/MWh) above the residual mix: alpha's 1.2 MWh = 300,000 g."""
    supplier = MarketRate("supplier", "ERCT", Decimal(250_000), "market-rate/acme-2025@2025")
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(market_rates=[RESIDUAL_RATE, supplier]))
    assert emissions.tenant_g_co2e["alpha"]["scope2_market"] == 300_000
    assert emissions.market_methods["tenant:alpha"]["fallback_method"] == "supplier"


def test_hourly_matching_fills_an_unmatched_hour_with_the_residual_mix_not_the_grid_average(intervals_file) -> None:
    """A zero-carbon granular certificate covers alpha's 0.4 MWh in hour 0; hour 1's 0.8 MWh is priced at the
    residual mix: 320,000 g hourly, and the same annually (0.4 of 1.2 MWh covered)."""
    lot = CertificateLot("gc-h0", "GC", "solar", "ERCT", H0, H1, 400_000, 0, "test")
    claim = CertificateClaim("c-h0", "gc-h0", "tenant:alpha", 400_000, H0, H1)
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(claims=[(lot, claim)], market_rates=[RESIDUAL_RATE]))
    alpha = emissions.tenant_g_co2e["alpha"]
    assert alpha["scope2_market_hourly"] == 320_000
    assert alpha["scope2_market"] == 320_000
    methods = emissions.market_methods["tenant:alpha"]
    assert methods["hours"] == [[H0.isoformat(), 1, "instrument"], [H1.isoformat(), 1, "residual_mix"]]
    assert methods["hourly_wh"] == {"instrument": 400_000, "residual_mix": 800_000}


def test_an_hour_partly_covered_by_a_granular_certificate_is_recorded_as_such(intervals_file) -> None:
    """0.2 of alpha's 0.4 MWh in hour 0 covered: hour 0 is `instrument+residual_mix`; hourly market-based is
    (0.2 + 0.8) MWh x 400,000 = 400,000 g."""
    lot = CertificateLot("gc-half", "GC", "wind", "ERCT", H0, H1, 200_000, 0, "test")
    claim = CertificateClaim("c-half", "gc-half", "tenant:alpha", 200_000, H0, H1)
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(claims=[(lot, claim)], market_rates=[RESIDUAL_RATE]))
    assert emissions.tenant_g_co2e["alpha"]["scope2_market_hourly"] == 400_000
    assert emissions.market_methods["tenant:alpha"]["hours"] == [
        [H0.isoformat(), 1, "instrument+residual_mix"], [H1.isoformat(), 1, "residual_mix"]]
    assert emissions.market_methods["tenant:beta"]["hours"] == [[H0.isoformat(), 1, "residual_mix"],
                                                                 [H1.isoformat(), 1, "none"]]


# Shared loads follow the MWh billed.


def test_shared_load_emissions_follow_the_billed_shares_to_the_gram(intervals_file) -> None:
    """The cooling's 0.4 MWh billed 3:1 to alpha and beta: every figure of the shared party moves by largest
    remainder, tenants + retained still equal the campus figure, and Scope 2 stays on-site + grid."""
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(market_rates=[RESIDUAL_RATE, BETA_SUPPLIER]))
    shared = emissions.retained_g_co2e["shared"]
    moved = allocate_shared_load(emissions, {"alpha": 300_000, "beta": 100_000})
    assert "shared" not in moved.retained_g_co2e
    for name in ("scope2_grid_location", "scope2_grid_market", "scope3_cat3_td_losses"):
        alpha_part, beta_part = allocate_largest_remainder(shared[name], [300_000, 100_000])
        assert moved.tenant_g_co2e["alpha"][name] == emissions.tenant_g_co2e["alpha"][name] + alpha_part
        assert moved.tenant_g_co2e["beta"][name] == emissions.tenant_g_co2e["beta"][name] + beta_part
    assert moved.tenant_g_co2e["alpha"]["scope2_market"] == 480_000 + 120_000
    assert moved.tenant_g_co2e["beta"]["scope2_market"] == 40_000 + 40_000
    for name in ("scope2_location", "scope2_market", "scope2_market_hourly", "scope3_cat3"):
        before = sum(f[name] for f in emissions.tenant_g_co2e.values()) + shared[name]
        assert sum(f[name] for f in moved.tenant_g_co2e.values()) == before
    assert sum(f["scope2_location"] for f in moved.tenant_g_co2e.values()) == moved.campus_scope2_location_g_co2e
    for figures in moved.tenant_g_co2e.values():
        assert figures["scope2_location"] == figures["scope2_onsite_generation"] + figures["scope2_grid_location"]
    assert moved.inputs["shared_load_billed_wh"] == {"alpha": 300_000, "beta": 100_000}
    assert moved.tenant_energy_wh["alpha"]["shared_load_billed_wh"] == 300_000
    legs = carbon_ledger_postings(moved, "c1")
    assert sum(amount for _, _, amount in legs) == 0
    assert not any(":retained:shared" in account for account, _, _ in legs)


def test_the_shared_loads_method_is_shown_to_the_tenants_billed_for_it_and_in_the_report(intervals_file) -> None:
    """The cooling's 0.4 MWh of grid supply (0.2 each hour) were priced at the residual mix; billed 3:1 to alpha and
    beta, its figures moved, and its method rows stay: the report lists them under the shared consumption, and a
    billed tenant's statement names its billed Wh and those rows."""
    from datetime import date as day

    from esg.reporting import ReportContext, build_campus_report, tenant_statement

    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(market_rates=[RESIDUAL_RATE, BETA_SUPPLIER]))
    moved = allocate_shared_load(emissions, {"alpha": 300_000, "beta": 100_000})
    context = ReportContext("c1", "Campus", "Operator LLC", {"alpha": "Alpha Inc.", "beta": "Beta LLC"}, "prep",
                            day(2025, 8, 1), 1)
    section = next(s for s in build_campus_report(moved, context).sections
                   if s.title == "Market-based Scope 2 method per tenant and hour")
    assert ["Shared consumption (billed to tenants)", "residual mix", "0.400", "0.400", "2",
            "market-rate/rm-erct@2024"] in section.tables[0].rows
    assert ["Beta LLC", "supplier-specific rate", "0.400", "0.400", "1", "market-rate/green-tariff@2025"] in \
        section.tables[0].rows
    statement = tenant_statement(moved, "alpha")
    assert statement.shared_load_billed_wh == 300_000
    assert [(r.method, r.annual_wh, r.hours) for r in statement.shared_load_methods] == [("residual_mix", 400_000, 2)]


def test_with_nothing_billed_the_shared_load_stays_with_the_operator(intervals_file) -> None:
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END)
    assert allocate_shared_load(emissions, {}) is emissions
    assert allocate_shared_load(emissions, {"alpha": 0}) is emissions


@pytest.mark.parametrize("weights", [[1, 1, 1], [7, 0, 3], [999_999, 1, 2], [5, 5, 0]])
@pytest.mark.parametrize("shared_g", [0, 1, 2, 1_000_003])
def test_shared_load_split_is_exact_for_any_weights(weights: list[int], shared_g: int) -> None:
    """The property: the moved grams add up to the shared figure whatever the weights, each within 1 g."""
    parts = allocate_largest_remainder(shared_g, weights)
    assert sum(parts) == shared_g
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - shared_g * weight / sum(weights)) < 1


# Diesel test runs, Scope 3.3 per tenant, the grid upstream factor.


def diesel_meters() -> list[Meter]:
    return [
        Meter("GRID1", MeterRole.GRID_IMPORT, "kWh", 60),
        Meter("DG1-FUEL", MeterRole.FUEL, "MMBtu", 60, fuel_type="diesel", generator_meter_id="DG1-GEN"),
        Meter("DG1-GEN", MeterRole.GENERATION, "kWh", 60, fuel_type="diesel"),
        Meter("TA", MeterRole.TENANT, "kWh", 60, tenant_id="alpha"),
    ]


def test_a_diesel_test_run_is_scope1_with_its_well_to_tank_upstream_and_scope3_is_split_per_tenant(
    intervals_file,
) -> None:
    """100 MMBtu of diesel (29,307,107 Wh thermal): Scope 1 = 100 x (73,960 + 28 x 3 + 265 x 0.6) g = 7,420,300 g;
    well-to-tank = 29,307,107 Wh x 0.05913 g/Wh = 1,732,929 g (cat. 3 A). The grid's 0.7 MWh at a declared US
    upstream factor of 50,000 g/MWh = 35,000 g (cat. 3 B)."""
    meters = diesel_meters()
    upstream = library_row("us-upstream-2025", "grid_upstream", 50_000, date(2025, 1, 1))
    settings = campus_emission_settings(meters, {"scope3_upstream_electricity": "library"}, [upstream], "ERCT",
                                        PERIOD, load_factor_library())
    assert settings.options.fuel_type_by_meter == {"DG1-FUEL": "distillate-fuel-oil-no-2"}
    rows = [("GRID1", H0, 60, 700_000, 0), ("DG1-FUEL", H0, 60, 29_307_107, 0), ("DG1-GEN", H0, 60, 300_000, 0),
            ("TA", H0, 60, 1_000_000, 0)]
    refs = [MeterRef(m.meter_id, str(m.role), m.tenant_id) for m in meters]
    emissions = compute_cycle_emissions(intervals_file(rows), refs, "ERCT", H0, END, options=settings.options)
    assert emissions.campus_scope1_g_co2e == 7_420_300
    assert emissions.scope3_cat3_g_co2e["a_upstream_fuels"] == 1_732_929
    assert emissions.scope3_cat3_g_co2e["b_upstream_electricity"] == 35_000
    alpha = emissions.tenant_g_co2e["alpha"]
    assert alpha["scope2_onsite_generation"] == 7_420_300
    assert alpha["scope3_cat3_upstream_fuels"] == 1_732_929
    assert alpha["scope3_cat3_upstream_power"] == 35_000
    assert alpha["scope3_cat3_td_losses"] > 0
    assert alpha["scope3_cat3"] == (alpha["scope3_cat3_upstream_fuels"] + alpha["scope3_cat3_upstream_power"]
                                    + alpha["scope3_cat3_td_losses"] + alpha["scope3_cat3_resold_power"])
    assert "market-rate/us-upstream-2025@2025" in emissions.factor_refs
    assert "epa-hub-2025/table1/distillate-fuel-oil-no-2" in emissions.factor_refs
    assert not any("3 B" in exclusion for exclusion in emissions.exclusions)
    assert emissions.conventions["scope3_upstream_electricity_ref"] == "market-rate/us-upstream-2025@2025"


def test_library_upstream_needs_a_row_for_the_zone_and_period() -> None:
    with pytest.raises(EmissionsInputInvalid, match="no grid_upstream rate for ERCT"):
        campus_emission_settings(diesel_meters(), {"scope3_upstream_electricity": "library"}, [], "ERCT", PERIOD,
                                 load_factor_library())
    with pytest.raises(EmissionsInputInvalid, match="needs a grid upstream rate"):
        Scope3Conventions(upstream_electricity="library")


# Campus settings: fuels, carbon-free generators, named and found rates.


def test_fuel_names_of_the_campus_file_map_to_table_1_and_an_unknown_fuel_names_its_meter() -> None:
    assert fuel_slug_of("natural_gas") == "natural-gas"
    assert fuel_slug_of("Diesel") == "distillate-fuel-oil-no-2"
    meters = [Meter("F1", MeterRole.FUEL, "MMBtu", 60, fuel_type="unobtainium")]
    with pytest.raises(EmissionsInputInvalid) as caught:
        campus_emission_settings(meters, {}, [], "ERCT", PERIOD, load_factor_library())
    assert "meter F1" in str(caught.value) and "fuel_type" in str(caught.value)


def test_carbon_free_generators_make_cfe_scores_non_zero(intervals_file) -> None:
    """A carbon-free solar meter feeding alpha's load: half of alpha's 1 MWh is on-site solar, CFE 0.5000."""
    meters = [Meter("GRID1", MeterRole.GRID_IMPORT, "kWh", 60), Meter("PV1", MeterRole.GENERATION, "kWh", 60,
                                                                       carbon_free=True),
              Meter("TA", MeterRole.TENANT, "kWh", 60, tenant_id="alpha")]
    settings = campus_emission_settings(meters, {}, [], "ERCT", PERIOD, load_factor_library())
    assert settings.options.carbon_free_generation_meter_ids == frozenset({"PV1"})
    rows = [("GRID1", H0, 60, 500_000, 0), ("PV1", H0, 60, 500_000, 0), ("TA", H0, 60, 1_000_000, 0)]
    refs = [MeterRef(m.meter_id, str(m.role), m.tenant_id) for m in meters]
    emissions = compute_cycle_emissions(intervals_file(rows), refs, "ERCT", H0, END, options=settings.options)
    assert emissions.tenant_cfe_score["alpha"] == "0.5000"


def test_rates_named_by_the_campus_file_are_checked_and_the_residual_mix_is_found_by_zone_and_period() -> None:
    old = library_row("rm-erct-2024", "residual_mix", 420_000, date(2024, 1, 1))
    new = library_row("rm-erct-2025", "residual_mix", 400_000, date(2025, 1, 1))
    supplier = library_row("acme-2025", "supplier", 250_000, date(2025, 1, 1), date(2026, 1, 1))
    expired = library_row("acme-2024", "supplier", 260_000, date(2024, 1, 1), date(2025, 1, 1))
    rows = [old, new, supplier, expired]
    library = load_factor_library()
    esg: dict[str, Any] = {"supplier_rate": "acme-2025", "gwp_set": "AR6",
                           "tenant_supplier_rates": [{"tenant": "beta", "rate": "acme-2025"}]}
    settings = campus_emission_settings([], esg, rows, "ERCT", PERIOD, library)
    assert [(r.kind, r.g_co2e_per_mwh, r.tenant_id) for r in settings.options.market_rates] == [
        ("supplier", Decimal(250_000), None), ("supplier", Decimal(250_000), "beta"),
        ("residual_mix", Decimal(400_000), None)]
    assert settings.options.gwp_set == "AR6" and settings.shared_load_follows_billing
    with pytest.raises(EmissionsInputInvalid, match="does not cover"):
        campus_emission_settings([], {"supplier_rate": "acme-2024"}, rows, "ERCT", PERIOD, library)
    with pytest.raises(EmissionsInputInvalid, match="is a residual_mix rate"):
        campus_emission_settings([], {"supplier_rate": "rm-erct-2025"}, rows, "ERCT", PERIOD, library)
    with pytest.raises(EmissionsInputInvalid, match="no market rate 'nope'"):
        campus_emission_settings([], {"residual_mix": "nope"}, rows, "ERCT", PERIOD, library)
    assert select_rate(rows, "residual_mix", "CAMX", PERIOD) is None
    assert campus_emission_settings([], {"shared_load": "operator"}, [], "ERCT", PERIOD,
                                    library).shared_load_follows_billing is False


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "average"}, "kind"),
    ({"g_co2e_per_mwh": "-1"}, "g_co2e_per_mwh"),
    ({"g_co2e_per_mwh": 1.5}, "g_co2e_per_mwh"),
    ({"valid_to": "2024-06-01"}, "valid_to"),
    ({"valid_from": "July"}, "valid_from"),
    ({"rate_id": "Has Spaces"}, "rate_id"),
    ({"source": ""}, "source"),
    ({"colour": "green"}, "colour"),
    ({"kind": "supplier"}, "supplier"),
])
def test_a_bad_market_rate_row_is_refused_naming_its_field(change: dict[str, Any], field: str) -> None:
    item = {"rate_id": "rm-erct-2025", "kind": "residual_mix", "zone": "ERCT", "g_co2e_per_mwh": "400000",
            "source": "Green-e", "edition": "2025", "valid_from": "2025-01-01", **change}
    with pytest.raises(EmissionsInputInvalid) as caught:
        market_rate_from_json(item, "rates.json, item 0")
    assert field in str(caught.value) and "rates.json, item 0" in str(caught.value)


def test_a_market_rate_row_reads_exactly_and_names_its_provenance() -> None:
    row = market_rate_from_json({"rate_id": "rm-erct-2025", "kind": "residual_mix", "zone": "ERCT",
                                 "g_co2e_per_mwh": "401234.5", "source": "Green-e Residual Mix", "edition": "2025",
                                 "valid_from": "2025-01-01", "valid_to": "2026-01-01"})
    assert row.g_co2e_per_mwh == Decimal("401234.5")
    assert row.ref == "market-rate/rm-erct-2025@2025"
    assert row.covers_period(*PERIOD)
    assert not row.covers_period(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC))


def test_shared_services_of_the_campus_file_count_in_the_cycle_holding_their_local_day(intervals_file) -> None:
    """A 10 kg HFC-134a top-up (GWP 1,300: 13,000,000 g) on 1 July, keyed 3:1 to alpha and beta: alpha 9,750,000 g,
    beta 3,250,000 g of Scope 3 cat. 1. In New York, 1 July starts at 04:00 UTC: inside a July cycle
    (04:00 UTC 1 July to 04:00 UTC 1 August), outside June's; an event on 1 August belongs to August."""
    event = {"id": "leak-2025-07", "kind": "refrigerant", "substance": "HFC-134a", "quantity": "10", "unit": "kg",
             "occurred_on": "2025-07-01", "key_name": "contracted kW", "allocation_key": {"alpha": 3, "beta": 1}}
    august = {**event, "id": "leak-2025-08", "occurred_on": "2025-08-01"}
    july = (datetime(2025, 7, 1, 4, tzinfo=UTC), datetime(2025, 8, 1, 4, tzinfo=UTC))
    june = (datetime(2025, 6, 1, 4, tzinfo=UTC), july[0])
    library = load_factor_library()
    settings = campus_emission_settings([], {"shared_services": [event, august]}, [], "ERCT", july, library,
                                        "America/New_York")
    assert [source.source_id for source in settings.options.shared_services] == ["leak-2025-07"]
    assert campus_emission_settings([], {"shared_services": [event]}, [], "ERCT", june, library,
                                    "America/New_York").options.shared_services == []
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END, options=settings.options)
    assert emissions.campus_scope1_shared_services_g_co2e == 13_000_000
    assert emissions.tenant_g_co2e["alpha"]["scope3_cat1_shared_services"] == 9_750_000
    assert emissions.tenant_g_co2e["beta"]["scope3_cat1_shared_services"] == 3_250_000


# The edition's validity and the settlement entry's market-based view.


def test_an_edition_is_refused_for_a_period_it_does_not_cover(intervals_file) -> None:
    """wl-2024.1 (eGRID2022) is valid for 2024; a July 2025 cycle cannot use it."""
    with pytest.raises(EmissionsInputInvalid) as caught:
        compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END, "wl-2024.1")
    assert "wl-2024.1" in str(caught.value) and "does not cover" in str(caught.value)


def test_the_settlement_legs_carry_a_balanced_market_based_view(intervals_file) -> None:
    """Per tenant a `scope2_market` leg beside the location-based one, balanced by one campus source."""
    emissions = compute_cycle_emissions(intervals_file(ROWS), METERS, "ERCT", H0, END,
                                        options=EmissionOptions(market_rates=[RESIDUAL_RATE, BETA_SUPPLIER]))
    legs = {account: amount for account, _, amount in carbon_ledger_postings(emissions, "c1")}
    assert legs["tenant:beta:emissions:scope2_market"] == 40_000
    assert legs["tenant:beta:emissions"] == emissions.tenant_g_co2e["beta"]["scope2_location"] != 40_000
    assert legs["campus:c1:emissions:retained:shared:scope2_market"] == 160_000
    assert legs["campus:c1:emissions:scope2_market"] == -680_000
    assert sum(legs.values()) == 0
