"""Operator Scope 1 without delivered energy, passed to tenants as Scope 3 by a declared key, worked by hand.

10 kg HFC-134a (AR5 GWP 1,300, EPA Hub 2025 Table 11) leaked from a shared chiller, key contracted kW 600:400;
a 100-gallon backup diesel test (Table 1 No. 2: 0.138 MMBtu/gal, 73.96 kg CO2, 3.0 g CH4, 0.60 g N2O per MMBtu)
split 1:1:1 over three tenants as category 8.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from esg.errors import FactorMissing
from esg.reporting import tenant_statement
from esg.scopes import (
    EmissionOptions,
    MeterRef,
    SharedServiceSource,
    carbon_ledger_postings,
    compute_cycle_emissions,
)

H0 = datetime(2025, 7, 1, tzinfo=UTC)
END = H0 + timedelta(hours=1)
METERS = [MeterRef("GRID1", "grid_import")] + [
    MeterRef(f"T{t}", "tenant_consumption", t) for t in ("a", "b", "c")
]
LEAK = SharedServiceSource(
    "chiller-2-2025-07",
    "refrigerant",
    "HFC-134a",
    Decimal(10),
    "kg",
    date(2025, 7, 1),
    "contracted_kw",
    {"a": 600, "b": 400, "c": 0},
)
DIESEL = SharedServiceSource(
    "genset-test-2025-07",
    "fuel",
    "distillate-fuel-oil-no-2",
    Decimal(100),
    "gallon",
    date(2025, 7, 1),
    "equal",
    {"a": 1, "b": 1, "c": 1},
    "cat8_upstream_leased_assets",
)


def run(intervals_file, sources, gwp_set="AR5"):
    uri = intervals_file([("GRID1", H0, 60, 1_000, 0), ("Ta", H0, 60, 1_000, 0)])
    return compute_cycle_emissions(
        uri, METERS, "ERCT", H0, END, options=EmissionOptions(shared_services=sources, gwp_set=gwp_set)
    )


def test_refrigerant_leak_split_by_contracted_kw(intervals_file):
    """10 kg x 1,000 g/kg x 1,300 = 13,000,000 g: a 7,800,000, b 5,200,000, c (no kW) 0; per-gas mass kept."""
    result = run(intervals_file, [LEAK])
    assert result.campus_scope1_shared_services_g_co2e == 10 * 1000 * 1300 == 13_000_000
    assert [result.tenant_g_co2e[t]["scope3_cat1_shared_services"] for t in ("a", "b", "c")] == [
        7_800_000,
        5_200_000,
        0,
    ]
    assert result.gases_g["scope1_shared_services"] == {"HFC-134a": 10_000}
    assert "epa-hub-2025/table11/CH2FCF3" in result.factor_refs
    # The energy-based figures are untouched: Scope 1 of generation stays zero.
    assert result.campus_scope1_g_co2e == 0


def test_backup_diesel_test_split_equally_as_category_8(intervals_file):
    """13.8 MMBtu: 1,020,648 + 28 x 41.4 + 265 x 8.28 = 1,024,001.4 g -> 1,024,001; thirds 341,333.8 -> 341,334,
    341,334, 341,333 (the two units left after flooring go to the first two of three equal remainders)."""
    result = run(intervals_file, [DIESEL])
    mmbtu = Decimal(100) * Decimal("0.138")
    exact = mmbtu * Decimal("73.96") * 1000 + 28 * mmbtu * Decimal("3.0") + 265 * mmbtu * Decimal("0.60")
    assert exact == Decimal("1024001.400")
    assert result.campus_scope1_shared_services_g_co2e == 1_024_001
    assert [result.tenant_g_co2e[t]["scope3_cat8_shared_services"] for t in ("a", "b", "c")] == [
        341_334,
        341_334,
        341_333,
    ]


def test_shared_services_legs_balance_and_appear_on_the_statement(intervals_file):
    """Credit the operator's shared Scope 1, debit each tenant's Scope 3 shared-services account; statement line."""
    result = run(intervals_file, [LEAK, DIESEL])
    legs = {account: amount for account, _, amount in carbon_ledger_postings(result, "c1")}
    assert sum(legs.values()) == 0
    assert legs["campus:c1:emissions:scope1_shared_services"] == -(13_000_000 + 1_024_001)
    assert legs["tenant:a:emissions:scope3_shared_services"] == 7_800_000 + 341_334
    lines = {line.label: line.g_co2e for line in tenant_statement(result, "c").lines}
    assert lines["Scope 3 category 8 (upstream leased assets)"] == 341_333


def test_refrigerant_gwps_exist_only_at_ar5(intervals_file):
    """The library has Table 11 (AR5) for HFCs; an AR6 report with a refrigerant source is refused, not mixed."""
    with pytest.raises(FactorMissing, match="HFC-134a at AR6"):
        run(intervals_file, [LEAK], gwp_set="AR6")
