"""Contracts amended mid-month: the period is cut at the local midnight where the versions in force change,
each interval is priced by the version in force on its local date, and a period without a change settles
exactly as before. Expected money is worked out here with Decimal from the rows, never read back from the
engine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from campus import Tenant
from settlement.engine import CampusSetup, contract_segments
from tests.unit.settlement.partial_period_fixtures import (
    CHICAGO,
    METERS,
    SEPTEMBER_END_UTC,
    SEPTEMBER_START_UTC,
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
SEP_15 = date(2026, 9, 15)
FIRST_HALF = " (2026-09-01 to 2026-09-14, "
SECOND_HALF = " (2026-09-15 to 2026-09-30, "


def test_versions_in_force_follow_the_repository_rule_and_cut_at_local_midnight() -> None:
    """Per key the highest version whose effective_from <= the local day wins (a later-numbered version
    effective on the same day replaces an earlier one; one effective next month changes nothing). A cut on Sep
    15 falls at 00:00 CDT = 05:00 UTC; an amendment effective on the period's first day is no cut at all."""
    history = [contract("k", "allocation", None, JAN_1, {"v": 1}, 1),
               contract("k", "allocation", None, SEP_15, {"v": 2}, 2),
               contract("k", "allocation", None, SEP_15, {"v": 3}, 3),
               contract("k", "allocation", None, date(2026, 10, 1), {"v": 4}, 4),
               contract("other", "allocation", None, date(2026, 9, 1), {"v": 1}, 1)]
    segments = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history, [])
    assert [(s.start_utc, s.end_utc, s.label) for s in segments] == [
        (SEPTEMBER_START_UTC, datetime(2026, 9, 15, 5, tzinfo=UTC), "2026-09-01 to 2026-09-14"),
        (datetime(2026, 9, 15, 5, tzinfo=UTC), SEPTEMBER_END_UTC, "2026-09-15 to 2026-09-30")]
    assert [[(c.contract_key, c.version) for c in s.contracts] for s in segments] == [
        [("k", 1), ("other", 1)], [("k", 3), ("other", 1)]]
    unchanged = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history[-1:], [])
    assert len(unchanged) == 1 and unchanged[0].start_utc == SEPTEMBER_START_UTC


def test_flat_price_amended_on_the_15th_prices_each_half_at_its_version() -> None:
    """alpha's fixed price goes from $40 to $52.5/MWh on Sep 15; beta stays at $60. First half: alpha 1 MWh, beta
    1 MWh, cooling 300 kWh split 1 : 1 by energy. Second half: alpha 2 MWh, beta 0.5 MWh, cooling 625 kWh
    split 4 : 1 = 500 / 125 kWh. Each line names its half and the supply contract version it used. gamma moves
    in next month: no lines."""
    alpha_v1, alpha_v2 = fixed_price("alpha", 1, JAN_1, "40"), fixed_price("alpha", 2, SEP_15, "52.5")
    beta = fixed_price("beta", 1, JAN_1, "60")
    energy = [("A1", september(3, 12), 1_000_000), ("A1", september(20, 12), 2_000_000),
              ("B1", september(5, 12), 1_000_000), ("B1", september(22, 12), 500_000),
              ("COOL", september(10, 12), 300_000), ("COOL", september(25, 12), 625_000),
              ("GRID1", september(2, 1), 5_000_000)]
    not_yet = Tenant("gamma", "G", move_in=date(2026, 10, 1))
    result = settle_full(setup_for([], [alpha_v1, alpha_v2, beta], [not_yet]), energy)
    shared_first = Decimal(300_000) / 2
    shared_alpha_second = Decimal(625_000) * 2_000_000 / 2_500_000
    assert [(line.tenant_id, line.quantity_wh, line.amount_usd_micros) for line in result.lines] == [
        ("alpha", 1_000_000, energy_micros(1_000_000, "40")),
        ("alpha", int(shared_first), energy_micros(int(shared_first), "40")),
        ("alpha", 2_000_000, energy_micros(2_000_000, "52.5")),
        ("alpha", int(shared_alpha_second), energy_micros(int(shared_alpha_second), "52.5")),
        ("beta", 1_000_000, energy_micros(1_000_000, "60")),
        ("beta", int(shared_first), energy_micros(int(shared_first), "60")),
        ("beta", 500_000, energy_micros(500_000, "60")),
        ("beta", 625_000 - int(shared_alpha_second), energy_micros(625_000 - int(shared_alpha_second), "60")),
    ]
    assert [line.line_no for line in result.lines] == list(range(1, 9))
    assert result.lines[0].description == "Metered consumption" + FIRST_HALF + "supply contract v1)"
    assert result.lines[2].description == "Metered consumption" + SECOND_HALF + "supply contract v2)"
    alpha_ids = [alpha_v1.contract_id] * 2 + [alpha_v2.contract_id] * 2
    assert [line.contract_id for line in result.lines[:4]] == alpha_ids
    assert result.tenant_totals_usd_micros == {
        tenant: sum(line.amount_usd_micros for line in result.lines if line.tenant_id == tenant)
        for tenant in ("alpha", "beta")}
    assert result.contract_versions == {"v0:alpha": 1, "v0:alpha@2026-09-15": 2, "v0:beta": 1,
                                       "v0:beta@2026-09-15": 1}
    balance = result.energy_balance  # the whole month, counted once
    assert (balance.grid_import_wh, balance.tenant_consumption_wh, balance.shared_consumption_wh) == (
        5_000_000, 4_500_000, 925_000)


def test_tariff_amended_on_the_15th_bills_each_segment_and_prorates_its_monthly_charges() -> None:
    """gamma's URDB rate: $0.10/kWh, $10/kW flat demand, $300/month; v2 from Sep 15 charges $0.12/kWh. First
    segment (14 of 30 days): 100 kWh in one hour (100 kW) -> $10 energy, 100 kW x $10 x 14/30 = $466.666667,
    $300 x 14/30 = $140. Second (16 days): 150 kWh, peak 90 kW -> $18, 90 x $10 x 16/30 = $480, $160. The two
    fixed parts add up to the month's $300."""
    monthly = {"flatdemandstructure": [[{"rate": "10"}]], "flatdemandmonths": [0] * 12,
               "fixedchargefirstmeter": "300", "fixedchargeunits": "$/month"}
    history = [contract("gamma-tariff", "urdb_tariff", "gamma", JAN_1, {"urdb": urdb("0.10", **monthly)}, 1),
               contract("gamma-tariff", "urdb_tariff", "gamma", SEP_15, {"urdb": urdb("0.12", **monthly)}, 2)]
    fixed_prices = [fixed_price(tenant, 1, JAN_1, "50") for tenant in ("alpha", "beta", "gamma")]
    energy = [("G1", september(4, 10), 100_000), ("G1", september(16, 10), 90_000),
              ("G1", september(17, 10), 60_000)]
    result = settle_full(setup_for(history, fixed_prices), energy)
    assert [line for line in by_clause(result, "gamma") if line[0].startswith("tariff.")] == [
        ("tariff.energy.p0", 100_000, micros(Decimal(100) * Decimal("0.10"))),
        ("tariff.demand_flat.p0", 100_000, micros(Decimal(100) * 10 * 14 / 30)),
        ("tariff.fixed", 1, micros(Decimal(300) * 14 / 30)),
        ("tariff.energy.p0", 150_000, micros(Decimal(150) * Decimal("0.12"))),
        ("tariff.demand_flat.p0", 90_000, micros(Decimal(90) * 10 * 16 / 30)),
        ("tariff.fixed", 1, micros(Decimal(300) * 16 / 30)),
    ]
    fixed = [line for line in result.lines if line.clause == "tariff.fixed"]
    assert sum(line.amount_usd_micros for line in fixed) == 300_000_000
    assert fixed[0].description == ("Tariff Flat fixed 2026-09 prorated 14/30 days" + FIRST_HALF
                                    + "gamma-tariff v1)")
    assert fixed[1].description.endswith("prorated 16/30 days" + SECOND_HALF + "gamma-tariff v2)")


def test_no_change_inside_the_period_settles_exactly_as_before() -> None:
    """The setup the engine had before effective dating (contracts in force at the period start, every tenant
    billed, no segments) and the dated one (an amendment effective on Sep 1 itself, another from October,
    tenants whose occupancy covers the month) give the same result, line for line, field for field.
    Hand-worked: gamma 150 kWh x $0.10 = $15, 100 kW x $10 = $1,000, $300 fixed; cooling 600 kWh split by
    capacity 1 : 2."""
    monthly = {"flatdemandstructure": [[{"rate": "10"}]], "flatdemandmonths": [0] * 12,
               "fixedchargefirstmeter": "300", "fixedchargeunits": "$/month"}
    early = contract("gamma-tariff", "urdb_tariff", "gamma", JAN_1, {"urdb": urdb("0.09", **monthly)}, 1)
    current = contract("gamma-tariff", "urdb_tariff", "gamma", date(2026, 9, 1),
                       {"urdb": urdb("0.10", **monthly)}, 2)
    later = contract("gamma-tariff", "urdb_tariff", "gamma", date(2026, 10, 1),
                     {"urdb": urdb("0.20", **monthly)}, 3)
    shared = contract("alloc-cool", "allocation", None, JAN_1,
                      {"pool": "shared_consumption", "method": "capacity", "price_usd_per_mwh": "50",
                       "capacity_kw": {"alpha": "1000", "beta": "2000"}})
    fixed_prices = [fixed_price(tenant, 1, JAN_1, "50") for tenant in ("alpha", "beta", "gamma")]
    energy = [("G1", september(4, 10), 100_000), ("G1", september(16, 10), 50_000),
              ("A1", september(2, 10), 300_000), ("COOL", september(9, 3), 600_000)]
    before = CampusSetup("sept", CHICAGO, METERS, ["alpha", "beta", "gamma"], [current, shared],
                         {c.tenant_id: c for c in fixed_prices})
    tenants = [Tenant("alpha", "A"), Tenant("beta", "B", move_in=date(2026, 9, 1)),
               Tenant("gamma", "G", move_in=date(2025, 1, 1), move_out=date(2026, 10, 1))]
    dated = setup_for([early, current, later, shared], fixed_prices, tenants)
    assert len(dated.segments) == 1
    result = settle_full(dated, energy)
    assert result == settle_full(before, energy)
    assert by_clause(result, "gamma")[:3] == [
        ("tariff.energy.p0", 150_000, micros(Decimal(150) * Decimal("0.10"))),
        ("tariff.demand_flat.p0", 100_000, micros(Decimal(100) * 10)),
        ("tariff.fixed", 1, micros(Decimal(300)))]
    assert [amount for clause, _, amount in by_clause(result, "alpha") + by_clause(result, "beta")
            if clause == "allocation.shared_consumption"] == [energy_micros(200_000, "50"),
                                                                energy_micros(400_000, "50")]
    assert not any("prorated" in line.description or " to " in line.description for line in result.lines)
