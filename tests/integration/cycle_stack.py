"""The stack the cycle tests drive: the fake NYISO (mutual TLS), a Temporal dev server, a worker and the API app
over the session's database, with the demo campus registered under the test module's own id."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.principal import Principal
from common import storage
from demo.campus import register_demo_campus
from devtools.fake_iso.demo import DEMO_PASSWORD, DEMO_USER, demo_state
from devtools.fake_iso.pki import TestPki as IsoPki
from devtools.fake_iso.pki import make_test_pki
from devtools.fake_iso.runner import running_fake_iso
from runtime.binaries import find_bin
from runtime.keys import ensure_signing_key
from runtime.object_store import EmbeddedObjectStore
from runtime.temporal import DATA_CONVERTER
from settings import Settings
from worker import build_worker

OBJECT_STORE_VARIABLE = "WATTLEDGER_TEST_OBJECT_STORE"


def staff(request) -> Principal:  # type: ignore[no-untyped-def]
    return Principal("test.staff", frozenset({"operator", "finance", "auditor"}))


@contextlib.contextmanager
def fake_nyiso(pki_folder: Path) -> Iterator[tuple[str, IsoPki]]:
    """The fake NYISO on loopback behind mutual TLS, knowing the demo campus's PTIDs."""
    pki = make_test_pki(pki_folder, DEMO_USER)
    with running_fake_iso(demo_state(date(2026, 10, 1), 31), pki=pki) as base_url:
        yield base_url, pki


@contextlib.asynccontextmanager
async def running_cycle_stack(engine: Engine, database_url: str, home: Path, iso: tuple[str, IsoPki],
                              campus_id: str, ledger_origin: str, data_uri: str | None = None,
                              outbox_uri: str | None = None
                              ) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    """`data_uri` (e.g. s3://bucket/prefix) puts the cycle's files there instead of under `home`, `outbox_uri`
    its ISO documents; with
    WATTLEDGER_TEST_OBJECT_STORE=1 every stack left without one gets a SeaweedFS of its own, so the same tests
    run once on a local folder and once on S3."""
    async with _object_store_unless(data_uri, home) as stack_data_uri, \
            _cycle_stack(engine, database_url, home, iso, campus_id, ledger_origin, stack_data_uri,
                         outbox_uri) as stack:
        yield stack


@contextlib.asynccontextmanager
async def _object_store_unless(data_uri: str | None, home: Path) -> AsyncIterator[str | None]:
    if data_uri is not None or os.environ.get(OBJECT_STORE_VARIABLE) != "1":
        yield data_uri
        return
    store = EmbeddedObjectStore(home / "object-store")
    # Put back what was configured before: the session's own object store (tests/conftest.py) may serve later
    # modules of this process.
    before = storage.configured_s3()
    storage.configure_s3(await asyncio.to_thread(store.start))
    try:
        yield f"{store.data_uri}/data"
    finally:
        storage.configure_s3(before)
        await asyncio.to_thread(store.stop)


@contextlib.asynccontextmanager
async def _cycle_stack(engine: Engine, database_url: str, home: Path, iso: tuple[str, IsoPki], campus_id: str,
                       ledger_origin: str, data_uri: str | None, outbox_uri: str | None
                       ) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    base_url, pki = iso
    settings = Settings(home=home, database_url=database_url, ledger_origin=ledger_origin, data_uri=data_uri,
                        outbox_uri=outbox_uri,
                        iso_base_url=base_url, iso_username=DEMO_USER, iso_password=DEMO_PASSWORD,
                        iso_client_cert_path=str(pki.client_cert_path),
                        iso_client_key_path=str(pki.client_key_path), iso_ca_bundle_path=str(pki.ca_cert_path))
    ensure_signing_key(settings)
    with engine.begin() as conn:
        register_demo_campus(conn, campus_id)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_bin("temporal"), data_converter=DATA_CONVERTER
    )
    app = create_app(settings, engine, env.client, authenticate=staff)
    try:
        async with build_worker(env.client, settings, engine):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
                yield http, settings, env.client
    finally:
        await env.shutdown()


CYCLE_WAIT_S_MAX = 240.0  # a cycle of the demo campus takes seconds; a loaded 2-core machine, a few minutes


async def wait_for_cycle(http: httpx.AsyncClient, cycle_id: str, states: set[str],
                         wait_s_max: float = CYCLE_WAIT_S_MAX) -> dict:  # type: ignore[type-arg]
    """Poll `GET /cycles/{id}` until its status is one of `states`; the cycle as the API answers it."""
    deadline = time.monotonic() + wait_s_max
    cycle: dict = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        response = await http.get(f"/cycles/{cycle_id}")
        assert response.status_code == 200, response.text
        cycle = response.json()
        if cycle["status"] in states:
            return cycle
        await asyncio.sleep(0.2)
    raise AssertionError(f"{cycle_id} never reached {states}; last {cycle.get('status')}: {cycle.get('status_detail')}")
