"""Full engine, hand-worked: an index PPA (LMP + adder in a collar, corrected prices) with deemed energy read from
the `deemed_curtailment` channel and a take-or-pay shortfall, and a tenant tariff with a loss factor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from meterdata.schema import INTERVAL_SCHEMA
from settlement import settle_cycle
from settlement.contracts import add_contract_version
from tests.integration.settlement.settlement_demo import DemoCampus, add_fixed_price, march_2026_utc
from tests.integration.settlement.test_settle_cycle_full import OFF_PEAK, ROWS, price_file


def _intervals(path: Path) -> Path:
    rows = [(meter, start, wh, "kwh_delivered") for meter, start, wh in ROWS]
    rows.append(("PV1", march_2026_utc(16, 13), 500_000, "deemed_curtailment"))
    table = pa.Table.from_pylist(
        [{"meter_id": m, "channel": c, "interval_start_utc": s, "interval_minutes": 60, "energy_wh": wh,
          "quality": 0, "source_sha256": "0" * 64, "source_row": i + 2} for i, (m, s, wh, c) in enumerate(rows)],
        schema=INTERVAL_SCHEMA)
    pq.write_table(table, path)
    return path


def test_index_ppa_with_deemed_energy_take_or_pay_and_loss_factor(engine: Engine, demo_campus: DemoCampus,
                                                                  tmp_path: Path) -> None:
    """gamma's index PPA on PV1 (LMP + $5, floor $20, cap $80): 1 MWh at LMP 25 -> $30; 2 MWh at LMP 50 (the
    corrected version; 55 was first published) -> $55 x 2 = $110; total $140. Deemed 0.5 MWh at $28 = $14.
    Take-or-pay 5 MWh: 3 + 0.5 delivered or deemed -> 1.5 MWh short x $25 = $37.50.
    alpha's flat 0.10 $/kWh tariff with loss factor 1.02: 102,000 + 51,000 + 204,000 Wh = 357 kWh -> $35.70."""
    for tenant in ("alpha", "beta", "gamma"):
        add_fixed_price(engine, demo_campus.campus_id, tenant, 1, "2026-01-01", "50")
    flat = {"energyratestructure": [[{"rate": "0.10"}]], "energyweekdayschedule": OFF_PEAK,
            "energyweekendschedule": OFF_PEAK}
    with engine.begin() as conn:
        add_contract_version(conn, demo_campus.campus_id, "alpha-tariff", "urdb_tariff", "alpha", date(2026, 1, 1),
                             {"urdb": flat, "loss_factor": "1.02"})
        add_contract_version(conn, demo_campus.campus_id, "gamma-ppa", "ppa", "gamma", date(2026, 1, 1),
                             {"meter_ids": ["PV1"], "form": "index",
                              "index": {"node": "HB_NORTH", "market": "RT", "adder_usd_per_mwh": "5",
                                        "floor_usd_per_mwh": "20", "cap_usd_per_mwh": "80"},
                              "deemed_price_usd_per_mwh": "28", "take_or_pay_mwh_per_month": "5",
                              "shortfall_price_usd_per_mwh": "25"})
        result = settle_cycle(conn, demo_campus.campus_id, demo_campus.cycle_id, demo_campus.period_start_utc,
                              demo_campus.period_end_utc, str(_intervals(tmp_path / "i.parquet")),
                              prices_uris=[str(price_file(tmp_path / "p.parquet"))])
    ppa = [(line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines
           if line.clause.startswith("ppa.")]
    assert ppa == [("ppa.index", 3_000_000, 140_000_000), ("ppa.deemed_energy", 500_000, 14_000_000),
                   ("ppa.take_or_pay", 1_500_000, 37_500_000)]
    alpha_energy = [(line.quantity_wh, line.amount_usd_micros) for line in result.lines
                    if line.tenant_id == "alpha" and line.clause.startswith("tariff.energy")]
    assert alpha_energy == [(357_000, 35_700_000)]
    assert result.energy_balance.generation_wh == 7_000_000  # deemed energy is not metered generation
