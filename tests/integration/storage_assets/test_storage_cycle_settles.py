"""A campus with a battery through ingest, VEE, settlement and recording on PostgreSQL: the storage rules run and
pass, the balance counts charge and discharge, the storage service is billed, the run records them, and the energy
legs sum to zero.

One local day (America/Chicago, 2026-01-05) of 15-minute readings. First 12 hours: grid 1 000 kWh, alpha 600,
beta 300, battery charge 90 per interval; last 12 hours: grid 830, alpha 600, beta 300, discharge 80. Every
interval loses 10 kWh in cables, so the day's losses are 96 x 10 000 = 960 000 Wh:
  sources 87 840 000 (grid) + 3 840 000 (discharge) = uses 57 600 000 + 28 800 000 + 4 320 000 (charge) + 960 000.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from billing.ledger_entries import energy_legs
from campus import load_meters, load_storage_assets
from campus.file import parse_campus_text
from campus.service import apply
from meterdata import SITE_EXPORT_V1, ingest_files, run_vee
from meterdata.specs import meter_spec_from_campus
from settlement import settle_cycle
from settlement.repository import insert_settlement
from tests.unit.storage_assets.campus_text import BASE, STORAGE

START_UTC = datetime(2026, 1, 5, 6, tzinfo=UTC)
END_UTC = START_UTC + timedelta(days=1)


def _export(path: Path) -> Path:
    rows = ["meter_id,interval_start,value,unit"]
    for index in range(96):
        start = (START_UTC + timedelta(minutes=15 * index)).isoformat()
        charging = index < 48
        readings = {"GRID-IMP": 1000 if charging else 830, "A-LOAD": 600, "B-LOAD": 300,
                    "BESS-CHG": 90 if charging else 0, "BESS-DIS": 0 if charging else 80}
        rows += [f"{meter},{start},{value},kWh" for meter, value in readings.items()]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_day_with_a_battery_validates_settles_and_balances(engine: Engine, tmp_path: Path) -> None:
    campus_id = f"store-{uuid.uuid4().hex[:8]}"
    text_ = (BASE + STORAGE.format(charge="BESS-CHG")).replace('id = "store"', f'id = "{campus_id}"')
    apply(engine, parse_campus_text("campus.toml", text_.encode(), None), "tester")
    with engine.connect() as conn:
        specs = {m.meter_id: meter_spec_from_campus(m) for m in load_meters(conn, campus_id)}
        storage = load_storage_assets(conn, campus_id)
    intervals_uri = str(tmp_path / "intervals.parquet")
    ingest_files([str(_export(tmp_path / "site.csv"))], specs, SITE_EXPORT_V1, intervals_uri, START_UTC, END_UTC)

    vee = run_vee(intervals_uri, specs, START_UTC, END_UTC, str(tmp_path / "validated.parquet"),
                  local_time_zone="America/Chicago", storage=storage)
    rules = vee.report["rules"]
    assert isinstance(rules, dict)
    assert rules["campus_balance"] == {"campus": 0}
    for rule in ("storage_discharge_exceeds_stored", "storage_round_trip_efficiency"):
        assert rules[rule] == {"BESS-DIS": 0}, rule

    cycle_id = f"cycle:{campus_id}:2026-01"
    with engine.connect() as conn:
        result = settle_cycle(conn, campus_id, cycle_id, START_UTC, END_UTC, vee.validated_uri)
    balance = result.energy_balance
    assert (balance.grid_import_wh, balance.storage_discharge_wh, balance.tenant_consumption_wh,
            balance.storage_charge_wh, balance.losses_wh) == (87_840_000, 3_840_000, 86_400_000, 4_320_000, 960_000)
    # The tenants' fixed prices ($60 and $55/MWh) on their metered energy, battery supply included, and alpha's
    # storage service ($1 250.50 a month) as its last line.
    assert result.tenant_totals_usd_micros == {"alpha": 57_600_000 * 60 + 1_250_500_000, "beta": 28_800_000 * 55}
    service = [line for line in result.lines if line.clause == "storage.service"]
    assert [(line.tenant_id, line.unit, line.quantity_wh, line.amount_usd_micros) for line in service] == \
        [("alpha", "month", 1, 1_250_500_000)]
    assert max(line.line_no for line in result.lines if line.tenant_id == "alpha") == service[0].line_no

    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                 "workflow_id, input_uri) VALUES (:id, :c, '2026-01', :start, :end, 'approved', :id, 'file:///in')"),
            {"id": cycle_id, "c": campus_id, "start": START_UTC, "end": END_UTC})
        assert insert_settlement(conn, cycle_id, result)
        row = conn.execute(text("SELECT storage_charge_wh, storage_discharge_wh, losses_wh FROM settlement_run"
                                " WHERE cycle_id = :c"), {"c": cycle_id}).one()
    assert tuple(row) == (4_320_000, 3_840_000, 960_000)
    legs = energy_legs(campus_id, vars(balance), {"alpha": 57_600_000, "beta": 28_800_000})
    assert sum(leg[2] for leg in legs) == 0
    assert {leg[0].rsplit(":", 1)[1]: leg[2] for leg in legs if "storage" in leg[0]} == \
        {"storage_charge": 4_320_000, "storage_discharge": -3_840_000}
