"""settle_cycle on the demo campus (March 2026, Chicago, 31 days) with a mid-month amendment and tenants
moving in and out, read from the database: contract versions from `contract` and `settlement_contract`,
occupancy from the tenant rows. Every expected figure is worked out here, not taken from the engine; the
result is then recorded."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from settlement import record_settlement, settle_cycle
from settlement.contracts import add_contract_version
from tests.integration.settlement.settlement_demo import (
    DemoCampus,
    add_fixed_price,
    add_tenant,
    march_2026_utc,
    set_occupancy,
    write_intervals,
)
from tests.integration.settlement.test_settle_cycle_full import OFF_PEAK

GAMMA_RATE = {"name": "Gamma flat", "energyratestructure": [[{"rate": "0.10"}]],
              "energyweekdayschedule": OFF_PEAK, "energyweekendschedule": OFF_PEAK,
              "flatdemandstructure": [[{"rate": "10"}]], "flatdemandmonths": [0] * 12,
              "fixedchargefirstmeter": "310", "fixedchargeunits": "$/month"}
ROWS = [
    ("ALPHA-1", march_2026_utc(5, 12), 1_000_000),   # first half: v1, $40
    ("ALPHA-1", march_2026_utc(20, 12), 2_000_000),  # second half: v2, $52
    ("BETA-1", march_2026_utc(4, 12), 500_000),      # beta leaves on Mar 11
    ("GAMMA-1", march_2026_utc(17, 19), 100_000),    # gamma from Mar 16: 100 kW, its peak
    ("GAMMA-2", march_2026_utc(25, 12), 60_000),
    ("COOL1", march_2026_utc(10, 12), 800_000),
    ("COOL1", march_2026_utc(22, 12), 700_000),
    ("GRID1", march_2026_utc(3, 1), 5_000_000),
]


def _micros(amount_usd: Decimal) -> int:
    return int((amount_usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    parts = [total * weight // sum(weights) for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % sum(weights)), i))
    for index in order[:total - sum(parts)]:
        parts[index] += 1
    return parts


def _campus(engine: Engine, campus: DemoCampus) -> None:
    """alpha's supply price $40, amended to $52 from Mar 16; beta $60, moving out on Mar 11; gamma under a
    URDB rate from its move-in on Mar 16; delta left in February and has no contract at all. Cooling by
    capacity 5 : 3 : 2."""
    add_fixed_price(engine, campus.campus_id, "alpha", 1, "2026-01-01", "40")
    add_fixed_price(engine, campus.campus_id, "alpha", 2, "2026-03-16", "52")
    add_fixed_price(engine, campus.campus_id, "beta", 1, "2026-01-01", "60")
    set_occupancy(engine, campus.campus_id, "beta", None, "2026-03-11")
    set_occupancy(engine, campus.campus_id, "gamma", "2026-03-16", None)
    add_tenant(engine, campus.campus_id, "delta", "2025-06-01", "2026-02-20")
    with engine.begin() as conn:
        add_contract_version(conn, campus.campus_id, "gamma-tariff", "urdb_tariff", "gamma", date(2026, 1, 1),
                             {"urdb": GAMMA_RATE})
        add_contract_version(conn, campus.campus_id, "alloc-cool", "allocation", None, date(2026, 1, 1),
                             {"pool": "shared_consumption", "method": "capacity", "price_usd_per_mwh": "50",
                              "capacity_kw": {"alpha": "5000", "beta": "3000", "gamma": "2000",
                                              "delta": "1000"}})


def test_amendment_and_moves_mid_month_settle_by_segment_and_occupied_days(
        engine: Engine, demo_campus: DemoCampus, tmp_path: Path) -> None:
    """Two segments, Mar 1-15 and Mar 16-31 (alpha's amendment). First: alpha 1 MWh x $40; beta (Mar 1-10) 0.5
    MWh x $60; cooling 800 kWh by capacity x occupied days, alpha 5,000 x 15 : beta 3,000 x 10 = 5 : 2 ->
    571,428.57 and 228,571.43 Wh, the spare Wh to alpha's larger remainder. Second: alpha 2 MWh x $52; gamma
    160 kWh x $0.10 = $16, 100 kW x $10 x 16/31 = $516.129032 (rounded once), $310 x 16/31 = $160; cooling 700
    kWh 5 : 2 between alpha and gamma (16 days each) -> 500 / 200 kWh. Cooling at $50/MWh. delta: no lines,
    and its named capacity is skipped."""
    _campus(engine, demo_campus)
    intervals_uri = str(write_intervals(tmp_path / "march.parquet", ROWS))
    with engine.begin() as conn:
        result = settle_cycle(conn, demo_campus.campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                              demo_campus.period_end_utc, intervals_uri)
    alpha_first_wh, beta_first_wh = _largest_remainder(800_000, [5_000 * 15, 3_000 * 10])
    alpha_second_wh, gamma_second_wh = _largest_remainder(700_000, [5_000 * 16, 2_000 * 16])

    def cooling(energy_wh: int) -> int:
        return _micros(Decimal(energy_wh) / 1_000_000 * 50)

    got = [(line.tenant_id, line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines]
    assert got == [
        ("alpha", "v0.supply_price", 1_000_000, _micros(Decimal(1) * 40)),
        ("alpha", "allocation.shared_consumption", alpha_first_wh, cooling(alpha_first_wh)),
        ("alpha", "v0.supply_price", 2_000_000, _micros(Decimal(2) * 52)),
        ("alpha", "allocation.shared_consumption", alpha_second_wh, cooling(alpha_second_wh)),
        ("beta", "v0.supply_price", 500_000, _micros(Decimal("0.5") * 60)),
        ("beta", "allocation.shared_consumption", beta_first_wh, cooling(beta_first_wh)),
        ("gamma", "tariff.energy.p0", 160_000, _micros(Decimal(160) * Decimal("0.10"))),
        ("gamma", "tariff.demand_flat.p0", 100_000, _micros(Decimal(100) * 10 * 16 / 31)),
        ("gamma", "tariff.fixed", 1, _micros(Decimal(310) * 16 / 31)),
        ("gamma", "allocation.shared_consumption", gamma_second_wh, cooling(gamma_second_wh)),
    ]
    assert (alpha_first_wh, beta_first_wh) == (571_429, 228_571)
    assert (alpha_second_wh, gamma_second_wh) == (500_000, 200_000)
    assert result.lines[2].description == "Metered consumption (2026-03-16 to 2026-03-31, supply contract v2)"
    assert result.lines[8].description == ("Tariff Gamma flat fixed 2026-03 prorated 16/31 days"
                                           " (2026-03-16 to 2026-03-31, gamma-tariff v1)")
    assert (result.contract_versions["v0:alpha"], result.contract_versions["v0:alpha@2026-03-16"]) == (1, 2)
    balance = result.energy_balance
    assert (balance.tenant_consumption_wh, balance.shared_consumption_wh) == (3_660_000, 1_500_000)
    with engine.begin() as conn:
        record_settlement(conn, demo_campus.cycle_id, result)
        stored = conn.execute(text("SELECT count(*), sum(amount_usd_micros) FROM settlement_line"
                                   " WHERE cycle_id = :c"), {"c": demo_campus.cycle_id}).one()
    assert tuple(stored) == (10, sum(amount for *_, amount in got))
