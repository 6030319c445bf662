"""Fault scenarios shared by the quick checks (normal suite) and the full runs (`make test-faults`).

`kill_worker_scenario`: cycles for several months of the demo campus run on `python worker.py`; while they
run, the worker is killed with SIGKILL at random moments (each a random 0-2.5 s after the cycles were last
seen making progress, so the kill lands inside a step) and restarted at once. Finance approves through the
workflow update as cycles reach approval. At the end every cycle must have completed exactly once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from billing.registration import inbox_folder
from demo.campus import CAMPUS_ID, TENANTS, register_demo_campus
from demo.site_export import write_site_export
from runtime.keys import ensure_signing_key
from runtime.temporal import connect
from settings import Settings
from tests.faults.driver import CycleDriver
from tests.faults.harness import (
    TemporalDevServer,
    WorkerProcess,
    cycle_statuses,
    database_now_epoch,
    last_progress_utc,
    worker_env,
)
from tests.faults.invariants import RunTotals, assert_exactly_once

LEDGER_ORIGIN = "faults.wattledger/ledger"
Fault = Callable[[], Awaitable[None]]
PROGRESS_WAIT_S_MAX = 120.0
KILL_DELAY_S_MAX = 2.5


@dataclass
class KillRecord:
    at_s: float
    phases: dict[str, str]


@dataclass
class KillReport:
    kills: list[KillRecord] = field(default_factory=list)
    totals: RunTotals | None = None
    elapsed_s: float = 0.0
    approvals_sent: int = 0
    history: dict[str, int] = field(default_factory=dict)

    def phases_hit(self) -> set[str]:
        return {phase for kill in self.kills for phase in kill.phases.values()}


def prepare_home(home: Path, engine: Engine, database_url: str, periods: list[str]) -> Settings:
    settings = Settings(home=home, database_url=database_url, ledger_origin=LEDGER_ORIGIN)
    ensure_signing_key(settings)
    with engine.begin() as conn:
        register_demo_campus(conn)
    for index, period in enumerate(periods):
        year, month = (int(part) for part in period.split("-"))
        write_site_export(inbox_folder(settings, CAMPUS_ID, period), year, month, seed=11 + index)
    return settings


async def _wait_for_progress(engine: Engine, cycle_ids: list[str], since_epoch: float,
                             worker: WorkerProcess) -> bool:
    """True once a cycle records progress after `since_epoch`, or when every open cycle waits for finance
    (a fault then hits the approval path); False if all are completed."""
    deadline = time.monotonic() + PROGRESS_WAIT_S_MAX
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, "worker exited on its own"
        if await _db_retry(last_progress_utc, engine, cycle_ids) > since_epoch:
            return True
        statuses = await _db_retry(cycle_statuses, engine, cycle_ids)
        if all(status == "completed" for status in statuses.values()):
            return False
        if set(statuses.values()) <= {"awaiting_approval", "completed"}:
            return True
        await asyncio.sleep(0.2)
    raise AssertionError(f"no cycle progress within {PROGRESS_WAIT_S_MAX} s after a worker restart")


async def _db_retry(function, *args):  # type: ignore[no-untyped-def]
    """Run a database read, waiting out a PostgreSQL restart (the fault under test, not a test failure)."""
    deadline = time.monotonic() + PROGRESS_WAIT_S_MAX
    while True:
        try:
            return await asyncio.to_thread(function, *args)
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _fault_loop(engine: Engine, driver: CycleDriver, worker: WorkerProcess, faults_wanted: int,
                      rng: random.Random, report: KillReport, started: float, inject: Fault) -> None:
    while len(report.kills) < faults_wanted:
        since = await _db_retry(database_now_epoch, engine)
        if not await _wait_for_progress(engine, driver.cycle_ids, since, worker):
            return
        await asyncio.sleep(rng.uniform(0.0, KILL_DELAY_S_MAX))
        phases = await _db_retry(cycle_statuses, engine, driver.cycle_ids)
        await inject()
        report.kills.append(KillRecord(round(time.monotonic() - started, 1), phases))


async def run_fault_scenario(tmp_path: Path, engine: Engine, database_url: str, temporal: TemporalDevServer,
                             periods: list[str], faults_wanted: int, seed: int, deadline_s: float,
                             make_fault: Callable[[WorkerProcess], Fault], faults_before_approval: int = 0) -> KillReport:
    """Cycles on `python worker.py` while `make_fault(worker)` is injected up to `faults_wanted` times mid-step.

    Finance approves one cycle per fault landed beyond the first `faults_before_approval`, so each approved
    cycle's invoicing, ISO submission and ledger close run while the next fault is due, and at least
    `faults_before_approval + len(periods)` faults land whatever the machine's speed (capped by `faults_wanted`;
    once the faults are done, approvals are free)."""
    settings = prepare_home(tmp_path / "home", engine, database_url, periods)
    await temporal.wait_ready(lambda address: connect(address, "default", settings))
    client = await connect(temporal.address, "default", settings)
    worker = WorkerProcess(worker_env(settings.home_abs, database_url, temporal.address, LEDGER_ORIGIN),
                           tmp_path / "worker.log")
    report = KillReport()
    started = time.monotonic()
    worker.start()
    try:
        driver = CycleDriver([client], engine, settings)
        faults_done = asyncio.Event()
        driver.approvals_allowed = lambda: (
            faults_done.is_set() or driver.approvals_sent + faults_before_approval < len(report.kills))
        await driver.start(CAMPUS_ID, periods)
        injector = asyncio.create_task(_faults_then_flag(
            _fault_loop(engine, driver, worker, faults_wanted, random.Random(seed), report, started,
                        make_fault(worker)), faults_done))
        statuses = await driver.run_until_completed(deadline_s)
        await injector
        report.approvals_sent = driver.approvals_sent
        assert all(s == "completed" for s in statuses.values()), f"not completed: {statuses}"
        report.totals = assert_exactly_once(engine, driver.cycle_ids, len(TENANTS), LEDGER_ORIGIN)
        report.history = await _history_encrypted(temporal.address, engine, driver.cycle_ids)
    finally:
        worker.stop()
    report.elapsed_s = round(time.monotonic() - started, 1)
    return report


async def _faults_then_flag(faults: Awaitable[None], done: asyncio.Event) -> None:
    try:
        await faults
    finally:
        done.set()


def kill_worker(worker: WorkerProcess) -> Fault:
    async def inject() -> None:
        worker.kill9()
        worker.start()

    return inject


async def kill_worker_scenario(tmp_path: Path, engine: Engine, database_url: str, temporal: TemporalDevServer,
                               periods: list[str], kills_wanted: int, seed: int, deadline_s: float,
                               kills_before_approval: int = 0) -> KillReport:
    return await run_fault_scenario(tmp_path, engine, database_url, temporal, periods, kills_wanted, seed,
                                    deadline_s, kill_worker, kills_before_approval)


async def _history_encrypted(address: str, engine: Engine, cycle_ids: list[str]) -> dict[str, int]:
    """Every payload of every cycle's stored history is ciphertext; no tenant id or invoice id shows through."""
    from sqlalchemy import text

    from tests.security.history import stored_history_report

    with engine.connect() as conn:
        invoice_ids = conn.execute(text("SELECT invoice_id FROM invoice WHERE cycle_id = ANY(:ids)"),
                                   {"ids": cycle_ids}).scalars().all()
    markers = [tenant.tenant_id.encode() for tenant in TENANTS] + [i.encode() for i in invoice_ids]
    totals = {"payloads": 0, "encrypted": 0}
    for cycle_id in cycle_ids:
        count, encrypted, found = await stored_history_report(address, cycle_id, markers)
        assert count > 0 and encrypted == count and not found, (
            f"{cycle_id}: {encrypted} of {count} payloads encrypted; plaintext: {found[:5]}")
        totals["payloads"] += count
        totals["encrypted"] += encrypted
    return totals
