"""Emissions settle with the energy, through the real path: HTTP API → Temporal dev server → worker → PostgreSQL.

The demo campus (its own id here) with an `[esg]` section: a residual mix and a supplier rate that covers one
tenant, both registered as market-rate library rows through the API, the solar plant flagged carbon-free and the
shared cooling's emissions following the MWh billed. One cycle settles; its pending settlement entry's tCO2e legs
show each tenant's market-based Scope 2 beside its location-based one: below it for the tenant on the supplier rate,
above it for the tenants on the residual mix.

The rates are rows of a zone of this test's own (`RATE_ZONE`), which the campus file names as deliverable and
selects by id: a NYUP residual mix in the shared library would be picked up by every other NYUP campus of the
session (the newest row of the subregion covering the period), whatever order the tests run in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from billing.registration import inbox_folder
from demo.campus import CAMPUS_FILE, TENANTS
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-esg-market"
PERIOD = "2026-10"
RESIDUAL_G_PER_MWH = 600_000  # test values, far from the NYUP grid average (about 110 kg/MWh)
SUPPLIER_G_PER_MWH = 10_000
RATE_ZONE = "IT-ESG-MARKET"  # no campus is in it: only a campus file that names its rows uses them
RATES = [
    {"rate_id": "it-esg-market-residual-2026", "kind": "residual_mix", "zone": RATE_ZONE,
     "g_co2e_per_mwh": str(RESIDUAL_G_PER_MWH), "source": "integration test residual mix", "edition": "2026",
     "valid_from": "2026-01-01", "valid_to": "2027-01-01"},
    {"rate_id": "it-acme-green-2026", "kind": "supplier", "zone": RATE_ZONE, "g_co2e_per_mwh": str(SUPPLIER_G_PER_MWH),
     "source": "integration test supplier disclosure", "edition": "2026", "valid_from": "2026-01-01",
     "supplier": "Hudson Green Power"},
]
ESG_SECTION = f"""
[esg]
gwp_set = "AR5"
shared_load = "billed"
residual_mix = "it-esg-market-residual-2026"
deliverable_zones = ["{RATE_ZONE}"]

[[esg.tenant_supplier_rates]]
tenant = "acme-ai"
rate = "it-acme-green-2026"
"""


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/esg-market") as stack:
        yield stack


async def _entry_legs(http: httpx.AsyncClient, idempotency_key: str) -> dict[str, int]:
    after = 0
    while True:
        page = (await http.get("/ledger/entries", params={"after_seq": after, "limit": 1000})).json()
        for entry in page["entries"]:
            if entry["idempotency_key"] == idempotency_key:
                return {path: int(amount) for path, asset, amount in entry["document"]["postings"]
                        if asset == "TCO2E/6"}
        if page["next_after_seq"] is None:
            raise AssertionError(f"no ledger entry {idempotency_key}")
        after = page["next_after_seq"]


async def test_supplier_rate_and_residual_mix_settle_market_based_scope2_in_the_entry(api) -> None:
    http, settings, _ = api
    for row in RATES:
        created = await http.post("/esg/market-rates", json=row)
        assert created.status_code == 201, created.text
    bad = await http.post("/esg/market-rates", json={**RATES[0], "g_co2e_per_mwh": "-5"})
    assert bad.status_code == 422 and "g_co2e_per_mwh" in bad.text
    changed = await http.post("/esg/market-rates", json={**RATES[0], "g_co2e_per_mwh": "1"})
    assert changed.status_code == 409, "a registered row is never changed"
    listed = (await http.get("/esg/market-rates", params={"zone": RATE_ZONE})).json()["rates"]
    assert {"it-esg-market-residual-2026", "it-acme-green-2026"} <= {row["rate_id"] for row in listed}

    campus_text = CAMPUS_FILE.read_text().replace('id = "demo-campus"', f'id = "{CAMPUS_ID}"', 1) + ESG_SECTION
    applied = await http.put(f"/campuses/{CAMPUS_ID}", content=campus_text.encode(),
                             headers={"content-type": "application/toml"})
    assert applied.status_code == 200, applied.text

    write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 10, seed=29)  # bytes no other test sends
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    settle = (await http.get(cycle["steps"]["settle"]["url"])).json()
    emissions = settle["emissions"]
    legs = await _entry_legs(http, settle["pending_ledger_key"])

    # Market-based and location-based share the on-site generation part; they differ in the grid part: each
    # tenant's own grid supply at its rate, and its share of the shared cooling's grid supply at the campus's
    # residual mix.
    for tenant in ("acme-ai", "borealis-labs", "cirrus-cloud"):
        assert legs[f"tenant:{tenant}:emissions:scope2_market"] != legs[f"tenant:{tenant}:emissions"]
    for tenant in ("borealis-labs", "cirrus-cloud"):
        assert legs[f"tenant:{tenant}:emissions:scope2_market"] > legs[f"tenant:{tenant}:emissions"], \
            "the residual mix is above the grid average"
    borealis_premium_g = legs["tenant:borealis-labs:emissions:scope2_market"] - legs["tenant:borealis-labs:emissions"]
    acme_premium_g = legs["tenant:acme-ai:emissions:scope2_market"] - legs["tenant:acme-ai:emissions"]
    acme_wh = emissions["tenant_energy_wh"]["acme-ai"]["consumption_wh"]
    borealis_wh = emissions["tenant_energy_wh"]["borealis-labs"]["consumption_wh"]
    assert acme_premium_g / acme_wh < borealis_premium_g / borealis_wh, "acme's own supply is on the supplier rate"
    assert sum(legs.values()) == 0
    methods = emissions["market_methods"]
    assert methods["tenant:acme-ai"]["fallback_method"] == "supplier"
    assert methods["tenant:acme-ai"]["fallback_ref"] == "market-rate/it-acme-green-2026@2026"
    assert methods["tenant:borealis-labs"]["fallback_method"] == "residual_mix"
    assert all(run[2] in ("supplier", "none") for run in methods["tenant:acme-ai"]["hours"])
    assert abs(methods["tenant:acme-ai"]["annual_wh"]["supplier"] - emissions["tenant_energy_wh"]["acme-ai"]["grid_wh"]) <= 1
    assert methods["retained:shared"]["fallback_method"] == "residual_mix"
    # The tenant's statement shows the same method Wh and hours as the settled result.
    statement = (await http.get(f"/esg/cycles/{cycle_id}/tenants/acme-ai/statement")).json()
    rows = {row["method"]: row for row in statement["market_methods"]}
    assert rows["supplier"]["annual_wh"] == methods["tenant:acme-ai"]["annual_wh"]["supplier"]
    assert rows["supplier"]["hours"] == sum(run[1] for run in methods["tenant:acme-ai"]["hours"]
                                            if run[2] == "supplier") > 0
    assert statement["market_fallback_ref"] == "market-rate/it-acme-green-2026@2026"
    # The shared cooling's emissions went to the tenants billed for its MWh; none stayed with the operator.
    assert not any(":retained:shared" in account for account in legs)
    assert emissions["inputs"]["shared_load_billed_wh"]["acme-ai"] > 0
    assert sum(legs[f"tenant:{t.tenant_id}:emissions"] for t in TENANTS) + sum(
        amount for account, amount in legs.items()
        if ":retained:" in account and account.count(":") == 4) == emissions["campus_scope1_g_co2e"] + \
        emissions["campus_scope2_location_g_co2e"]
    # The solar plant is carbon-free: every tenant's CFE score is above zero.
    assert all(Decimal(score) > 0 for score in emissions["tenant_cfe_score"].values())

    # A restatement with nothing changed keeps the shared cooling with the tenants billed for it: no delta.
    approved = await http.post(f"/cycles/{cycle_id}/approve", json={"comment": "ok"})
    assert approved.status_code == 200, approved.text
    completed = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert completed["status"] == "completed", completed["status_detail"]
    restated = await http.post(f"/esg/cycles/{cycle_id}/restate", json={"reason": "nothing changed"})
    assert restated.status_code == 200, restated.text
    assert restated.json()["status"] == "unchanged", restated.json()

