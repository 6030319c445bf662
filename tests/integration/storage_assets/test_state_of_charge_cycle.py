"""A battery's reported state of charge through the real cycle (HTTP API -> Temporal dev server -> worker ->
PostgreSQL): the level is ingested as a channel of the discharge meter, never counted as energy, checked by the
storage rules, and the pool's losses are what it holds less the level reported at the period's end.

The demo campus with `state_of_charge_channel = "soc"` on bess1, October 2026 (31 days, 496 charging and 496
discharging intervals), seed 500: each charging interval 375 500 Wh, each discharging one 319 250 Wh. The battery
management system reports the level at each interval end, from the declared 1 000 000 Wh: + 85 % of each charge
(319 175 Wh) and - each discharge, so a day changes it by 16 x (319 175 - 319 250) = -1 200 Wh, and October ends at
1 000 000 - 31 x 1 200 = 962 800 Wh (a separate file, 2 976 rows: `BESS1-DIS,<start>,<kWh>,kWh,soc`).
- Energy: charge 496 x 375 500 = 186 248 000 Wh, discharge 496 x 319 250 = 158 348 000 Wh, the levels not in it.
- The pool holds 1 000 000 + 186 248 000 - 158 348 000 = 28 900 000 Wh; 962 800 are still stored, so 27 937 200 Wh
  were lost, 2:1:1 by the key: acme-ai 13 968 600, borealis-labs and cirrus-cloud 6 984 300 each. (The estimate at
  the middle of 820-920 permille would have kept 1 000 000 + 162 035 760 - 158 348 000 = 4 687 760 Wh.)
- Every hour's change fits the meters: a charging hour +1 276 700 within [1 231 640 - 96 020, 1 502 000 + 96 020],
  a discharging hour -1 277 000 within [-1 557 318 - 93 770, -1 277 000 + 93 770]; efficiency between the first
  and last hour-end levels 158 348 000 / (186 248 000 + 37 200) = 85.0 %.
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from campus.file import campus_document
from campus.service import apply_in
from demo.campus import CAMPUS_FILE
from demo.site_export import month_intervals, write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from meterdata.state_of_charge import read_state_of_charge, state_of_charge_uri_for
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-battery-level"
PERIOD = "2026-10"
SEED = 500
METER_COUNT = 14
INTERVAL_COUNT = 31 * 96
DEMO_GAP_COUNT = 3 + 24


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/battery-level") as stack:
        text_ = CAMPUS_FILE.read_text()
        raw = tomllib.loads(text_, parse_float=Decimal)
        raw["campus"]["id"] = CAMPUS_ID
        raw["storage"][0]["state_of_charge_channel"] = "soc"
        with engine.begin() as conn:
            apply_in(conn, campus_document(str(CAMPUS_FILE), raw, text_, read_urdb=None), "tester")
        yield stack


def _write_levels(folder: Path) -> int:
    """The level file; returns the level at the period's end (Wh)."""
    stored_wh = 1_000_000
    lines = ["meter_id,interval_start,value,unit,channel"]
    for interval in month_intervals(2026, 10, SEED):
        # 85 % of the charge stays in the battery: 375 500 x 85 / 100 = 319 175 Wh, exact.
        stored_wh += interval.energy_wh["BESS1-CHG"] * 85 // 100 - interval.energy_wh["BESS1-DIS"]
        lines.append(f"BESS1-DIS,{interval.start_local.isoformat()},{stored_wh // 1000}.{stored_wh % 1000:03d},kWh,soc")
    (folder / "BESS1-SOC_2026-10.csv").write_text("\n".join(lines) + "\n")
    return stored_wh


async def test_the_reported_level_is_ingested_not_counted_and_sets_the_losses(
        api: tuple[httpx.AsyncClient, Settings, Client], engine: Engine) -> None:
    http, settings, _ = api
    inbox = inbox_folder(settings, CAMPUS_ID, PERIOD)
    write_site_export(inbox, 2026, 10, seed=SEED)
    assert _write_levels(inbox) == 962_800
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]

    # Ingested: every meter's readings (less the demo's gaps) and the 2 976 levels.
    steps = cycle["steps"]
    assert steps["ingest"]["reading_count"] == (METER_COUNT + 1) * INTERVAL_COUNT - DEMO_GAP_COUNT
    # Kept beside the validated file, one level per interval, and checked: no rule fails.
    levels = read_state_of_charge(state_of_charge_uri_for(steps["validate"]["validated_uri"]))
    assert (levels.num_rows, levels["stored_wh"][levels.num_rows - 1].as_py()) == (INTERVAL_COUNT, 962_800)
    validate = await http.get(f"/cycles/{cycle_id}/steps/validate")
    assert validate.status_code == 200, validate.text
    report = validate.json()["report"]
    for rule in ("storage_state_of_charge_bounds", "storage_state_of_charge_change", "storage_discharge_exceeds_stored",
                 "storage_round_trip_efficiency"):
        assert report["rules"][rule] == {"BESS1-DIS": 0}, rule
    assert report["storage_findings"] == []

    # Not counted as energy: the discharge is the meter's energy alone, and the balance closes.
    balance = steps["settle"]["energy_balance_wh"]
    assert (balance["storage_charge_wh"], balance["storage_discharge_wh"]) == (186_248_000, 158_348_000)
    assert (balance["generation_wh"] + balance["grid_import_wh"] + balance["storage_discharge_wh"]
            == balance["export_wh"] + balance["tenant_consumption_wh"] + balance["shared_consumption_wh"]
            + balance["storage_charge_wh"] + balance["losses_wh"])

    # The pool keeps the reported level; its losses are what it held less that.
    with engine.connect() as conn:
        pool = conn.execute(text("SELECT revision, asset_id, energy_wh FROM storage_pool WHERE cycle_id = :c"),
                            {"c": cycle_id}).all()
        losses = conn.execute(text(
            "SELECT l.tenant_id, sum(l.quantity_wh) FROM settlement_line l JOIN settlement_line_detail d"
            " USING (cycle_id, line_no) WHERE l.cycle_id = :c AND d.clause = 'storage.losses' GROUP BY l.tenant_id"),
            {"c": cycle_id}).all()
    assert [tuple(row) for row in pool] == [(0, "bess1", 962_800)]
    assert {tenant: int(wh) for tenant, wh in losses} == \
        {"acme-ai": 13_968_600, "borealis-labs": 6_984_300, "cirrus-cloud": 6_984_300}
