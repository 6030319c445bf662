"""A period settles only after the campus's previous one has (it opens from that period's close: battery pools,
contract-year counts). Real path: HTTP API -> Temporal dev server -> worker -> PostgreSQL, with the demo campus
(it has a battery) under this module's own id; and the rule's answers for a failed or cancelled predecessor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from billing import repository as cycles_repo
from billing import service as cycles_service
from billing.registration import inbox_folder
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-cycle-order"


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/cycle-order") as stack:
        yield stack


async def test_a_period_waits_for_its_predecessor_s_settlement(api, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """A September cycle is registered and never runs (as if its workflow never started). October ingests and
    validates, then waits, its status saying for what; September failing changes what it says (retry or cancel);
    September cancelled (it will never settle) lets October settle and reach finance."""
    http, settings, _ = api
    september_id = f"cycle:{CAMPUS_ID}:2026-09"
    with engine.begin() as conn:
        cycles_repo.insert_cycle(conn, september_id, CAMPUS_ID, "2026-09",
                                 (datetime(2026, 9, 1, 4, tzinfo=UTC), datetime(2026, 10, 1, 4, tzinfo=UTC)),
                                 str(inbox_folder(settings, CAMPUS_ID, "2026-09")), 1)
    # A seed no other module sends: the same bytes belong to the campus that received them first.
    write_site_export(inbox_folder(settings, CAMPUS_ID, "2026-10"), 2026, 10, seed=83)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": "2026-10"})
    assert started.status_code in (200, 201, 202), started.text
    october_id = started.json()["cycle_id"]

    detail = await _until_detail(http, october_id, f"waiting for {september_id} (started) to settle first")
    assert detail.endswith("this period opens from its close")
    cycles_service.record_status(engine, september_id, "failed", "ingest: no meter data")
    await _until_detail(http, october_id, f"waiting for {september_id} (failed) to settle first; retry or cancel it")
    cycles_service.record_status(engine, september_id, "cancelled", "cancelled by operator")
    october = await wait_for_cycle(http, october_id, {"awaiting_approval"})
    assert october["status_detail"] is None
    assert cycles_service.unsettled_predecessor(engine, october_id) is None


async def _until_detail(http: httpx.AsyncClient, cycle_id: str, prefix: str, wait_s_max: float = 120.0) -> str:
    """The cycle's status detail once it starts with `prefix`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s_max
    cycle: dict = {}  # type: ignore[type-arg]
    while loop.time() < deadline:
        cycle = (await http.get(f"/cycles/{cycle_id}")).json()
        if (cycle.get("status_detail") or "").startswith(prefix):
            return str(cycle["status_detail"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"{cycle_id}: detail never began {prefix!r}; last {cycle.get('status')}: "
                         f"{cycle.get('status_detail')}")
