"""Two worker processes share a portfolio's cycles: separate homes, one Temporal namespace, one database and one
object store (SeaweedFS). One worker is killed (SIGKILL) in the middle of a step it runs; the other retries that
step once its heartbeat times out and finishes every cycle, with no invoice, submission or document lost or doubled.

The keys are the deployment's shared secrets (one payload keyring, one ledger key, one approval key, as mounted
files); everything else of a worker is its own home.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from billing.registration import inbox_folder
from common import storage
from demo.campus import TENANTS, register_demo_campus
from demo.site_export import write_site_export
from devtools.fake_iso.demo import DEMO_PASSWORD, DEMO_USER
from devtools.fake_iso.pki import TestPki as IsoPki
from runtime.binaries import find_bin
from runtime.codec import ensure_payload_keyring
from runtime.keys import ensure_signing_key
from runtime.object_store import EmbeddedObjectStore
from runtime.temporal import DATA_CONVERTER, connect
from settings import Settings
from tests.integration.cycle_stack import staff, wait_for_cycle

ROOT = Path(__file__).resolve().parents[2]
CAMPUS_IDS = [f"it-2w-campus-{index}" for index in range(4)]
PERIOD = "2026-10"
QUICK_STEPS = frozenset({"record_status", "record_settlement_approval", "escalate_approval", "remind_approvers"})
"""Bookkeeping steps done in milliseconds: a kill aimed at one usually lands after it has finished."""
HEARTBEAT_TIMEOUT_S = 10  # the least the settings allow: the killed worker's step is retried this soon
KILL_WAIT_S_MAX = 240.0


@dataclass
class Stack:
    http: httpx.AsyncClient
    client: Client
    settings: Settings
    workers: list[subprocess.Popen[bytes]]


def _worker_environment(settings: Settings, home: Path, address: str, store: EmbeddedObjectStore) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("WATTLEDGER_")}
    options = store.options
    environment.update({
        "PYTHONPATH": str(ROOT), "WATTLEDGER_HOME": str(home), "WATTLEDGER_DATABASE_URL": str(settings.database_url),
        "WATTLEDGER_TEMPORAL_ADDRESS": address, "WATTLEDGER_DATA_URI": settings.data_root_uri,
        "WATTLEDGER_S3_ENDPOINT_URL": str(options.endpoint_url), "WATTLEDGER_S3_ACCESS_KEY_ID": store.access_key_id,
        "WATTLEDGER_S3_SECRET_ACCESS_KEY": store.secret_access_key,
        "WATTLEDGER_LEDGER_ORIGIN": settings.ledger_origin,
        "WATTLEDGER_PAYLOAD_KEYRING_PATH": str(settings.payload_keyring_file),
        "WATTLEDGER_LEDGER_SIGNING_KEY_PATH": str(settings.signing_key_path),
        "WATTLEDGER_APPROVAL_SIGNING_KEY_PATH": str(settings.approval_key_path),
        "WATTLEDGER_ISO_BASE_URL": str(settings.iso_base_url), "WATTLEDGER_ISO_USERNAME": DEMO_USER,
        "WATTLEDGER_ISO_PASSWORD": DEMO_PASSWORD, "WATTLEDGER_ISO_CLIENT_CERT_PATH": str(settings.iso_client_cert_path),
        "WATTLEDGER_ISO_CLIENT_KEY_PATH": str(settings.iso_client_key_path),
        "WATTLEDGER_ISO_CA_BUNDLE_PATH": str(settings.iso_ca_bundle_path),
    })
    return environment


def _start_worker(environment: dict[str, str], home: Path) -> subprocess.Popen[bytes]:
    """`python worker.py`, as a deployment runs it, logging to its home."""
    with (home / "worker.log").open("wb") as log:
        return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=environment)


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


@pytest.fixture(scope="module")
async def stack(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
                fake_iso: tuple[str, IsoPki], object_store: EmbeddedObjectStore) -> AsyncIterator[Stack]:
    base_url, pki = fake_iso
    secrets = tmp_path_factory.mktemp("secrets")
    settings = Settings(
        home=tmp_path_factory.mktemp("api-home"), database_url=database_url,
        ledger_origin="test.wattledger/two-workers", data_uri=f"{object_store.data_uri}/two-workers-{uuid.uuid4().hex[:8]}",
        payload_keyring_path=secrets / "payload-keyring.json", ledger_signing_key_path=secrets / "ledger.pem",
        approval_signing_key_path=secrets / "approval.pem", activity_heartbeat_timeout_s=HEARTBEAT_TIMEOUT_S,
        iso_base_url=base_url, iso_username=DEMO_USER, iso_password=DEMO_PASSWORD,
        iso_client_cert_path=str(pki.client_cert_path), iso_client_key_path=str(pki.client_key_path),
        iso_ca_bundle_path=str(pki.ca_cert_path))
    ensure_signing_key(settings)
    ensure_payload_keyring(settings)
    with engine.begin() as conn:
        for campus_id in CAMPUS_IDS:
            register_demo_campus(conn, campus_id)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                data_converter=DATA_CONVERTER)
    address = env.client.service_client.config.target_host
    workers: list[subprocess.Popen[bytes]] = []
    try:
        client = await connect(address, settings.temporal_namespace, settings)
        for index in range(2):
            home = tmp_path_factory.mktemp(f"worker-{index}-home")
            workers.append(_start_worker(_worker_environment(settings, home, address, object_store), home))
        app = create_app(settings, engine, client, authenticate=staff)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
            yield Stack(http, client, settings, workers)
    finally:
        await asyncio.to_thread(_stop, workers)
        await env.shutdown()


def _identity_pid(identity: str) -> int | None:
    pid, _, _ = identity.partition("@")  # the SDK's default worker identity is "<pid>@<host>"
    return int(pid) if pid.isdigit() else None


@dataclass(frozen=True)
class KilledStep:
    worker: subprocess.Popen[bytes]
    cycle_id: str
    activity_id: str
    step: str


async def _kill_a_worker_mid_step(stack: Stack, cycle_ids: list[str]) -> KilledStep:
    """Once both workers have been seen running steps of the portfolio, SIGKILL one that runs a step right now."""
    by_pid = {worker.pid: worker for worker in stack.workers}
    seen_running: set[int] = set()
    deadline = asyncio.get_running_loop().time() + KILL_WAIT_S_MAX
    while asyncio.get_running_loop().time() < deadline:
        running: list[KilledStep] = []
        for cycle_id in cycle_ids:
            pending = (await stack.client.get_workflow_handle(cycle_id).describe()).raw_description.pending_activities
            for activity in pending:
                pid = _identity_pid(activity.last_worker_identity)
                if activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED and pid in by_pid:
                    running.append(KilledStep(by_pid[pid], cycle_id, activity.activity_id,
                                              activity.activity_type.name))
        seen_running |= {step.worker.pid for step in running}
        long_running = [step for step in running if step.step not in QUICK_STEPS]
        if seen_running == set(by_pid) and long_running:
            # The describes above took a while: look again at this one step right before the kill, so the kill
            # lands while it runs (a step that finished in between would leave nothing to retry).
            chosen = long_running[0]
            if await _still_running(stack.client, chosen):
                chosen.worker.send_signal(signal.SIGKILL)
                chosen.worker.wait(timeout=30)
                return chosen
        await asyncio.sleep(0.1)
    raise AssertionError(f"both workers were never seen running steps (seen: {seen_running})")


async def _still_running(client: Client, step: KilledStep) -> bool:
    pending = (await client.get_workflow_handle(step.cycle_id).describe()).raw_description.pending_activities
    return any(activity.activity_id == step.activity_id and _identity_pid(activity.last_worker_identity) == step.worker.pid
               and activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for activity in pending)


async def _finished_by(client: Client, killed: KilledStep) -> tuple[str, int]:
    """(worker identity, attempt) of the run of the killed step that finished, from the cycle's history."""
    scheduled_event_id = None
    async for event in client.get_workflow_handle(killed.cycle_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and \
                event.activity_task_scheduled_event_attributes.activity_id == killed.activity_id:
            scheduled_event_id = event.event_id
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED and \
                event.activity_task_started_event_attributes.scheduled_event_id == scheduled_event_id:
            started = event.activity_task_started_event_attributes
            return started.identity, started.attempt
    raise AssertionError(f"{killed.step} of {killed.cycle_id} never finished")


async def test_a_worker_killed_mid_step_leaves_the_other_to_finish_every_cycle(stack: Stack, engine: Engine) -> None:
    http = stack.http
    for index, campus_id in enumerate(CAMPUS_IDS):  # bytes of its own each: the same bytes twice are refused
        write_site_export(inbox_folder(stack.settings, campus_id, PERIOD), 2026, 10, seed=61 + index)
    cycle_ids = []
    for campus_id in CAMPUS_IDS:
        started = await http.post("/cycles", json={"campus_id": campus_id, "period": PERIOD})
        assert started.status_code == 202, started.text
        cycle_ids.append(started.json()["cycle_id"])

    killed_step = await _kill_a_worker_mid_step(stack, cycle_ids)
    killed, step = killed_step.worker, killed_step.step
    survivor = next(worker for worker in stack.workers if worker is not killed)
    for cycle_id in cycle_ids:
        cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"}, wait_s_max=KILL_WAIT_S_MAX)
        assert cycle["status"] == "awaiting_approval", f"{cycle_id} after killing {step}: {cycle['status_detail']}"
        approved = await http.post(f"/cycles/{cycle_id}/approve", json={"approver": "test.staff", "comment": "ok"})
        assert approved.status_code == 200, approved.text
    for cycle_id in cycle_ids:
        cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"}, wait_s_max=KILL_WAIT_S_MAX)
        assert cycle["status"] == "completed", cycle["status_detail"]
    assert survivor.poll() is None, "the surviving worker still runs"

    identity, attempt = await _finished_by(stack.client, killed_step)
    assert (_identity_pid(identity), attempt >= 2) == (survivor.pid, True), "the survivor retried the killed step"

    with engine.connect() as conn:
        invoices = conn.execute(text(
            "SELECT cycle_id, count(*), count(DISTINCT tenant_id), count(DISTINCT invoice_id) FROM invoice "
            "WHERE cycle_id = ANY(:ids) GROUP BY cycle_id ORDER BY cycle_id"), {"ids": cycle_ids}).all()
        submissions = conn.execute(text(
            "SELECT cycle_id, status FROM iso_submission WHERE cycle_id = ANY(:ids) ORDER BY cycle_id"),
            {"ids": cycle_ids}).all()
    tenant_count = len(TENANTS)
    assert [tuple(row) for row in invoices] == [(cycle_id, tenant_count, tenant_count, tenant_count)
                                                for cycle_id in sorted(cycle_ids)], "one invoice per tenant"
    assert [tuple(row) for row in submissions] == [(cycle_id, "accepted") for cycle_id in sorted(cycle_ids)]
    pdfs = [uri for uri in storage.list_uris(storage.join(stack.settings.data_root_uri, "invoices"))
            if uri.endswith(".pdf") and "/.staging/" not in uri]
    assert len(pdfs) == tenant_count * len(CAMPUS_IDS), "one document per invoice, none doubled"
    verify = (await http.get("/ledger/verify")).json()
    assert verify["ok"] is True, verify
