"""Market-based Scope 2 with certificates, a residual mix and deliverability; hourly CFE scores; worked by hand.

Grid-only campus in ERCT. Hour 0: 1 MWh imported, alpha and beta 0.5 MWh each. Hour 1: 1 MWh imported, alpha
1 MWh. Residual mix assumed at 400 kg CO2e/MWh (a test value: Green-e rates are not in the library).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from esg.certificates import CertificateClaim, CertificateLot, CertificateRegistry
from esg.errors import CertificateIneligible, CertificateOverclaimed
from esg.scopes import EmissionOptions, MarketRate, MeterRef, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)
END = H0 + timedelta(hours=2)
RESIDUAL_G_PER_MWH = Decimal(400_000)
METERS = [
    MeterRef("GRID1", "grid_import"),
    MeterRef("TA", "tenant_consumption", "alpha"),
    MeterRef("TB", "tenant_consumption", "beta"),
]


def rows() -> list[tuple[str, datetime, int, int, int]]:
    return [
        ("GRID1", H0, 60, 1_000_000, 0),
        ("GRID1", H1, 60, 1_000_000, 0),
        ("TA", H0, 60, 500_000, 0),
        ("TA", H1, 60, 1_000_000, 0),
        ("TB", H0, 60, 500_000, 0),
        ("TB", H1, 60, 0, 0),
    ]


def registry_with_claims() -> CertificateRegistry:
    registry = CertificateRegistry()
    solar_hour0 = CertificateLot("gc-solar-h0", "GC", "solar", "ERCT", H0, H1, 300_000, 0, "test", "Solar A")
    wind_2025 = CertificateLot(
        "rec-wind-2025",
        "REC",
        "wind",
        "ERCT",
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        800_000,
        0,
        "test",
        "Wind B",
    )
    california = CertificateLot("gc-camx-h0", "GC", "solar", "CAMX", H0, H1, 100_000, 0, "test", "Solar C")
    for lot in (solar_hour0, wind_2025, california):
        registry.register_lot(lot)
    registry.claim(CertificateClaim("c1", "gc-solar-h0", "tenant:alpha", 300_000, H0, H1))
    registry.claim(CertificateClaim("c2", "rec-wind-2025", "tenant:beta", 800_000, H0, END))
    registry.claim(CertificateClaim("c3", "gc-camx-h0", "tenant:alpha", 100_000, H0, H1))
    return registry


def compute(intervals_file, registry: CertificateRegistry):
    options = EmissionOptions(
        claims=registry.claims_between(H0, END),
        market_rates=[MarketRate("residual_mix", "ERCT", RESIDUAL_G_PER_MWH, "test/residual-mix/ERCT")],
    )
    return compute_cycle_emissions(intervals_file(rows()), METERS, "ERCT", H0, END, options=options)


def test_annual_matching_covers_each_beneficiary_only_up_to_its_own_grid_load(intervals_file):
    """alpha: (1.5 - 0.3 MWh) x 400 kg = 480 kg; beta: its 0.5 MWh fully covered by its REC, 0.3 MWh unused."""
    result = compute(intervals_file, registry_with_claims())
    g_per_wh = RESIDUAL_G_PER_MWH / 1_000_000
    assert result.tenant_g_co2e["alpha"]["scope2_grid_market"] == (1_500_000 - 300_000) * g_per_wh == 480_000
    assert result.tenant_g_co2e["beta"]["scope2_grid_market"] == 0
    assert result.campus_scope2_market_g_co2e == 480_000
    rows_by_claim = {row["claim_id"]: row for row in result.instruments}
    assert rows_by_claim["c2"]["applied_annual_wh"] == 500_000
    assert rows_by_claim["c2"]["unused_annual_wh"] == 300_000
    assert result.data_quality["campus_scope2_market"] == "measured"
    assert "test/residual-mix/ERCT" in result.factor_refs


def test_hourly_matching_counts_only_granular_certificates_in_their_own_hour(intervals_file):
    """alpha: 0.2 + 1.0 MWh uncovered = 480 kg; beta's annual REC does not count hourly: 0.5 MWh x 400 kg = 200 kg."""
    result = compute(intervals_file, registry_with_claims())
    assert result.tenant_g_co2e["alpha"]["scope2_grid_market_hourly"] == 480_000
    assert result.tenant_g_co2e["beta"]["scope2_grid_market_hourly"] == 200_000
    assert result.campus_scope2_market_hourly_g_co2e == 680_000


def test_a_certificate_from_another_grid_zone_is_not_applied(intervals_file):
    """Deliverability: the CAMX lot is listed with its reason and covers nothing."""
    result = compute(intervals_file, registry_with_claims())
    camx = next(row for row in result.instruments if row["claim_id"] == "c3")
    assert camx["applied_annual_wh"] == 0
    assert "not deliverable" in camx["not_applied_reason"]


def test_cfe_score_counts_hourly_matched_clean_energy_without_banking(intervals_file):
    """alpha: 0.3 MWh matched in hour 0 of 1.5 MWh load = 0.2000; beta: no hourly certificate, grid CFE unknown = 0."""
    result = compute(intervals_file, registry_with_claims())
    assert result.tenant_energy_wh["alpha"] == {
        "consumption_wh": 1_500_000,
        "grid_wh": 1_500_000,
        "onsite_generation_wh": 0,
        "carbon_free_wh": 300_000,
    }
    assert result.tenant_cfe_score == {"alpha": "0.2000", "beta": "0.0000"}


def test_location_based_figures_ignore_instruments(intervals_file):
    """Certificates change the market-based figure only: location-based is 2 MWh x ERCT 740.832 lb/MWh."""
    result = compute(intervals_file, registry_with_claims())
    expected_g = (
        2 * (Decimal("738.038") + 28 * Decimal("0.043") + 265 * Decimal("0.006")) * Decimal("453.59237")
    )
    assert (
        result.campus_scope2_location_g_co2e
        == int(expected_g.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        == 672_071
    )


def test_registry_refuses_a_second_claim_on_the_same_wh():
    """A lot of 300,000 Wh fully claimed for alpha cannot be claimed again for beta (Quality Criterion 2)."""
    registry = registry_with_claims()
    with pytest.raises(CertificateOverclaimed, match="gc-solar-h0"):
        registry.claim(CertificateClaim("c4", "gc-solar-h0", "tenant:beta", 1, H0, H1))


def test_registry_refuses_a_claim_outside_the_vintage():
    """An hour-0 certificate cannot be used against hour-1 consumption."""
    registry = registry_with_claims()
    registry.register_lot(CertificateLot("gc-h0-b", "GC", "wind", "ERCT", H0, H1, 10, 0, "test"))
    with pytest.raises(CertificateIneligible, match="outside the vintage"):
        registry.claim(CertificateClaim("c5", "gc-h0-b", "tenant:alpha", 10, H1, END))


def test_a_claim_handed_in_outside_its_vintage_is_not_applied(intervals_file):
    """Bypassing the registry does not bypass the vintage rule: an hour-0 GC paired with hour-1 use covers nothing."""
    lot = CertificateLot("gc-h0", "GC", "solar", "ERCT", H0, H1, 500_000, 0, "test")
    claim = CertificateClaim("late", "gc-h0", "tenant:alpha", 500_000, H1, END)
    options = EmissionOptions(claims=[(lot, claim)])
    result = compute_cycle_emissions(intervals_file(rows()), METERS, "ERCT", H0, END, options=options)
    assert (
        result.instruments[0]["not_applied_reason"] == "consumption window is outside the certificate vintage"
    )
    assert result.instruments[0]["applied_hourly_wh"] == 0
    assert result.campus_scope2_market_g_co2e == result.campus_scope2_location_g_co2e


def test_a_declared_deliverable_zone_name_is_accepted(intervals_file):
    """A registry naming the market 'ERCOT' covers ERCT load once that name is declared deliverable."""
    lot = CertificateLot("gc-ercot", "GC", "wind", "ERCOT", H0, H1, 500_000, 0, "registry")
    claim = CertificateClaim("z1", "gc-ercot", "tenant:alpha", 500_000, H0, H1)
    undeclared = EmissionOptions(claims=[(lot, claim)])
    declared = EmissionOptions(claims=[(lot, claim)], deliverable_zones=frozenset({"ERCOT"}))
    uri = intervals_file(rows())
    refused = compute_cycle_emissions(uri, METERS, "ERCT", H0, END, options=undeclared)
    accepted = compute_cycle_emissions(uri, METERS, "ERCT", H0, END, options=declared)
    assert refused.instruments[0]["applied_annual_wh"] == 0
    assert accepted.instruments[0]["applied_hourly_wh"] == 500_000
    assert accepted.tenant_cfe_score["alpha"] == "0.3333"  # 0.5 MWh matched of 1.5 MWh load
