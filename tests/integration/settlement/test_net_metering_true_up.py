"""Net-metering true-up through `settle_cycle` and PostgreSQL: February's recorded run and export credit lines
count toward the true-up year, and March (the true-up month) posts the reconciliation as its own line per
tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from meterdata.schema import INTERVAL_SCHEMA
from settlement import SettlementResult, record_settlement, settle_cycle
from settlement.contracts import add_contract_version
from tests.integration.settlement.settlement_demo import DemoCampus, add_fixed_price, march_2026_utc
from tests.integration.settlement.test_settle_cycle_full import OFF_PEAK

MWH = 1_000_000
FEBRUARY_START_UTC = datetime(2026, 2, 1, 6, tzinfo=UTC)
FEBRUARY_END_UTC = datetime(2026, 3, 1, 6, tzinfo=UTC)


def _intervals(path: Path, rows: list[tuple[str, datetime, int]]) -> str:
    table = pa.Table.from_pylist(
        [{"meter_id": meter_id, "channel": "kwh_delivered", "interval_start_utc": start, "interval_minutes": 60,
          "energy_wh": wh, "quality": 0, "source_sha256": "0" * 64, "source_row": i + 2}
         for i, (meter_id, start, wh) in enumerate(rows)], schema=INTERVAL_SCHEMA)
    pq.write_table(table, path)
    return str(path)


def _by_tenant(result: SettlementResult, clause: str) -> list[tuple[str, int, int]]:
    return [(line.tenant_id, line.quantity_wh, line.amount_usd_micros) for line in result.lines
            if line.clause == clause]


def test_march_true_up_counts_februarys_recorded_credits(engine: Engine, demo_campus: DemoCampus,
                                                         tmp_path: Path) -> None:
    """Net Metering at $0.10/$0.08 per kWh, true-up in March at $0.03/kWh, the bill shared 1:1:1. February:
    import 1 MWh, export 4 MWh -> 3 MWh credited, -$240. March: import 2, export 3 -> 1 MWh, -$80. Year: import
    3, export 7 -> surplus 4 MWh, all of the 4 MWh credited: $320 taken back, 4 MWh x $30 = $120 paid: +$200,
    split 66.666667 / 66.666667 / 66.666666 (ties to the lowest tenant id), 4 MWh as 1,333,334 / 1,333,333 x 2."""
    campus_id = demo_campus.campus_id
    for tenant in ("alpha", "beta", "gamma"):
        add_fixed_price(engine, campus_id, tenant, 1, "2026-01-01", "50")
    rate = {"name": "NEM", "energyratestructure": [[{"rate": "0.10", "sell": "0.08"}]],
            "energyweekdayschedule": OFF_PEAK, "energyweekendschedule": OFF_PEAK, "dgrules": "Net Metering"}
    february_id = f"cycle:{campus_id}:2026-02"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc,"
                          " period_end_utc, status, workflow_id, input_uri) VALUES (:id, :c, '2026-02', :s, :e,"
                          " 'settled', 'wf', 'file:///x')"),
                     {"id": february_id, "c": campus_id, "s": FEBRUARY_START_UTC, "e": FEBRUARY_END_UTC})
        add_contract_version(conn, campus_id, "campus-bill", "urdb_tariff", None, date(2026, 1, 1),
                             {"urdb": rate, "true_up": {"month": 3, "net_surplus_rate_usd_per_kwh": "0.03"}})
        add_contract_version(conn, campus_id, "grid", "allocation", None, date(2026, 1, 1),
                             {"pool": "grid_tariff", "method": "fixed", "component": "all",
                              "fixed_shares": {"alpha": "1", "beta": "1", "gamma": "1"}})
        february_rows = [("GRID1", datetime(2026, 2, 10, 18, tzinfo=UTC), MWH),
                         ("EXP1", datetime(2026, 2, 11, 18, tzinfo=UTC), 4 * MWH)]
        february = settle_cycle(conn, campus_id, february_id, FEBRUARY_START_UTC, FEBRUARY_END_UTC,
                                _intervals(tmp_path / "feb.parquet", february_rows))
        assert sum(amount for _, _, amount in _by_tenant(february, "allocation.grid_tariff.export")) == -240_000_000
        assert _by_tenant(february, "allocation.grid_tariff.true_up") == []
        record_settlement(conn, february_id, february)
        march_rows = [("GRID1", march_2026_utc(12, 18), 2 * MWH), ("EXP1", march_2026_utc(13, 18), 3 * MWH)]
        march = settle_cycle(conn, campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                             demo_campus.period_end_utc, _intervals(tmp_path / "mar.parquet", march_rows))
    assert _by_tenant(march, "allocation.grid_tariff.true_up") == [
        ("alpha", 1_333_334, 66_666_667), ("beta", 1_333_333, 66_666_667), ("gamma", 1_333_333, 66_666_666)]
