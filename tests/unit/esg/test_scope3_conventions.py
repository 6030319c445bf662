"""Scope 3 category 3 convention switches, and the market-based rate hierarchy (PPA, supplier, residual mix).

One hour, 1 MWh imported in ERCT, all used by tenant alpha. ERCT AR5 = 740.832 lb CO2e/MWh x 453.59237 g/lb
= 336,035.74265184 g/MWh; grid gross loss 4.2 %. Worked in Decimal below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from esg.certificates import CertificateClaim, CertificateLot
from esg.scopes import EmissionOptions, MarketRate, MeterRef, Scope3Conventions, compute_cycle_emissions

H0 = datetime(2025, 7, 1, tzinfo=UTC)
END = H0 + timedelta(hours=1)
METERS = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha")]
ERCT_G_PER_MWH = Decimal("336035.74265184")
GGL = Decimal("0.042")


def half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def run(intervals_file, **options):
    uri = intervals_file([("GRID1", H0, 60, 1_000_000, 0), ("TA", H0, 60, 1_000_000, 0)])
    return compute_cycle_emissions(uri, METERS, "ERCT", H0, END, options=EmissionOptions(**options))


def test_td_losses_with_ggl_over_one_minus_ggl_by_default_and_ggl_on_request(intervals_file):
    """Default C = 336,035.74 x 0.042/0.958 = 14,732.30 -> 14,732; switch 'ggl': x 0.042 = 14,113.50 -> 14,114."""
    default = run(intervals_file)
    plain = run(intervals_file, scope3=Scope3Conventions(td_loss_ratio="ggl"))
    assert default.scope3_cat3_g_co2e["c_td_losses"] == half_even(ERCT_G_PER_MWH * GGL / (1 - GGL)) == 14_732
    assert plain.scope3_cat3_g_co2e["c_td_losses"] == half_even(ERCT_G_PER_MWH * GGL) == 14_114
    assert plain.conventions["scope3_td_loss_ratio"] == "ggl"


def test_td_losses_on_the_market_basis_use_the_market_rate(intervals_file):
    """With a residual mix of 400 kg/MWh: 400,000 x 0.042/0.958 = 17,536.53 -> 17,537."""
    result = run(
        intervals_file,
        market_rates=[MarketRate("residual_mix", "ERCT", Decimal(400_000), "test/rm")],
        scope3=Scope3Conventions(td_loss_factor_basis="market"),
    )
    assert result.scope3_cat3_g_co2e["c_td_losses"] == half_even(Decimal(400_000) * GGL / (1 - GGL)) == 17_537


def test_upstream_electricity_proxy_adds_activity_b_and_lifts_the_exclusion(intervals_file):
    """DESNZ 2024 WTT UK electricity 0.0459 + 0.00397 kg/kWh = g/Wh: 1,000,000 Wh x 0.04987 = 49,870 g."""
    result = run(intervals_file, scope3=Scope3Conventions(upstream_electricity="desnz_uk_proxy"))
    assert (
        result.scope3_cat3_g_co2e["b_upstream_electricity"]
        == 1_000_000 * (Decimal("0.0459") + Decimal("0.00397"))
        == 49_870
    )
    assert not any("cat. 3 B" in exclusion for exclusion in result.exclusions)
    assert "desnz-2024-v1.1/flat/15_917_4000_5_1" in result.factor_refs
    assert result.tenant_g_co2e["alpha"]["scope3_cat3"] == 49_870 + 14_732


def test_resold_grid_power_is_activity_d_for_the_operator_only(intervals_file):
    """Operator as retailer: D = 1 MWh x 336,035.74 g -> 336,036, retained by the operator, not passed to alpha."""
    result = run(intervals_file, scope3=Scope3Conventions(operator_resells_grid_power=True))
    assert result.scope3_cat3_g_co2e["d_resold_electricity"] == 336_036
    assert result.retained_g_co2e["resold"]["scope3_cat3"] == 336_036
    assert result.tenant_g_co2e["alpha"]["scope3_cat3"] == 14_732


def test_ppa_attribute_then_supplier_rate_ahead_of_residual_mix(intervals_file):
    """0.5 MWh PPA at 100 kg/MWh + 0.5 MWh at the supplier's 300 kg/MWh (residual 400 ignored) = 200,000 g."""
    lot = CertificateLot("ppa-1", "PPA", "gas-ccgt", "ERCT", H0, END, 500_000, 100_000, "contract", "CCGT X")
    claim = CertificateClaim("p1", "ppa-1", "tenant:alpha", 500_000, H0, END)
    rates = [
        MarketRate("residual_mix", "ERCT", Decimal(400_000), "test/rm"),
        MarketRate("supplier", "ERCT", Decimal(300_000), "test/supplier"),
    ]
    result = run(intervals_file, claims=[(lot, claim)], market_rates=rates)
    assert (
        result.tenant_g_co2e["alpha"]["scope2_grid_market"]
        == 500_000 * 100_000 // 1_000_000 + 500_000 * 300_000 // 1_000_000
    )
    assert result.campus_scope2_market_g_co2e == 200_000
    assert "test/supplier" in result.factor_refs and "test/rm" not in result.factor_refs
    # A PPA from a fossil plant conveys no carbon-free energy: the CFE score stays 0.
    assert result.tenant_cfe_score["alpha"] == "0.0000"
