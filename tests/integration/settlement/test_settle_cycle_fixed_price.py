"""settle_cycle / record_settlement with fixed-price contracts on the demo campus: hand-worked money, balance, versions,
idempotent recording, and bad input refused with nothing stored."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text

from common.errors import BadInput
from settlement import (
    ContractMissing,
    MeterUnknown,
    SettlementAlreadyRecorded,
    SettlementResult,
    record_settlement,
    settle_cycle,
)
from tests.integration.settlement.settlement_demo import (
    DemoCampus,
    add_fixed_price,
    march_2026_utc,
    write_intervals,
)

# Hours inside March 2026 Chicago; one row on Mar 1 05:00 UTC (still February locally) must be ignored.
ROWS = [
    ("GT1", march_2026_utc(2, 12), 2_500_000), ("GT1", march_2026_utc(9, 12), 1_500_000),
    ("GT1-FUEL", march_2026_utc(2, 12), 12_000_000),
    ("PV1", march_2026_utc(2, 18), 400_000), ("GRID1", march_2026_utc(3, 1), 200_000),
    ("EXP1", march_2026_utc(3, 2), 100_000),
    ("ALPHA-1", march_2026_utc(2, 12), 1_000_000), ("ALPHA-2", march_2026_utc(9, 12), 500_000),
    ("BETA-1", march_2026_utc(2, 12), 600_000), ("BETA-2", march_2026_utc(2, 12), 400_000),
    ("GAMMA-1", march_2026_utc(31, 12), 500_000), ("GAMMA-2", march_2026_utc(1, 5), 9_999_999),
    ("COOL1", march_2026_utc(15, 12), 1_000_000),
]


def _contracts(engine: Engine, campus: DemoCampus) -> dict[str, int]:
    ids = {"alpha-v1": add_fixed_price(engine, campus.campus_id, "alpha", 1, "2026-01-01", "40")}
    ids["alpha-v2"] = add_fixed_price(engine, campus.campus_id, "alpha", 2, "2026-03-01", "50.25")
    ids["alpha-v3"] = add_fixed_price(engine, campus.campus_id, "alpha", 3, "2026-04-01", "99")
    ids["beta"] = add_fixed_price(engine, campus.campus_id, "beta", 1, "2025-06-01", "60")
    ids["gamma"] = add_fixed_price(engine, campus.campus_id, "gamma", 1, "2026-02-15", "45.5")
    return ids


def _settle(engine: Engine, campus: DemoCampus, path: Path) -> SettlementResult:
    with engine.begin() as conn:
        return settle_cycle(conn, campus.campus_id, campus.cycle_id, campus.period_start_utc,
                            campus.period_end_utc, str(path))


def test_demo_campus_month_matches_hand_worked_lines(engine: Engine, demo_campus: DemoCampus,
                                                     tmp_path: Path) -> None:
    """Consumption alpha 1.5 MWh, beta 1.0, gamma 0.5 (GAMMA-2's row is February local time, so excluded).

    Cooling 1,000,000 Wh by energy share 3:2:1 -> 500,000 / 333,333.33 / 166,666.67; floors leave one Wh, the
    largest remainder (2/3) is gamma's -> 500,000 / 333,333 / 166,667. Amounts (Wh x $/MWh = micro-USD):
    alpha 1,500,000 x 50.25 = 75,375,000 and 500,000 x 50.25 = 25,125,000 (v2: v3 starts in April);
    beta 1,000,000 x 60 = 60,000,000 and 333,333 x 60 = 19,999,980;
    gamma 500,000 x 45.5 = 22,750,000 and 166,667 x 45.5 = 7,583,348.5 -> half-even 7,583,348.
    Balance: generation 4,000,000 + 400,000, import 200,000, export 100,000, tenants 3,000,000, shared 1,000,000
    -> losses 4,400,000 + 200,000 - 100,000 - 4,000,000 = 500,000 (the fuel meter is heat and stays out).
    """
    ids = _contracts(engine, demo_campus)
    result = _settle(engine, demo_campus, write_intervals(tmp_path / "march.parquet", ROWS))
    got = [(line.line_no, line.tenant_id, line.quantity_wh, line.rate_usd_per_mwh, line.amount_usd_micros,
            line.contract_id) for line in result.lines]
    assert got == [
        (1, "alpha", 1_500_000, Decimal("50.25"), 75_375_000, ids["alpha-v2"]),
        (2, "alpha", 500_000, Decimal("50.25"), 25_125_000, ids["alpha-v2"]),
        (3, "beta", 1_000_000, Decimal(60), 60_000_000, ids["beta"]),
        (4, "beta", 333_333, Decimal(60), 19_999_980, ids["beta"]),
        (5, "gamma", 500_000, Decimal("45.5"), 22_750_000, ids["gamma"]),
        (6, "gamma", 166_667, Decimal("45.5"), 7_583_348, ids["gamma"]),
    ]
    assert result.tenant_totals_usd_micros == {"alpha": 100_500_000, "beta": 79_999_980, "gamma": 30_333_348}
    assert result.contract_versions == {"v0:alpha": 2, "v0:beta": 1, "v0:gamma": 1}
    balance = result.energy_balance
    assert (balance.generation_wh, balance.grid_import_wh, balance.export_wh) == (4_400_000, 200_000, 100_000)
    assert (balance.tenant_consumption_wh, balance.shared_consumption_wh, balance.losses_wh) == (
        3_000_000, 1_000_000, 500_000)
    assert len(result.intervals_sha256_hex) == 64
    assert len({line.inputs_sha256_hex for line in result.lines}) == 3  # one per contract version used


def test_record_is_idempotent_and_refuses_a_different_result(engine: Engine, demo_campus: DemoCampus,
                                                             tmp_path: Path) -> None:
    """Recording twice stores six lines once; a result from corrected data is refused and nothing changes."""
    _contracts(engine, demo_campus)
    result = _settle(engine, demo_campus, write_intervals(tmp_path / "a.parquet", ROWS))
    for _ in range(2):
        with engine.begin() as conn:
            record_settlement(conn, demo_campus.cycle_id, result)
    corrected_rows = [row if row[0] != "BETA-1" else ("BETA-1", row[1], 700_000) for row in ROWS]
    corrected = _settle(engine, demo_campus, write_intervals(tmp_path / "b.parquet", corrected_rows))
    with pytest.raises(SettlementAlreadyRecorded), engine.begin() as conn:
        record_settlement(conn, demo_campus.cycle_id, corrected)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT line_no, amount_usd_micros FROM settlement_line WHERE cycle_id = :c "
                                   "ORDER BY line_no"), {"c": demo_campus.cycle_id}).all()
        clauses = conn.execute(text("SELECT clause FROM settlement_line_detail WHERE cycle_id = :c "
                                    "ORDER BY line_no"), {"c": demo_campus.cycle_id}).scalars().all()
    assert [tuple(row) for row in stored] == [(line.line_no, line.amount_usd_micros) for line in result.lines]
    assert clauses[:2] == ["v0.supply_price", "v0.shared_by_energy_share"]


def test_unknown_meter_missing_contract_and_bad_file_are_refused(engine: Engine, demo_campus: DemoCampus,
                                                                 tmp_path: Path) -> None:
    """A meter not on the campus -> MeterUnknown; a tenant without a contract -> ContractMissing; a file
    without the energy_wh column -> BadInput naming that field. Nothing is recorded by any of them."""
    _contracts(engine, demo_campus)
    stranger = write_intervals(tmp_path / "s.parquet", [*ROWS, ("NOPE-1", march_2026_utc(4, 4), 1)])
    with pytest.raises(MeterUnknown):
        _settle(engine, demo_campus, stranger)
    broken = tmp_path / "broken.parquet"
    pq.write_table(pq.read_table(write_intervals(tmp_path / "ok.parquet", ROWS)).drop(["energy_wh"]), broken)
    with pytest.raises(BadInput) as caught:
        _settle(engine, demo_campus, broken)
    assert caught.value.field == "energy_wh"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, 'delta', 'd')"),
                     {"c": demo_campus.campus_id})
    with pytest.raises(ContractMissing):
        _settle(engine, demo_campus, write_intervals(tmp_path / "c.parquet", ROWS))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM settlement_line WHERE cycle_id = :c"),
                             {"c": demo_campus.cycle_id}).scalar_one()
    assert count == 0
