"""Conservation, checked with hypothesis on random campuses: every campus figure equals the sum of its parts.

For each component, tenants plus what the operator retains add up to the campus figure to the gram; the hourly
figures add up to the totals; the carbon legs balance; and each tenant's allocation stays within one gram per
component of its exact share of a single-hour, single-component case worked with Fractions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from esg.factors import load_factor_library
from esg.scopes import (
    EmissionOptions,
    HourlyEnergy,
    MeterRef,
    SharedServiceSource,
    carbon_ledger_postings,
    emissions_from_hourly,
)
from intervals import meter_hour_sums_from_mapping

START = datetime(2025, 7, 1, tzinfo=UTC)
EDITION = load_factor_library().edition("wl-2025.1")
PAIRS = (
    ("scope2_onsite_generation", "campus_scope1_g_co2e"),
    ("scope2_grid_location", "campus_scope2_location_g_co2e"),
    ("scope2_grid_market", "campus_scope2_market_g_co2e"),
    ("scope2_grid_market_hourly", "campus_scope2_market_hourly_g_co2e"),
    ("scope3_cat3", "campus_scope3_cat3_g_co2e"),
)
SHARED_PARTS = ("scope3_cat1_shared_services", "scope3_cat8_shared_services")
energy = st.integers(min_value=0, max_value=50_000_000)


@st.composite
def campuses(draw):
    tenant_count = draw(st.integers(min_value=1, max_value=4))
    hour_count = draw(st.integers(min_value=1, max_value=6))
    meters = [
        MeterRef("FUEL", "fuel"),
        MeterRef("GEN", "generation"),
        MeterRef("GRID", "grid_import"),
        MeterRef("EXP", "export"),
        MeterRef("SH", "shared_consumption"),
    ]
    meters += [MeterRef(f"T{i}", "tenant_consumption", f"t{i}") for i in range(tenant_count)]
    hours = [START + timedelta(hours=h) for h in range(hour_count)]
    by_meter = {m.meter_id: {hour: draw(energy) for hour in hours} for m in meters}
    return meters, hours, by_meter


def build(meters, by_meter) -> HourlyEnergy:
    return HourlyEnergy(meter_hour_sums_from_mapping(by_meter), {m.meter_id: 0 for m in meters}, "00" * 32, (), ())


@st.composite
def shared_sources(draw, tenant_count: int):
    kilograms = draw(st.decimals(min_value=0, max_value=500, places=3, allow_nan=False, allow_infinity=False))
    key = {f"t{i}": draw(st.integers(min_value=0, max_value=1000)) for i in range(tenant_count)}
    category = draw(st.sampled_from(["cat1_purchased_services", "cat8_upstream_leased_assets"]))
    return [
        SharedServiceSource(
            "leak", "refrigerant", "HFC-32", kilograms, "kg", START.date(), "kw", key, category
        )
    ]


@settings(max_examples=60, deadline=None)
@given(campuses(), st.sampled_from(["AR5", "AR6"]), st.data())
def test_tenants_plus_retained_equal_the_campus_for_every_component(campus, gwp_set, data):
    """Σ tenants + Σ retained == campus figure, for Scope 1 (as tenant Scope 2), grid location/market, cat. 3 and
    operator Scope 1 without delivered energy (AR5 only: the library's refrigerant GWPs are AR5)."""
    meters, hours, by_meter = campus
    end = hours[-1] + timedelta(hours=1)
    tenant_count = sum(1 for m in meters if m.tenant_id)
    shared = data.draw(shared_sources(tenant_count)) if gwp_set == "AR5" else []
    options = EmissionOptions(gwp_set=gwp_set, shared_services=shared)
    result = emissions_from_hourly(build(meters, by_meter), meters, "ERCT", (START, end), EDITION, options)
    for part_name, campus_name in PAIRS:
        parts = [figures[part_name] for figures in result.tenant_g_co2e.values()]
        parts += [figures[part_name] for figures in result.retained_g_co2e.values()]
        assert sum(parts) == getattr(result, campus_name), part_name
        assert all(part >= 0 for part in parts)
    shared_parts = [
        f[name]
        for f in (*result.tenant_g_co2e.values(), *result.retained_g_co2e.values())
        for name in SHARED_PARTS
    ]
    assert sum(shared_parts) == result.campus_scope1_shared_services_g_co2e
    assert sum(h.scope1_g_co2e for h in result.hourly) == result.campus_scope1_g_co2e
    assert sum(h.scope2_location_g_co2e for h in result.hourly) == result.campus_scope2_location_g_co2e
    assert sum(amount for _, _, amount in carbon_ledger_postings(result, "c1")) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(energy, min_size=1, max_size=5), st.integers(min_value=1, max_value=50_000_000))
def test_each_tenant_gets_its_exact_grid_share_within_one_gram(tenant_wh, import_wh):
    """One hour, grid only: tenant i gets grams within 1 of campus_g x wh_i / Σ wh (exact Fraction arithmetic)."""
    meters = [MeterRef("GRID", "grid_import")] + [
        MeterRef(f"T{i}", "tenant_consumption", f"t{i}") for i in range(len(tenant_wh))
    ]
    by_meter = {"GRID": {START: import_wh}} | {f"T{i}": {START: wh} for i, wh in enumerate(tenant_wh)}
    result = emissions_from_hourly(
        build(meters, by_meter),
        meters,
        "ERCT",
        (START, START + timedelta(hours=1)),
        EDITION,
        EmissionOptions(),
    )
    rate_g_per_mwh = (Fraction("738.038") + 28 * Fraction("0.043") + 265 * Fraction("0.006")) * Fraction(
        "453.59237"
    )
    campus_exact_g = Fraction(import_wh, 1_000_000) * rate_g_per_mwh
    assert abs(result.campus_scope2_location_g_co2e - campus_exact_g) <= Fraction(1, 2)
    total_wh = sum(tenant_wh)
    for i, wh in enumerate(tenant_wh):
        share_exact_g = campus_exact_g * wh / total_wh if total_wh else Fraction(0)
        assert abs(result.tenant_g_co2e[f"t{i}"]["scope2_grid_location"] - share_exact_g) < Fraction(3, 2)
