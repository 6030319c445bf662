"""The demo campus's battery through the real cycle (HTTP API -> Temporal dev server -> worker -> PostgreSQL): the
settle step prices the battery's supply through the pool, the balance counts charge and discharge, the closing pool
is kept with the recorded settlement.

Hand-worked from the demo's battery schedule (demo/site_export.py) over October 2026 (31 days, no DST change, 16
charging and 16 discharging intervals a day: 496 of each), seed 97 (97 Wh more in each of them; no other test sends
it):
- charge 375 097 Wh x 496 = 186 048 112 Wh; discharge 318 847 Wh x 496 = 158 148 112 Wh;
- stored at the end, estimated at the middle of 820-920 permille: 1 000 000 (initial) + 186 048 112 x 0.87
  (161 861 857.44, rounded 161 861 857) - 158 148 112 = 4 713 745 Wh; the pool holds 1 000 000 + 186 048 112
  - 158 148 112 = 28 900 000 Wh, so 24 186 255 Wh were lost, 2:1:1 by the key: 12 093 127.5 and 6 046 563.75
  twice, largest remainder: acme-ai 12 093 127, borealis-labs 6 046 564, cirrus-cloud 6 046 564;
- FIFO: the first discharging hour (1 275 388 Wh on Oct 1, 17:00 local) takes the 1 000 000 Wh stored before the
  books began (no source, no cost) first, and the tenants (drawing before `shared`, in id order, about 1 050 000 Wh
  between them) take all of it;
- each tenant's credit is the Wh it took at its fixed price ($62.50, $58.75, $65.00), to the micro-USD.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-battery-campus"
PERIOD = "2026-10"
PRICES = {"acme-ai": Decimal("62.50"), "borealis-labs": Decimal("58.75"), "cirrus-cloud": Decimal("65.00")}


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/battery") as stack:
        yield stack


async def test_the_demo_battery_settles_through_the_pool(api: tuple[httpx.AsyncClient, Settings, Client],
                                                         engine: Engine) -> None:
    http, settings, _ = api
    write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 10, seed=97)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    balance = cycle["steps"]["settle"]["energy_balance_wh"]
    assert (balance["storage_charge_wh"], balance["storage_discharge_wh"]) == (186_048_112, 158_148_112)
    assert (balance["generation_wh"] + balance["grid_import_wh"] + balance["storage_discharge_wh"]
            == balance["export_wh"] + balance["tenant_consumption_wh"] + balance["shared_consumption_wh"]
            + balance["storage_charge_wh"] + balance["losses_wh"])

    with engine.connect() as conn:
        lines = conn.execute(text(
            "SELECT l.tenant_id, d.clause, l.description, l.quantity_wh, l.amount_usd_micros FROM settlement_line l"
            " JOIN settlement_line_detail d USING (cycle_id, line_no) WHERE l.cycle_id = :c AND d.clause LIKE"
            " 'storage.%' ORDER BY l.line_no"), {"c": cycle_id}).all()
        pool = conn.execute(text("SELECT revision, asset_id, energy_wh FROM storage_pool WHERE cycle_id = :c"),
                            {"c": cycle_id}).all()
    assert [tuple(row) for row in pool] == [(0, "bess1", 4_713_745)]

    def summed(clause: str, tenant: str, field: int = 3) -> int:
        return sum(row[field] for row in lines if row[1] == clause and row[0] == tenant)

    assert {tenant: summed("storage.losses", tenant) for tenant in PRICES} == \
        {"acme-ai": 12_093_127, "borealis-labs": 6_046_564, "cirrus-cloud": 6_046_564}
    opening = [row for row in lines if row[1] == "storage.supply" and row[2].endswith("charged from opening")]
    assert sum(row[3] for row in opening) == 1_000_000 and all(row[4] == 0 for row in opening)
    for tenant, price in PRICES.items():
        taken_wh = summed("storage.supply", tenant)
        assert taken_wh > 0
        assert summed("storage.supply_replaced", tenant) == -taken_wh
        credit = summed("storage.supply_replaced", tenant, 4)
        assert abs(credit + taken_wh * price) <= 1, (tenant, credit)
