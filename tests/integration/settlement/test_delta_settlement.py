"""Delta settlement: a corrected meter file produces only the differences (hand-worked), recording it twice is a
no-op, correcting back reverses exactly, and the original lines are never edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from settlement import (
    CycleNotSettled,
    SettlementResult,
    record_delta,
    record_settlement,
    record_settlement_or_delta,
    settle_cycle,
)
from tests.integration.settlement.settlement_demo import DemoCampus, add_fixed_price, write_intervals
from tests.integration.settlement.test_settle_cycle_fixed_price import ROWS


def _settle(engine: Engine, campus: DemoCampus, path: Path) -> SettlementResult:
    with engine.begin() as conn:
        return settle_cycle(conn, campus.campus_id, campus.cycle_id, campus.period_start_utc, campus.period_end_utc,
                            str(path))


def test_corrected_meter_posts_only_the_differences(engine: Engine, demo_campus: DemoCampus, tmp_path: Path) -> None:
    """BETA-1 corrected from 600,000 to 700,000 Wh: beta consumption +100,000 Wh x $60 = +6,000,000 micro.
    Cooling 1,000,000 Wh re-split 1.5 : 1.1 : 0.5 (of 3.1) -> 483,870.97 / 354,838.71 / 161,290.32; floors leave 2 Wh
    for the largest remainders (alpha .97, beta .71) -> 483,871 / 354,839 / 161,290 (was 500,000 / 333,333 /
    166,667). Amounts: alpha 483,871 x 50.25 = 24,314,517.75 -> 24,314,518, minus 25,125,000 = -810,482;
    beta 354,839 x 60 = 21,290,340 - 19,999,980 = +1,290,360; gamma 161,290 x 45.5 = 7,338,695 - 7,583,348 =
    -244,653. Alpha's and gamma's own consumption did not change, so they get no line."""
    for tenant, price in (("alpha", "50.25"), ("beta", "60"), ("gamma", "45.5")):
        add_fixed_price(engine, demo_campus.campus_id, tenant, 1, "2026-01-01", price)
    original = _settle(engine, demo_campus, write_intervals(tmp_path / "a.parquet", ROWS))
    with pytest.raises(CycleNotSettled), engine.begin() as conn:
        record_delta(conn, demo_campus.cycle_id, original)
    with engine.begin() as conn:
        record_settlement(conn, demo_campus.cycle_id, original)
    corrected_rows = [row if row[0] != "BETA-1" else ("BETA-1", row[1], 700_000) for row in ROWS]
    corrected = _settle(engine, demo_campus, write_intervals(tmp_path / "b.parquet", corrected_rows))
    with engine.begin() as conn:
        delta = record_delta(conn, demo_campus.cycle_id, corrected)
    got = [(a.tenant_id, a.clause, a.quantity_wh_delta, a.amount_usd_micros_delta) for a in delta.adjustments]
    assert got == [
        ("alpha", "v0.shared_by_energy_share", -16_129, -810_482),
        ("beta", "v0.shared_by_energy_share", 21_506, 1_290_360),
        ("beta", "v0.supply_price", 100_000, 6_000_000),
        ("gamma", "v0.shared_by_energy_share", -5_377, -244_653),
    ]
    assert (delta.revision, delta.tenant_deltas_usd_micros) == (1, {"alpha": -810_482, "beta": 7_290_360,
                                                                    "gamma": -244_653})
    with engine.begin() as conn:
        again = record_delta(conn, demo_campus.cycle_id, corrected)
    assert (again.revision, again.already_recorded, again.adjustments) == (1, True, [])
    with engine.begin() as conn:
        back = record_delta(conn, demo_campus.cycle_id, original)
    assert back.revision == 2
    assert [(a.quantity_wh_delta, a.amount_usd_micros_delta) for a in back.adjustments] == [
        (16_129, 810_482), (-21_506, -1_290_360), (-100_000, -6_000_000), (5_377, 244_653)]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT sum(amount_usd_micros) FROM settlement_line WHERE cycle_id = :c"),
                              {"c": demo_campus.cycle_id}).scalar_one()
        net = conn.execute(text("SELECT sum(amount_usd_micros_delta) FROM settlement_adjustment WHERE cycle_id = :c"),
                           {"c": demo_campus.cycle_id}).scalar_one()
    assert (stored, net) == (sum(original.tenant_totals_usd_micros.values()), 0)


def test_record_settlement_or_delta_picks_the_right_path(engine: Engine, demo_campus: DemoCampus,
                                                         tmp_path: Path) -> None:
    """First call stores revision 0; the same result again stays at 0; a corrected result becomes revision 1."""
    for tenant, price in (("alpha", "50.25"), ("beta", "60"), ("gamma", "45.5")):
        add_fixed_price(engine, demo_campus.campus_id, tenant, 1, "2026-01-01", price)
    original = _settle(engine, demo_campus, write_intervals(tmp_path / "a.parquet", ROWS))
    corrected_rows = [row if row[0] != "GAMMA-1" else ("GAMMA-1", row[1], 400_000) for row in ROWS]
    corrected = _settle(engine, demo_campus, write_intervals(tmp_path / "b.parquet", corrected_rows))
    revisions = []
    for result in (original, original, corrected, corrected):
        with engine.begin() as conn:
            revisions.append(record_settlement_or_delta(conn, demo_campus.cycle_id, result).revision)
    assert revisions == [0, 0, 1, 1]
