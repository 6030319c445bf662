"""The full engine on the demo campus, hand-worked: a tenant URDB tariff across the DST change, a fixed-price tenant, a PPA
whose escalator steps mid-month, a virtual PPA against corrected hub prices, shared cooling split by contracted
capacity and turbine fuel split by energy share (both conserving their totals), versioned contracts, and the
energy balance. Every expected figure is worked out in the comments, not taken from the engine."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rfc8785
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from market_adapters.prices import PRICE_SCHEMA
from settlement import record_settlement, settle_cycle
from settlement.contracts import add_contract_version, contract_history
from tests.integration.settlement.settlement_demo import (
    DemoCampus,
    add_fixed_price,
    march_2026_utc,
    write_intervals,
)

ON_PEAK = [[1 if 14 <= hour < 18 else 0 for hour in range(24)] for _ in range(12)]
OFF_PEAK = [[0] * 24 for _ in range(12)]
ALPHA_TARIFF = {"name": "Campus TOU", "energyratestructure": [[{"rate": 0.10}], [{"rate": 0.20}]],
                "energyweekdayschedule": ON_PEAK, "energyweekendschedule": OFF_PEAK,
                "flatdemandstructure": [[{"rate": 5}]], "flatdemandmonths": [0] * 12,
                "fixedchargefirstmeter": 100, "fixedchargeunits": "$/month"}

ROWS = [
    ("ALPHA-1", march_2026_utc(10, 19), 100_000),   # Tue 14:00 CDT: on-peak (13:00, off-peak, if DST ignored)
    ("ALPHA-1", march_2026_utc(2, 20), 50_000),     # Mon 14:00 CST: on-peak
    ("ALPHA-2", march_2026_utc(10, 8), 200_000),    # Tue 03:00 CDT: off-peak
    ("BETA-1", march_2026_utc(4, 12), 1_000_000),
    ("GAMMA-1", march_2026_utc(20, 12), 500_000),
    ("COOL1", march_2026_utc(15, 12), 1_000_000),
    ("GT1", march_2026_utc(2, 12), 4_000_000),
    ("GT1-FUEL", march_2026_utc(2, 12), 29_307_107),  # heat, Wh thermal: exactly 100 MMBtu
    ("PV1", march_2026_utc(14, 12), 1_000_000),     # Mar 14 06:00 CDT: contract year 2
    ("PV1", march_2026_utc(16, 12), 2_000_000),     # Mar 16 07:00 CDT: contract year 3
    ("GRID1", march_2026_utc(3, 1), 200_000),
    ("EXP1", march_2026_utc(3, 2), 100_000),
]


def price_file(path: Path) -> Path:
    """HB_NORTH real-time hourly: $25 at Mar 14 12:00Z; Mar 16 12:00Z published at $55, corrected to $50 (v2)."""
    def row(start: datetime, lmp: str, version: int) -> dict[str, Any]:
        return {"iso": "ERCOT", "market": "RT", "node": "HB_NORTH", "interval_start_utc": start,
                "interval_minutes": 60, "lmp_usd_per_mwh": Decimal(lmp), "energy_usd_per_mwh": None,
                "congestion_usd_per_mwh": None, "loss_usd_per_mwh": None, "publish_time_utc": None,
                "version": version}
    rows = [row(march_2026_utc(14, 12), "25", 1), row(march_2026_utc(16, 12), "55", 1),
            row(march_2026_utc(16, 12), "50", 2)]
    pq.write_table(pa.Table.from_pylist(rows, schema=PRICE_SCHEMA), path)
    return path


def _contracts(engine: Engine, campus_id: str) -> None:
    add_fixed_price(engine, campus_id, "alpha", 1, "2026-01-01", "70")
    add_fixed_price(engine, campus_id, "beta", 1, "2026-01-01", "60")
    add_fixed_price(engine, campus_id, "gamma", 1, "2026-01-01", "45.5")
    with engine.begin() as conn:
        def add(key: str, kind: str, tenant: str | None, effective: date, terms: dict[str, Any]) -> None:
            add_contract_version(conn, campus_id, key, kind, tenant, effective, terms)
        add("alpha-tariff", "urdb_tariff", "alpha", date(2026, 1, 1), {"urdb": ALPHA_TARIFF})
        add("alpha-tariff", "urdb_tariff", "alpha", date(2026, 4, 1), {"urdb": {**ALPHA_TARIFF,
                                                                                 "fixedchargefirstmeter": 999}})
        add("alloc-shared", "allocation", None, date(2026, 1, 1),
            {"pool": "shared_consumption", "method": "fixed", "price_usd_per_mwh": "50",
             "fixed_shares": {"alpha": "1", "beta": "0", "gamma": "0"}})
        add("alloc-shared", "allocation", None, date(2026, 2, 1),
            {"pool": "shared_consumption", "method": "capacity", "price_usd_per_mwh": "50",
             "capacity_kw": {"alpha": "5000", "beta": "3000", "gamma": "2000"}})
        add("alloc-fuel", "allocation", None, date(2026, 1, 1),
            {"pool": "turbine_fuel", "method": "energy", "fuel_price_usd_per_mmbtu": "3"})
        add("gamma-ppa", "ppa", "gamma", date(2024, 3, 15),
            {"meter_ids": ["PV1"], "form": "fixed", "price_usd_per_mwh": "30", "first_delivery": "2024-03-15",
             "escalator_fraction_per_year": "0.02", "recs_bundled": True})
        add("beta-vppa", "vppa", "beta", date(2026, 1, 1),
            {"meter_ids": ["PV1"], "strike_usd_per_mwh": "40", "node": "HB_NORTH", "market": "RT"})


def test_full_engine_month_matches_hand_worked_lines(engine: Engine, demo_campus: DemoCampus,
                                                     tmp_path: Path) -> None:
    """alpha (tariff v1; v2 starts in April): off-peak 200 kWh x 0.10 = $20, on-peak 150 kWh x 0.20 = $30 (one
    line per TOU period); peak 200 kW x $5 = $1,000; fixed $100.
    Fuel: 29,307,107 Wh / 293,071.07 = 100 MMBtu x $3 = $300,000,000 micro, by energy 350k : 1,000k : 500k
    = 7 : 20 : 10 of 37 -> 56,756,756 r28/37, 162,162,162 r6/37, 81,081,081 r3/37; one micro left goes to alpha.
    Cooling 1,000,000 Wh by capacity 5 : 3 : 2 (shared v2; v1 gave all to alpha) at $50 -> $25 / $15 / $10.
    beta v0: 1 MWh x $60. VPPA strike $40 on PV1: 1 MWh x (40 - 25) + 2 MWh x (40 - 50, corrected) = -$5.
    gamma v0: 0.5 MWh x $45.5 = $22.75. PPA: year 2 1 MWh x 30 x 1.02 = $30.60; year 3 2 MWh x 31.212 = $62.424;
    RECs 3 MWh, $0."""
    _contracts(engine, demo_campus.campus_id)
    with engine.begin() as conn:
        result = settle_cycle(conn, demo_campus.campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                              demo_campus.period_end_utc, str(write_intervals(tmp_path / "m.parquet", ROWS)),
                              prices_uris=[str(price_file(tmp_path / "p.parquet"))])
    got = [(line.tenant_id, line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines]
    assert got == [
        ("alpha", "tariff.energy.p0", 200_000, 20_000_000),
        ("alpha", "tariff.energy.p1", 150_000, 30_000_000),
        ("alpha", "tariff.demand_flat.p0", 200_000, 1_000_000_000),  # quantity in W
        ("alpha", "tariff.fixed", 1, 100_000_000),
        ("alpha", "allocation.turbine_fuel", 1, 56_756_757),
        ("alpha", "allocation.shared_consumption", 500_000, 25_000_000),
        ("beta", "v0.supply_price", 1_000_000, 60_000_000),
        ("beta", "allocation.turbine_fuel", 1, 162_162_162),
        ("beta", "allocation.shared_consumption", 300_000, 15_000_000),
        ("beta", "vppa.cfd", 3_000_000, -5_000_000),
        ("gamma", "v0.supply_price", 500_000, 22_750_000),
        ("gamma", "allocation.turbine_fuel", 1, 81_081_081),
        ("gamma", "allocation.shared_consumption", 200_000, 10_000_000),
        ("gamma", "ppa.fixed.year2", 1_000_000, 30_600_000),
        ("gamma", "ppa.fixed.year3", 2_000_000, 62_424_000),
        ("gamma", "ppa.recs_bundled", 3_000_000, 0),
    ]
    assert [line.line_no for line in result.lines] == list(range(1, 17))
    assert result.contract_versions["alpha-tariff"] == 1 and result.contract_versions["alloc-shared"] == 2
    balance = result.energy_balance
    assert (balance.generation_wh, balance.tenant_consumption_wh, balance.losses_wh) == (7_000_000, 1_850_000,
                                                                                        4_250_000)
    assert set(result.price_sha256_hex) == {"HB_NORTH|RT"}
    with engine.begin() as conn:
        record_settlement(conn, demo_campus.cycle_id, result)
        stored = conn.execute(text("SELECT count(*), sum(amount_usd_micros) FROM settlement_line WHERE cycle_id = :c"),
                              {"c": demo_campus.cycle_id}).one()
    assert tuple(stored) == (16, sum(amount for *_, amount in got))
    with engine.connect() as conn:
        units = conn.execute(text("SELECT unit, count(*) FROM settlement_line_full WHERE cycle_id = :c GROUP BY unit"
                                  " ORDER BY unit"), {"c": demo_campus.cycle_id}).all()
    assert [tuple(row) for row in units] == [("MWh", 10), ("REC-MWh", 1), ("USD", 3), ("kW-month", 1), ("month", 1)]


def test_contract_versions_are_append_only(engine: Engine, demo_campus: DemoCampus) -> None:
    """Updating or deleting a stored contract version is refused by the database; amendments add versions."""
    _contracts(engine, demo_campus.campus_id)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE settlement_contract SET effective_from = effective_from - 1 WHERE campus_id = :c"),
                     {"c": demo_campus.campus_id})
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT contract_key, max(version) FROM settlement_contract WHERE campus_id = :c"
                                     " GROUP BY contract_key ORDER BY 1"), {"c": demo_campus.campus_id}).all()
    assert [tuple(v) for v in versions] == [("alloc-fuel", 1), ("alloc-shared", 2), ("alpha-tariff", 2),
                                            ("beta-vppa", 1), ("gamma-ppa", 1)]


def _settle_under_campus_tariff(engine: Engine, demo_campus: DemoCampus, tmp_path: Path, campus_rate: dict):
    """v0 supply contracts for the three tenants, `campus_rate` as the campus utility tariff split by the two
    named system peaks, and beta's extra 50 kWh in the second peak hour: the settled result."""
    for tenant in ("alpha", "beta", "gamma"):
        add_fixed_price(engine, demo_campus.campus_id, tenant, 1, "2026-01-01", "50")
    with engine.begin() as conn:
        add_contract_version(conn, demo_campus.campus_id, "campus-utility", "urdb_tariff", None, date(2026, 1, 1),
                             {"urdb": campus_rate})
        add_contract_version(conn, demo_campus.campus_id, "alloc-grid", "allocation", None, date(2026, 1, 1),
                             {"pool": "grid_tariff", "method": "coincident_peak",
                              "peak_intervals_utc": ["2026-03-02T20:00:00Z", "2026-03-10T14:00:00-05:00"]})
    rows = [*ROWS, ("BETA-2", march_2026_utc(10, 19), 50_000)]
    with engine.begin() as conn:
        return settle_cycle(conn, demo_campus.campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                            demo_campus.period_end_utc, str(write_intervals(tmp_path / "g.parquet", rows)))


def test_campus_utility_bill_split_by_named_system_peaks(engine: Engine, demo_campus: DemoCampus,
                                                          tmp_path: Path) -> None:
    """Campus tariff on GRID1: 200 kWh x $0.05 = $10 + $30/month = $40. Split by the tenants' load in the two named
    system-peak hours (Mar 2 20:00Z, Mar 10 19:00Z): alpha 50,000 + 100,000 Wh, beta 50,000 Wh, gamma 0 ->
    3 : 1 : 0 -> $30 / $10 / $0. No shared-consumption contract, so cooling follows the v0 rule (energy share at
    each tenant's supply price)."""
    campus_rate = {"energyratestructure": [[{"rate": "0.05"}]], "energyweekdayschedule": OFF_PEAK,
                   "energyweekendschedule": OFF_PEAK, "fixedchargefirstmeter": 30}
    result = _settle_under_campus_tariff(engine, demo_campus, tmp_path, campus_rate)
    grid_lines = [line for line in result.lines if line.clause == "allocation.grid_tariff"]
    assert [(line.tenant_id, line.amount_usd_micros) for line in grid_lines] == [
        ("alpha", 30_000_000), ("beta", 10_000_000), ("gamma", 0)]
    # The input hash follows the written recipe v1 and names both the allocation and the campus tariff behind it.
    with engine.connect() as conn:
        contracts = {c.contract_key: c for c in contract_history(conn, demo_campus.campus_id)}
    involved = [contracts["alloc-grid"], contracts["campus-utility"]]
    recipe = {"v": "1", "intervals": result.intervals_sha256_hex, "prices": "",
              "contract": "|".join(f"settlement_contract:{c.contract_version_id}:{c.contract_key}:v{c.version}"
                                   for c in involved),
              "contract_sha256": "|".join(c.terms_sha256_hex for c in involved)}
    assert grid_lines[0].inputs_sha256_hex == hashlib.sha256(rfc8785.dumps(recipe)).hexdigest()
    shared = [line.clause for line in result.lines if "shared" in line.clause]
    assert shared == ["v0.shared_by_energy_share"] * 3


def test_campus_utility_bill_credits_the_export_meter_as_its_own_line(engine: Engine, demo_campus: DemoCampus,
                                                                       tmp_path: Path) -> None:
    """Campus tariff with instantaneous net billing: GRID1 imports 200 kWh x $0.05 = $10, + $30/month = $40;
    EXP1 exports 100 kWh, credited at sell $0.03 = -$3, on a line of its own. Both split by the named system peaks
    3 : 1 : 0 (as above): charges $30 / $10 / $0; export 75 / 25 / 0 kWh and -$2.25 / -$0.75 / $0 at -$30/MWh."""
    campus_rate = {"energyratestructure": [[{"rate": "0.05", "sell": "0.03"}]], "energyweekdayschedule": OFF_PEAK,
                   "energyweekendschedule": OFF_PEAK, "fixedchargefirstmeter": 30,
                   "dgrules": "Net Billing Instantaneous"}
    result = _settle_under_campus_tariff(engine, demo_campus, tmp_path, campus_rate)
    grid = [(line.tenant_id, line.amount_usd_micros) for line in result.lines if line.clause == "allocation.grid_tariff"]
    assert grid == [("alpha", 30_000_000), ("beta", 10_000_000), ("gamma", 0)]
    export = [(line.tenant_id, line.quantity_wh, line.unit, line.rate_usd_per_mwh, line.amount_usd_micros)
              for line in result.lines if line.clause == "allocation.grid_tariff.export"]
    assert export == [("alpha", 75_000, "MWh", Decimal(-30), -2_250_000), ("beta", 25_000, "MWh", Decimal(-30),
                                                                           -750_000), ("gamma", 0, "MWh", 0, 0)]
    with engine.begin() as conn:  # negative rates and amounts are stored as they are
        record_settlement(conn, demo_campus.cycle_id, result)
        stored = conn.execute(text("SELECT sum(amount_usd_micros) FROM settlement_line_full WHERE cycle_id = :c"
                                   " AND clause = 'allocation.grid_tariff.export'"),
                              {"c": demo_campus.cycle_id}).scalar_one()
    assert stored == -3_000_000
