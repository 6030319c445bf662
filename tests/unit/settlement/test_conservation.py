"""Conservation: every split of a total (energy in Wh, money in micro-USD, carbon in grams) adds up to it exactly.

Hand-worked cases first (the micro-dollar a pool used to lose when each tenant's share was priced and rounded on
its own), then properties over random pools and, through the engine, over random small campuses: the tenant
lines of every pool add up to the pool's energy and to the pool's money rounded once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.canonical_json import sha256_hex
from esg.scopes.allocation import allocate_grams
from intervals import MeterIntervals
from settlement import SettlementResult, allocate_largest_remainder, apportion_exact
from settlement.allocation import assert_conserved
from settlement.contracts import CLAUSE_FIXED_PRICE_SHARED, ContractVersion, FixedPriceContract
from settlement.engine import CampusSetup, MeterRef, settle_campus_rows
from settlement.money import energy_amount_usd_micros, pool_energy_amounts_usd_micros
from tests.unit.settlement.partial_period_fixtures import fixed_price, september, settle_full, setup_for

HALF = Decimal("0.5")


def test_three_equal_shares_at_half_a_micro_dollar_each_keep_the_pools_two_micro_dollars() -> None:
    """3 Wh at $0.5/MWh is 1.5 micro-USD, rounded once to 2. Rounding each 1 Wh share alone gives 0.5 -> 0 three
    times (0 in all: the lost micro-dollars); apportioned, the two spare units go to the tied remainders in index
    order: [1, 1, 0]."""
    assert [energy_amount_usd_micros(1, HALF)] * 3 == [0, 0, 0]
    assert pool_energy_amounts_usd_micros([1, 1, 1], [HALF, HALF, HALF]) == [1, 1, 0]


def test_exact_amounts_of_mixed_sign_round_to_their_total_rounded_once() -> None:
    """2.5 - 1.5 + 0.4 = 1.4 -> total 1. Floors 2, -2, 0 sum to 0; one unit left; remainders 0.5, 0.5, 0.4: the
    first index wins the tie -> [3, -2, 0]. A credit mirrors its charge: -0.5 x 3 = -1.5 -> -2 as [-1, -1, 0]."""
    assert apportion_exact([Decimal("2.5"), Decimal("-1.5"), Decimal("0.4")]) == [3, -2, 0]
    assert apportion_exact([-HALF, -HALF, -HALF]) == [-1, -1, 0]
    assert apportion_exact([]) == []


def test_a_broken_split_fails_naming_the_pool() -> None:
    """The engine's invariant is an assertion whose message names the pool and both figures."""
    with pytest.raises(AssertionError, match=r"pool cooling \(Wh\): parts add up to 9, not to the total 10"):
        assert_conserved("pool cooling (Wh)", 10, [4, 5])


def test_shared_consumption_at_fixed_prices_adds_up_to_the_pool_through_the_engine() -> None:
    """Campus of three tenants using 1 Wh each and 3 Wh of shared cooling, every tenant at $0.5/MWh: the shared
    lines carry 1 Wh each and 1, 1, 0 micro-USD (the pool's 1.5 rounded once to 2), not 0, 0, 0."""
    prices = [fixed_price(tenant, 1, date(2026, 1, 1), "0.5") for tenant in ("alpha", "beta", "gamma")]
    hour = september(2, 10)
    result = settle_full(setup_for([], prices), [("A1", hour, 1), ("B1", hour, 1), ("G1", hour, 1),
                                                 ("COOL", hour, 3)])
    shared = [(line.tenant_id, line.quantity_wh, line.amount_usd_micros) for line in result.lines
              if line.clause == CLAUSE_FIXED_PRICE_SHARED]
    assert shared == [("alpha", 1, 1), ("beta", 1, 1), ("gamma", 1, 0)]


weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(any)
totals = st.integers(min_value=-(10**13), max_value=10**13)
prices = st.decimals(min_value=-500, max_value=5000, places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(total_wh=totals, weights=weights)
def test_energy_split_sums_to_the_pool_and_zero_weights_get_nothing(total_wh: int, weights: list[int]) -> None:
    """Property: many tenants, weights with zeros, totals negative (losses can be), zero and positive."""
    parts = allocate_largest_remainder(total_wh, weights)
    assert sum(parts) == total_wh
    assert all(part == 0 for part, weight in zip(parts, weights, strict=True) if weight == 0)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), total_wh=totals, weights=weights)
def test_money_split_of_a_priced_pool_sums_to_the_pool_rounded_once(data: st.DataObject, total_wh: int,
                                                                     weights: list[int]) -> None:
    """Property: the pool's Wh split by weights, each share at its own price (credits included): the micro-USD
    parts add up to the pool's exact amount rounded once, each within one micro-dollar of its exact amount."""
    shares_wh = allocate_largest_remainder(total_wh, weights)
    share_prices = data.draw(st.lists(prices, min_size=len(weights), max_size=len(weights)))
    amounts = pool_energy_amounts_usd_micros(shares_wh, share_prices)
    exact = [Fraction(wh) * Fraction(price) for wh, price in zip(shares_wh, share_prices, strict=True)]
    assert sum(amounts) == round(sum(exact, Fraction(0)))
    assert all(abs(amount - share) < 1 for amount, share in zip(amounts, exact, strict=True))


@settings(max_examples=300, deadline=None)
@given(total_usd_micros=totals, weights=weights)
def test_money_pool_split_sums_to_its_total(total_usd_micros: int, weights: list[int]) -> None:
    """Property: a money pool (a bill, a PPA's cost, a credit) split by weights adds up to the micro-dollar."""
    assert sum(allocate_largest_remainder(total_usd_micros, weights)) == total_usd_micros


grams = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(shares_g=st.lists(grams, min_size=1, max_size=40))
def test_carbon_split_sums_to_the_campus_grams(shares_g: list[Decimal]) -> None:
    """Property: the campus's grams (its exact total rounded half-even once) split among parties by their exact
    shares add up to the gram; a party with no share gets none."""
    exact = {f"tenant:{index:02d}": share for index, share in enumerate(shares_g)}
    total_g = int(sum(shares_g, Decimal(0)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if total_g and not any(share * 1_000_000 >= HALF for share in shares_g):
        return  # every share below half a microgram: nothing to weigh the grams by (refused by design)
    parts = allocate_grams(total_g, exact)
    assert sum(parts.values()) == total_g
    assert all(parts[party] == 0 for party, share in exact.items() if share == 0)


# Through the engine: random small campuses, one quarter-hour, every pool the engine splits.

START_UTC = datetime(2026, 3, 1, tzinfo=UTC)
END_UTC = datetime(2026, 3, 1, 0, 15, tzinfo=UTC)


def _allocation(key: str, terms: dict[str, Any]) -> ContractVersion:
    return ContractVersion(len(key), key, 1, "allocation", None, date(2026, 1, 1), terms, sha256_hex(terms))


def _campus(tenant_count: int, energy_wh: dict[str, int], tenant_prices: list[Decimal],
            contracts: list[ContractVersion]) -> SettlementResult:
    tenants = [f"t{index:02d}" for index in range(tenant_count)]
    meters = [MeterRef("GEN", "generation", None, 15), MeterRef("GRID", "grid_import", None, 15),
              MeterRef("SHARED", "shared_consumption", None, 15), MeterRef("FUEL", "fuel", None, 15)]
    meters += [MeterRef(f"M{tenant}", "tenant_consumption", tenant, 15) for tenant in tenants]
    fixed = {tenant: FixedPriceContract(index + 1, tenant, 1, date(2026, 1, 1), tenant_prices[index])
             for index, tenant in enumerate(tenants)}
    setup = CampusSetup("c", ZoneInfo("UTC"), meters, tenants, contracts, fixed)
    table = pa.table({
        "meter_id": list(energy_wh),
        "channel": ["kwh_delivered"] * len(energy_wh),
        "interval_start_utc": pa.array([START_UTC] * len(energy_wh), pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array(list(energy_wh.values()), pa.int64()),
    })
    return settle_campus_rows(setup, START_UTC, END_UTC, MeterIntervals("q.parquet", "0" * 64, table), {})


def _pool_lines(result: SettlementResult, clause: str) -> tuple[int, int, Fraction]:
    """(Wh, micro-USD, exact micro-USD at each line's own rate) of a pool's lines."""
    lines = [line for line in result.lines if line.clause == clause]
    exact = sum((Fraction(line.quantity_wh) * Fraction(line.rate_usd_per_mwh) for line in lines), Fraction(0))
    return sum(line.quantity_wh for line in lines), sum(line.amount_usd_micros for line in lines), exact


small_wh = st.integers(min_value=0, max_value=10**7)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), tenant_count=st.integers(min_value=1, max_value=9), shared_wh=small_wh,
       generation_wh=small_wh, fuel_wh=small_wh, pool_price=prices, fuel_price=prices,
       method=st.sampled_from(["energy", "fixed", "capacity"]))
def test_every_pool_of_a_random_campus_adds_up_to_the_pool(data: st.DataObject, tenant_count: int, shared_wh: int,
                                                           generation_wh: int, fuel_wh: int, pool_price: Decimal,
                                                           fuel_price: Decimal, method: str) -> None:
    """Property through the engine: shared consumption at fixed prices (no contract) or by an allocation
    contract, losses (negative when meters read more than generation) and turbine fuel, by energy, fixed or
    capacity shares with zeros: each pool's tenant lines add up to its Wh and to its money rounded once."""
    tenant_wh = data.draw(st.lists(small_wh, min_size=tenant_count, max_size=tenant_count).filter(any))
    tenant_prices = data.draw(st.lists(prices, min_size=tenant_count, max_size=tenant_count))
    share_of = data.draw(st.lists(st.integers(min_value=0, max_value=50), min_size=tenant_count,
                                  max_size=tenant_count).filter(any))
    tenants = [f"t{index:02d}" for index in range(tenant_count)]
    shares = {tenant: str(share) for tenant, share in zip(tenants, share_of, strict=True)}
    by_method = {"energy": {}, "fixed": {"fixed_shares": shares}, "capacity": {"capacity_kw": shares}}[method]
    with_contract = data.draw(st.booleans())
    contracts = [_allocation("losses", {"pool": "losses", "method": method, **by_method}),
                 _allocation("fuel", {"pool": "turbine_fuel", "method": method,
                                      "fuel_price_usd_per_mmbtu": str(fuel_price), **by_method})]
    if with_contract:
        contracts.append(_allocation("shared", {"pool": "shared_consumption", "method": method,
                                                "price_usd_per_mwh": str(pool_price), **by_method}))
    energy = {"GEN": generation_wh, "GRID": 0, "SHARED": shared_wh, "FUEL": fuel_wh}
    energy.update({f"M{tenant}": wh for tenant, wh in zip(tenants, tenant_wh, strict=True)})
    result = _campus(tenant_count, energy, tenant_prices, contracts)
    balance = result.energy_balance

    shared_clause = "allocation.shared_consumption" if with_contract else CLAUSE_FIXED_PRICE_SHARED
    for clause, pool_wh in ((shared_clause, balance.shared_consumption_wh), ("allocation.losses", balance.losses_wh)):
        lines_wh, lines_usd_micros, exact_usd_micros = _pool_lines(result, clause)
        assert lines_wh == pool_wh, clause
        assert lines_usd_micros == round(exact_usd_micros), clause
    if with_contract:
        assert _pool_lines(result, shared_clause)[1] == energy_amount_usd_micros(shared_wh, pool_price)
    fuel_lines = [line.amount_usd_micros for line in result.lines if line.clause == "allocation.turbine_fuel"]
    fuel_exact = Fraction(fuel_wh) / Fraction(Decimal("293071.07")) * Fraction(fuel_price) * 1_000_000
    assert sum(fuel_lines) == round(fuel_exact)


def _money_campus(tenant_count: int, energy_wh: dict[str, int], contracts: list[ContractVersion]
                  ) -> SettlementResult:
    tenants = [f"t{index:02d}" for index in range(tenant_count)]
    meters = [MeterRef("GEN", "generation", None, 15), MeterRef("GRID", "grid_import", None, 15),
              MeterRef("EXP", "export", None, 15)]
    meters += [MeterRef(f"M{tenant}", "tenant_consumption", tenant, 15) for tenant in tenants]
    fixed = {tenant: FixedPriceContract(index + 1, tenant, 1, date(2026, 1, 1), Decimal(1))
             for index, tenant in enumerate(tenants)}
    setup = CampusSetup("c", ZoneInfo("UTC"), meters, tenants, contracts, fixed)
    table = pa.table({
        "meter_id": list(energy_wh),
        "channel": ["kwh_delivered"] * len(energy_wh),
        "interval_start_utc": pa.array([START_UTC] * len(energy_wh), pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array(list(energy_wh.values()), pa.int64()),
    })
    return settle_campus_rows(setup, START_UTC, END_UTC, MeterIntervals("q.parquet", "0" * 64, table), {})


kwh_rates = st.decimals(min_value=0, max_value=1, places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), tenant_count=st.integers(min_value=1, max_value=9), generation_wh=small_wh,
       import_wh=small_wh, export_wh=small_wh, ppa_price=prices, buy=kwh_rates, sell=kwh_rates,
       method=st.sampled_from(["energy", "fixed", "capacity"]))
def test_money_pools_of_a_random_campus_add_up_to_the_ppa_cost_and_the_bill(
        data: st.DataObject, tenant_count: int, generation_wh: int, import_wh: int, export_wh: int,
        ppa_price: Decimal, buy: Decimal, sell: Decimal, method: str) -> None:
    """Property through the engine: a campus-bought PPA and the campus's Net Metering utility bill, each shared
    by an allocation: the tenants' `ppa` lines add up to the PPA's cost (generation x price, rounded once), their
    grid-bill lines to the bill's energy charge, and their export lines to its credit (Wh and micro-USD)."""
    tenant_wh = data.draw(st.lists(small_wh, min_size=tenant_count, max_size=tenant_count).filter(any))
    share_of = data.draw(st.lists(st.integers(min_value=0, max_value=50), min_size=tenant_count,
                                  max_size=tenant_count).filter(any))
    tenants = [f"t{index:02d}" for index in range(tenant_count)]
    shares = {tenant: str(share) for tenant, share in zip(tenants, share_of, strict=True)}
    by_method = {"energy": {}, "fixed": {"fixed_shares": shares}, "capacity": {"capacity_kw": shares}}[method]
    schedule = [[0] * 24 for _ in range(12)]
    rate = {"name": "NEM", "energyratestructure": [[{"rate": str(buy), "sell": str(sell)}]],
            "energyweekdayschedule": schedule, "energyweekendschedule": schedule, "dgrules": "Net Metering"}
    ppa = {"meter_ids": ["GEN"], "form": "fixed", "price_usd_per_mwh": str(ppa_price)}
    # Parsed tariff terms are cached by their hash: each example's terms need their own.
    contracts = [
        ContractVersion(1, "pv", 1, "ppa", None, date(2026, 1, 1), ppa, sha256_hex(ppa)),
        ContractVersion(2, "bill", 1, "urdb_tariff", None, date(2026, 1, 1), {"urdb": rate},
                        sha256_hex({"urdb": rate})),
        _allocation("ppa-share", {"pool": "ppa", "method": method, **by_method}),
        _allocation("grid-share", {"pool": "grid_tariff", "method": method, "component": "all", **by_method})]
    energy = {"GEN": generation_wh, "GRID": import_wh, "EXP": export_wh}
    energy.update({f"M{tenant}": wh for tenant, wh in zip(tenants, tenant_wh, strict=True)})
    result = _money_campus(tenant_count, energy, contracts)

    def total(clause: str) -> tuple[int, int]:
        lines = [line for line in result.lines if line.clause == clause]
        return sum(line.quantity_wh for line in lines if line.unit == "MWh"), \
            sum(line.amount_usd_micros for line in lines)

    assert total("allocation.ppa")[1] == energy_amount_usd_micros(generation_wh, ppa_price)
    net_wh = import_wh - export_wh
    # $/kWh on Wh: x 10^6 micro-USD / 10^3 Wh per kWh.
    assert total("allocation.grid_tariff")[1] == (round(Fraction(net_wh) * Fraction(buy) * 1000) if net_wh > 0
                                                  else 0)
    credited_wh = max(0, -net_wh)
    expected_credit = -round(Fraction(credited_wh) * Fraction(sell) * 1000)
    if credited_wh:  # nothing exported net: no export line at all
        assert total("allocation.grid_tariff.export") == (credited_wh, expected_credit)
