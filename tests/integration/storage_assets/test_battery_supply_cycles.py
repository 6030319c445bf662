"""Battery supply priced through the charging-source pool in the cycle's settlement, and the closing pool kept
between cycles (docs/storage.md, "Battery supply in the cycle"), on PostgreSQL.

Campus: alpha ($60/MWh) and beta ($55/MWh) fixed prices; battery `bess1` (FIFO, empty at the start, floor 0,
efficiency 820-920 ‰, losses key alpha 3 : beta 1) whose charging energy is priced grid_import $40/MWh.

Period 1 (one day of 15-minute readings, kWh per interval): first 48 intervals grid 1 000, alpha 600, beta 300,
charge 90; last 48 grid 850, alpha 600, beta 300, discharge 60; 10 lost in cables every interval.
- charge 4 320 000 Wh (all grid, $40: 40 micro-USD per Wh), discharge 2 880 000 Wh: each discharging hour's
  240 000 Wh split 2:1 by consumption, alpha 1 920 000 Wh ($76.80), beta 960 000 Wh ($38.40);
- stored at the end, estimated at mid-range efficiency (870 ‰): 4 320 000 x 0.87 - 2 880 000 = 878 400 Wh; the pool
  holds 1 440 000 Wh, so 561 600 Wh were lost: alpha 421 200 Wh ($16.848), beta 140 400 Wh ($5.616);
- the Wh taken from the battery are credited at the contract prices: alpha 1 920 000 x $60 = $115.20,
  beta 960 000 x $55 = $52.80;
- closing pool 878 400 Wh for $35.136.
Period 2 (the next day): no charge; the first hour discharges 50 kWh per interval (200 000 Wh): alpha 133 333 Wh,
beta 66 667 Wh (largest remainder), at the $40 the saved pool carries ($5.33332 and $2.66668); nothing lost
(878 400 - 200 000 = 678 400 Wh still stored, the pool's own energy).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from campus import load_meters
from campus.file import parse_campus_text
from campus.service import apply
from meterdata import SITE_EXPORT_V1, ingest_files
from meterdata.specs import meter_spec_from_campus
from settlement import record_settlement, result_sha256_hex, settle_cycle
from settlement.types import SettlementResult
from tests.unit.storage_assets.campus_text import BASE

STORAGE = '''
[[storage]]
id = "bess1"
charge_meter = "BESS-CHG"
discharge_meter = "BESS-DIS"
capacity_wh_usable = 8000000
power_kw_rated = 2000
round_trip_efficiency_permille_min = 820
round_trip_efficiency_permille_max = 920
pool_method = "fifo"
losses_key = { alpha = 3, beta = 1 }
supply_prices_usd_per_mwh = { grid_import = "40.00" }
'''
DAY_1 = datetime(2026, 1, 5, 6, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=1)


def _readings(index: int, day: int) -> dict[str, int]:
    if day == 1:
        charging = index < 48
        return {"GRID-IMP": 1000 if charging else 850, "A-LOAD": 600, "B-LOAD": 300,
                "BESS-CHG": 90 if charging else 0, "BESS-DIS": 0 if charging else 60}
    discharge = 50 if index < 4 else 0
    return {"GRID-IMP": 910 - discharge, "A-LOAD": 600, "B-LOAD": 300, "BESS-CHG": 0, "BESS-DIS": discharge}


def _settle(engine: Engine, campus_id: str, tmp_path: Path, day: int, start: datetime) -> tuple[str, SettlementResult]:
    rows = ["meter_id,interval_start,value,unit"]
    for index in range(96):
        at = (start + timedelta(minutes=15 * index)).isoformat()
        rows += [f"{meter},{at},{value},kWh" for meter, value in _readings(index, day).items()]
    export = tmp_path / f"site-{day}.csv"
    export.write_text("\n".join(rows) + "\n")
    with engine.connect() as conn:
        specs = {m.meter_id: meter_spec_from_campus(m) for m in load_meters(conn, campus_id)}
    uri = str(tmp_path / f"intervals-{day}.parquet")
    ingest_files([str(export)], specs, SITE_EXPORT_V1, uri, start, start + timedelta(days=1))
    cycle_id = f"cycle:{campus_id}:2026-0{day}"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                 "workflow_id, input_uri) VALUES (:id, :c, :p, :start, :end, 'approved', :id, 'file:///in')"
                 " ON CONFLICT DO NOTHING"),
            {"id": cycle_id, "c": campus_id, "p": f"2026-0{day}", "start": start, "end": start + timedelta(days=1)})
        return cycle_id, settle_cycle(conn, campus_id, cycle_id, start, start + timedelta(days=1), uri)


def _storage_lines(result: SettlementResult) -> list[tuple[str, str, int, int]]:
    return [(line.tenant_id, line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines
            if line.clause.startswith("storage.")]


def test_battery_supply_is_priced_by_the_pool_and_the_pool_carries_to_the_next_cycle(
        engine: Engine, tmp_path: Path) -> None:
    campus_id = f"store-{uuid.uuid4().hex[:8]}"
    text_ = (BASE + STORAGE).replace('id = "store"', f'id = "{campus_id}"')
    apply(engine, parse_campus_text("campus.toml", text_.encode(), None), "tester")

    cycle_1, first = _settle(engine, campus_id, tmp_path, 1, DAY_1)
    balance = first.energy_balance
    assert (balance.grid_import_wh, balance.storage_charge_wh, balance.storage_discharge_wh,
            balance.tenant_consumption_wh, balance.losses_wh) == (88_800_000, 4_320_000, 2_880_000, 86_400_000,
                                                                  960_000)
    assert _storage_lines(first) == [
        ("alpha", "storage.supply", 1_920_000, 76_800_000),
        ("alpha", "storage.losses", 421_200, 16_848_000),
        ("alpha", "storage.supply_replaced", -1_920_000, -115_200_000),
        ("beta", "storage.supply", 960_000, 38_400_000),
        ("beta", "storage.losses", 140_400, 5_616_000),
        ("beta", "storage.supply_replaced", -960_000, -52_800_000),
    ]
    assert first.tenant_totals_usd_micros == {
        "alpha": 57_600_000 * 60 + 76_800_000 + 16_848_000 - 115_200_000,
        "beta": 28_800_000 * 55 + 38_400_000 + 5_616_000 - 52_800_000}
    # Conservation: what charging cost = taken + lost + still stored, to the micro-USD.
    closing = first.storage_pools["bess1"]
    assert (closing.energy_wh, sum(lot.amount("cost_usd_micros") for lot in closing.lots)) == (878_400, 35_136_000)
    assert 76_800_000 + 16_848_000 + 38_400_000 + 5_616_000 + 35_136_000 == 4_320_000 * 40
    with engine.begin() as conn:
        record_settlement(conn, cycle_1, first)
        kept = conn.execute(text("SELECT revision, energy_wh FROM storage_pool WHERE cycle_id = :c"),
                            {"c": cycle_1}).all()
    assert [tuple(row) for row in kept] == [(0, 878_400)]

    cycle_2, second = _settle(engine, campus_id, tmp_path, 2, DAY_2)
    assert _storage_lines(second) == [
        ("alpha", "storage.supply", 133_333, 5_333_320),
        ("alpha", "storage.supply_replaced", -133_333, -7_999_980),
        ("beta", "storage.supply", 66_667, 2_666_680),
        ("beta", "storage.supply_replaced", -66_667, -3_666_685),
    ]
    assert second.storage_pools["bess1"].energy_wh == 678_400
    with engine.begin() as conn:
        record_settlement(conn, cycle_2, second)

    # Re-settling the first period after the second was recorded opens from the first period's predecessor (none:
    # the empty battery), not from the newest pool: the result is the one recorded.
    _, again = _settle(engine, campus_id, tmp_path, 1, DAY_1)
    assert result_sha256_hex(again) == result_sha256_hex(first)
    assert again.storage_pools == first.storage_pools
