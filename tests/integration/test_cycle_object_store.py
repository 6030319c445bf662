"""The billing cycle with every file on S3-compatible object storage (SeaweedFS on loopback): the raw meter files,
the interval and validated Parquet, the settlement claim checks, the invoice documents and the ISO document are
objects under `s3://<bucket>/<prefix>`, nothing lands in the local data folder or outbox, and a cycle whose object store restarts in the
middle still completes (the steps that failed meanwhile are retried)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from billing.registration import inbox_folder
from common import storage
from demo.campus import TENANTS
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from runtime.object_store import EmbeddedObjectStore
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-s3-cycle-campus"


@pytest.fixture(scope="module")
async def s3_stack(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
                   fake_iso: tuple[str, IsoPki], object_store: EmbeddedObjectStore
                   ) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    data_uri = f"{object_store.data_uri}/cycles-{uuid.uuid4().hex[:8]}"
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/s3-cycle", data_uri=data_uri,
                                   outbox_uri=f"{data_uri}-outbox") as stack:
        yield stack


async def _run_to_completion(http: httpx.AsyncClient, period: str) -> dict:  # type: ignore[type-arg]
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": period})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    approved = await http.post(f"/cycles/{cycle_id}/approve", json={"approver": "test.staff", "comment": "ok"})
    assert approved.status_code == 200, approved.text
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]
    return cycle


async def test_a_cycle_keeps_every_file_on_the_object_store(s3_stack) -> None:  # type: ignore[no-untyped-def]
    http, settings, _ = s3_stack
    assert settings.data_root_uri.startswith("s3://")
    write_site_export(inbox_folder(settings, CAMPUS_ID, "2026-10"), 2026, 10, seed=53)  # bytes no other test sends
    cycle = await _run_to_completion(http, "2026-10")

    validated_uri = (await http.get(cycle["steps"]["validate"]["url"])).json()["validated_uri"]
    assert validated_uri.startswith(f"{settings.data_root_uri}/")
    assert storage.exists(validated_uri)
    stored = storage.list_uris(settings.data_root_uri)
    relative = [uri.removeprefix(f"{settings.data_root_uri}/") for uri in stored]
    assert any(name.startswith("raw/") for name in relative), relative
    pdfs = [name for name in relative if name.startswith("invoices/") and name.endswith(".pdf")]
    assert len(pdfs) == len(TENANTS), relative
    assert not any("/.staging/" in name or name.endswith(".partial") for name in relative), relative
    assert not (settings.home_abs / "data").exists(), "nothing of the cycle was written to the local data folder"
    assert not (settings.home_abs / "outbox").exists()
    iso = cycle["steps"]["iso"]
    assert iso["status"] == "accepted" and iso["document_uri"].startswith(f"{settings.outbox_root_uri}/")
    document = json.loads(storage.read_bytes(iso["document_uri"]))
    assert document["submissionParameters"]["userRequestId"], "the submitted body is kept in the outbox"

    invoices = (await http.get(cycle["steps"]["invoice"]["url"])).json()["invoices"]
    pdf = await http.get(f"/invoices/{invoices[0]['invoice_id']}.pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


async def test_a_cycle_completes_when_the_object_store_restarts_midway(  # type: ignore[no-untyped-def]
        s3_stack, object_store: EmbeddedObjectStore) -> None:
    """The start stores the raw files; then the store crashes (SIGKILL) under the cycle's first step, which fails
    and is retried by Temporal; the store comes back on the same ports and data and the cycle completes."""
    http, settings, client = s3_stack
    write_site_export(inbox_folder(settings, CAMPUS_ID, "2026-09"), 2026, 9, seed=54)  # bytes no other test sends
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": "2026-09"})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    await asyncio.to_thread(object_store.stop, 0.0)
    try:
        await _until_a_step_is_retried(client, cycle_id)
    finally:
        await asyncio.to_thread(object_store.start)
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    approved = await http.post(f"/cycles/{cycle_id}/approve", json={"approver": "test.staff", "comment": "ok"})
    assert approved.status_code == 200, approved.text
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]
    assert cycle["steps"]["invoice"]["invoice_count"] == len(TENANTS)


async def _until_a_step_is_retried(client: Client, cycle_id: str, wait_s_max: float = 90.0) -> None:
    """Until one of the cycle's activities has failed against the missing store and waits for its next attempt."""
    handle = client.get_workflow_handle(cycle_id)
    deadline = asyncio.get_running_loop().time() + wait_s_max
    while asyncio.get_running_loop().time() < deadline:
        pending = (await handle.describe()).raw_description.pending_activities
        if any(activity.attempt >= 2 for activity in pending):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no step of {cycle_id} was retried while the object store was down")
