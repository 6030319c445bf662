"""Annual take-or-pay through `settle_cycle` and PostgreSQL: February's recorded settlement carries the Wh it
counted toward the contract year, March (holding the year's last day) posts the reconciliation as its own line,
a correction to February changes what March owes, and re-settling March never counts March's own record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from meterdata.schema import INTERVAL_SCHEMA
from settlement import SettlementResult, record_delta, record_settlement, settle_cycle
from settlement.contracts import add_contract_version
from tests.integration.settlement.settlement_demo import DemoCampus, add_fixed_price, march_2026_utc

MWH = 1_000_000
FEBRUARY_START_UTC = datetime(2026, 2, 1, 6, tzinfo=UTC)
FEBRUARY_END_UTC = datetime(2026, 3, 1, 6, tzinfo=UTC)


def _intervals(path: Path, rows: list[tuple[str, datetime, int]]) -> str:
    table = pa.Table.from_pylist(
        [{"meter_id": "PV1", "channel": channel, "interval_start_utc": start, "interval_minutes": 60,
          "energy_wh": wh, "quality": 0, "source_sha256": "0" * 64, "source_row": i + 2}
         for i, (channel, start, wh) in enumerate(rows)], schema=INTERVAL_SCHEMA)
    pq.write_table(table, path)
    return str(path)


def _annual(result: SettlementResult) -> list[tuple[str, int, int]]:
    return [(line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines
            if line.clause.startswith("ppa.take_or_pay_annual")]


def test_march_closes_the_contract_year_with_februarys_recorded_count(engine: Engine, demo_campus: DemoCampus,
                                                                      tmp_path: Path) -> None:
    """gamma buys PV1 at $40/MWh from 2025-04-01 with a 10 MWh annual minimum: year 1 ends 2026-03-31. February
    counts 3 MWh; March 2 MWh delivered + 1 MWh deemed: 10 - 3 - 3 = 4 MWh short x $40 = $160. February
    corrected to 4 MWh: March owes 3 MWh = $120."""
    campus_id = demo_campus.campus_id
    for tenant in ("alpha", "beta", "gamma"):
        add_fixed_price(engine, campus_id, tenant, 1, "2026-01-01", "50")
    february_id = f"cycle:{campus_id}:2026-02"
    year_1 = "ppa.take_or_pay_annual.counted:gamma-pv:year1"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc,"
                          " period_end_utc, status, workflow_id, input_uri) VALUES (:id, :c, '2026-02', :s, :e,"
                          " 'settled', 'wf', 'file:///x')"),
                     {"id": february_id, "c": campus_id, "s": FEBRUARY_START_UTC, "e": FEBRUARY_END_UTC})
        add_contract_version(conn, campus_id, "gamma-pv", "ppa", "gamma", date(2025, 4, 1),
                             {"meter_ids": ["PV1"], "form": "fixed", "price_usd_per_mwh": "40",
                              "first_delivery": "2025-04-01", "take_or_pay_mwh_per_contract_year": "10"})
        february_rows = [("kwh_delivered", datetime(2026, 2, 10, 18, tzinfo=UTC), 3 * MWH)]
        february = settle_cycle(conn, campus_id, february_id, FEBRUARY_START_UTC, FEBRUARY_END_UTC,
                                _intervals(tmp_path / "feb.parquet", february_rows))
        assert _annual(february) == [(year_1, 3 * MWH, 0)]
        record_settlement(conn, february_id, february)

        march_rows = [("kwh_delivered", march_2026_utc(12, 18), 2 * MWH),
                      ("deemed_curtailment", march_2026_utc(13, 18), MWH)]
        march_uri = _intervals(tmp_path / "mar.parquet", march_rows)
        march = settle_cycle(conn, campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                             demo_campus.period_end_utc, march_uri)
        assert _annual(march) == [(year_1, 3 * MWH, 0), ("ppa.take_or_pay_annual", 4 * MWH, 160_000_000)]
        record_settlement(conn, demo_campus.cycle_id, march)
        again = settle_cycle(conn, campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                             demo_campus.period_end_utc, march_uri)
        assert again == march

        corrected_rows = [("kwh_delivered", datetime(2026, 2, 10, 18, tzinfo=UTC), 4 * MWH)]
        corrected = settle_cycle(conn, campus_id, february_id, FEBRUARY_START_UTC, FEBRUARY_END_UTC,
                                 _intervals(tmp_path / "feb2.parquet", corrected_rows))
        record_delta(conn, february_id, corrected)
        resettled = settle_cycle(conn, campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                                 demo_campus.period_end_utc, march_uri)
    assert _annual(resettled) == [(year_1, 3 * MWH, 0), ("ppa.take_or_pay_annual", 3 * MWH, 120_000_000)]
