"""Upload slots are shared by API processes: two apps, each with its own engine (its own connections, as two
uvicorn processes would have), over one database, give a principal no more uploads at once than one app; a
process that dies holding a slot frees it when its lease expires (migration 0017, `api.upload_slots`)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import HTTPException
from sqlalchemy import Engine, text

from api.upload_slots import UploadSlots
from db import make_engine

ROOT = Path(__file__).resolve().parents[3]
HEADER = b"meter_id,interval_start,value,unit\n"
LIMITS = {"uploads_per_principal_max": 1, "upload_retry_after_s": 7}


def _line(value: str) -> bytes:
    return f"GT1-GEN,2026-10-01T00:00:00-04:00,{value},kWh\n".encode()


@pytest.fixture
async def two_apps(database_url: str, data_root: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    def authenticate(request: httpx.Request) -> Principal:
        return Principal(request.headers.get("x-test-subject", "carol-shared"), frozenset({"ingest", "operator"}))

    engines = [make_engine(database_url), make_engine(database_url)]
    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home", **LIMITS)
    apps = [create_app(settings, engine, None, authenticate=authenticate) for engine in engines]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://one") as one, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://two") as two:
            yield one, two
    finally:
        for engine in engines:
            engine.dispose()


async def test_an_upload_in_progress_on_one_app_holds_the_slot_on_the_other(two_apps, campus_id) -> None:
    one, two = two_apps
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield HEADER
        await release.wait()
        yield _line(f"2.{unique}")

    params = {"campus_id": campus_id, "name": "slow.csv"}
    # Bytes of this test's own (the raw store is shared: the same bytes from another campus's test answer 409).
    unique = f"{int(campus_id.rsplit('-', 1)[1], 16) % 10**6:06d}"
    first = asyncio.create_task(one.post("/meter-data", params=params, content=slow_body()))
    for _ in range(200):  # until the first upload holds its slot
        await asyncio.sleep(0.01)
    second = await two.post("/meter-data", params={**params, "name": "second.csv"}, content=HEADER + _line(f"3.{unique}"))
    assert second.status_code == 429, second.text
    assert second.headers["retry-after"] == "7"
    release.set()
    assert (await first).status_code == 201
    again = await two.post("/meter-data", params={**params, "name": "again.csv"}, content=HEADER + _line(f"5.{unique}"))
    assert again.status_code == 201, again.text


DYING_HOLDER = """
import os, sys
from api.upload_slots import UploadSlots
from db import make_engine
slots = UploadSlots(make_engine(sys.argv[1]), 1, 7, lease_s=2)
slots.take("dave-dies")
print("held", flush=True)
os.kill(os.getpid(), 9)  # dies holding the slot: no release, no renewal
"""


def test_a_slot_held_by_a_process_that_died_is_free_once_its_lease_expires(database_url: str, engine: Engine) -> None:
    died = subprocess.run([sys.executable, "-c", DYING_HOLDER, database_url], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert died.stdout.strip() == "held" and died.returncode == -9, died.stderr
    slots = UploadSlots(engine, 1, 7, lease_s=2)
    with pytest.raises(HTTPException) as refused:
        slots.take("dave-dies")  # its lease has not expired yet
    assert refused.value.status_code == 429
    with engine.connect() as conn:
        expires_in_s = conn.execute(text("SELECT extract(epoch FROM max(expires_at_utc) - now()) FROM "
                                         "upload_slot_lease WHERE subject = 'dave-dies'")).scalar_one()
    time.sleep(float(expires_in_s) + 0.2)
    lease_id = slots.take("dave-dies")
    slots.give_back(lease_id)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM upload_slot_lease WHERE subject = 'dave-dies'")).scalar_one() == 0


async def test_a_held_slot_is_renewed_while_the_upload_runs(engine: Engine) -> None:
    slots = UploadSlots(engine, 1, 7, lease_s=1)
    async with slots.hold("erin-long"):
        await asyncio.sleep(2.5)  # longer than the lease: renewed every third of a second
        with pytest.raises(HTTPException):
            slots.take("erin-long")
    lease_id = slots.take("erin-long")  # given back at the end
    slots.give_back(lease_id)
