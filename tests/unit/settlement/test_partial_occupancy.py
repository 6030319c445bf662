"""Tenants moving in or out mid-month: billed for the days they occupy (monthly fixed and demand charges
prorated by occupied days / days in the month, $/day charges counting the occupied days), capacity and fixed
pool shares weighed by occupied days, and a tenant occupying no day of the period billed nothing at all.
Expected money is worked out here with Decimal, never read back from the engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from campus import Tenant
from common.errors import BadInput
from settlement.engine import CampusSetup
from tests.unit.settlement.partial_period_fixtures import (
    by_clause,
    contract,
    energy_micros,
    fixed_price,
    micros,
    september,
    settle_full,
    setup_for,
    urdb,
)

JAN_1 = date(2026, 1, 1)
FLAT_DEMAND = {"flatdemandstructure": [[{"rate": "10"}]], "flatdemandmonths": [0] * 12}
WH_THERMAL_PER_MMBTU = Decimal("293071.07")


def _moving_in_setup() -> CampusSetup:
    """gamma moves in on Sep 16 under a URDB rate ($0.10/kWh, $10/kW flat demand, $300/month); cooling is
    split by contracted capacity, 5,000 kW each for alpha and gamma, at $50/MWh."""
    gamma_rate = urdb("0.10", **FLAT_DEMAND, fixedchargefirstmeter="300", fixedchargeunits="$/month")
    history = [contract("gamma-tariff", "urdb_tariff", "gamma", JAN_1, {"urdb": gamma_rate}),
               contract("alloc-cool", "allocation", None, JAN_1,
                        {"pool": "shared_consumption", "method": "capacity", "price_usd_per_mwh": "50",
                         "capacity_kw": {"alpha": "5000", "gamma": "5000"}})]
    fixed_prices = [fixed_price("alpha", 1, JAN_1, "50"), fixed_price("beta", 1, JAN_1, "50")]
    return setup_for(history, fixed_prices, [Tenant("gamma", "G", move_in=date(2026, 9, 16))])


def test_tenant_moving_in_on_the_16th_pays_15_of_30_days_of_its_monthly_charges() -> None:
    """gamma occupies Sep 16-30: 15 of September's 30 days. Energy 100 + 60 kWh x $0.10 = $16 (its metered
    energy, whole). Demand is its peak over its days, 100 kW, x $10 x 15/30 = $500; fixed $300 x 15/30 = $150.
    Cooling 900 kWh by capacity x occupied days: alpha 5,000 x 30, gamma 5,000 x 15 -> 2 : 1 = 600 / 300
    kWh."""
    energy = [("G1", september(16, 14), 100_000), ("G1", september(20, 15), 60_000),
              ("A1", september(3, 12), 500_000), ("COOL", september(8, 2), 900_000)]
    result = settle_full(_moving_in_setup(), energy)
    cooling_gamma_wh = int(Decimal(900_000) * (5_000 * 15) / (5_000 * 30 + 5_000 * 15))
    assert by_clause(result, "gamma") == [
        ("tariff.energy.p0", 160_000, micros(Decimal(160) * Decimal("0.10"))),
        ("tariff.demand_flat.p0", 100_000, micros(Decimal(100) * 10 * 15 / 30)),
        ("tariff.fixed", 1, micros(Decimal(300) * 15 / 30)),
        ("allocation.shared_consumption", cooling_gamma_wh, energy_micros(cooling_gamma_wh, "50")),
    ]
    assert by_clause(result, "alpha")[-1] == ("allocation.shared_consumption", 900_000 - cooling_gamma_wh,
                                              energy_micros(900_000 - cooling_gamma_wh, "50"))
    descriptions = [line.description for line in result.lines if line.tenant_id == "gamma"]
    assert descriptions[1:3] == ["Tariff Flat demand flat period 0 2026-09 prorated 15/30 days (100 kW)",
                                 "Tariff Flat fixed 2026-09 prorated 15/30 days"]


def test_energy_metered_before_a_tenant_moves_in_is_refused() -> None:
    """A reading for gamma on Sep 10, before it moves in, would be billed to nobody: the file is refused,
    naming the tenant and the instant."""
    energy = [("G1", september(10, 14), 1_000), ("G1", september(16, 14), 100_000)]
    with pytest.raises(BadInput) as caught:
        settle_full(_moving_in_setup(), energy)
    assert caught.value.field == "interval_start_utc" and "tenant gamma" in caught.value.reason


def test_tenant_moving_out_mid_month_pays_its_days_and_a_moved_out_tenant_nothing() -> None:
    """beta moves out on Sep 11 (billed Sep 1-10, 10 days) under $0.10/kWh, $10/kW flat demand and $2/day.
    Energy 50 + 30 kWh x $0.10 = $8; demand 50 kW x $10 x 10/30 = $166.666667 (rounded once); fixed counts its
    days: 10 x $2 = $20. Turbine fuel, 29,307,107 Wh thermal = 100 MMBtu x $3 = $300, by fixed shares 1/2 :
    1/2 weighed by occupied days 30 : 10 -> $225 / $75. delta (moved out in August) and gamma (moves in in
    October) hold no contract at all, and get no lines rather than a ContractMissing error; delta's named
    share is skipped."""
    beta_rate = urdb("0.10", **FLAT_DEMAND, fixedchargefirstmeter="2", fixedchargeunits="$/day")
    history = [contract("beta-tariff", "urdb_tariff", "beta", JAN_1, {"urdb": beta_rate}),
               contract("alloc-fuel", "allocation", None, JAN_1,
                        {"pool": "turbine_fuel", "method": "fixed", "fuel_price_usd_per_mmbtu": "3",
                         "fixed_shares": {"alpha": "0.5", "beta": "0.5", "delta": "0.25"}})]
    tenants = [Tenant("beta", "B", move_out=date(2026, 9, 11)),
               Tenant("delta", "D", move_out=date(2026, 8, 20)),
               Tenant("gamma", "G", move_in=date(2026, 10, 1))]
    fixed_prices = [fixed_price("alpha", 1, JAN_1, "50"), fixed_price("beta", 1, JAN_1, "50")]
    setup = setup_for(history, fixed_prices, tenants)
    energy = [("B1", september(2, 10), 50_000), ("B1", september(9, 10), 30_000),
              ("FUEL", september(5, 0), 29_307_107)]
    result = settle_full(setup, energy)
    fuel_micros = micros(Decimal(29_307_107) / WH_THERMAL_PER_MMBTU * 3)
    beta_fuel_micros = fuel_micros * (500_000 * 10) // (500_000 * 30 + 500_000 * 10)
    assert by_clause(result, "beta") == [
        ("tariff.energy.p0", 80_000, micros(Decimal(80) * Decimal("0.10"))),
        ("tariff.demand_flat.p0", 50_000, micros(Decimal(50) * 10 * 10 / 30)),
        ("tariff.fixed", 10, micros(Decimal(2) * 10)),
        ("v0.shared_by_energy_share", 0, 0),
        ("allocation.turbine_fuel", 1, beta_fuel_micros),
    ]
    assert by_clause(result, "alpha")[-1] == ("allocation.turbine_fuel", 1, fuel_micros - beta_fuel_micros)
    assert sorted(result.tenant_totals_usd_micros) == ["alpha", "beta"]
    assert {line.tenant_id for line in result.lines} == {"alpha", "beta"}


def test_fixed_prices_bill_only_the_tenants_occupying_the_period() -> None:
    """Under fixed prices beta (moved out on Sep 11) is billed its metered 400 kWh at $60 and its energy share
    of cooling (400 : 600 of 500 kWh = 200 kWh); gamma, gone since August, gets no line and needs no
    contract."""
    tenants = [Tenant("beta", "B", move_out=date(2026, 9, 11)),
               Tenant("gamma", "G", move_out=date(2026, 8, 1))]
    fixed_prices = [fixed_price("alpha", 1, JAN_1, "50"), fixed_price("beta", 1, JAN_1, "60")]
    setup = setup_for([], fixed_prices, tenants)
    energy = [("B1", september(4, 1), 400_000), ("A1", september(20, 1), 600_000),
              ("COOL", september(12, 1), 500_000)]
    result = settle_full(setup, energy)
    assert by_clause(result, "beta") == [("v0.supply_price", 400_000, energy_micros(400_000, "60")),
                                         ("v0.shared_by_energy_share", 200_000, energy_micros(200_000, "60"))]
    assert {line.tenant_id for line in result.lines} == {"alpha", "beta"}
    assert result.contract_versions == {"v0:alpha": 1, "v0:beta": 1}
