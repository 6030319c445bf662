"""Servers restarted mid-cycle: PostgreSQL (a cluster of the machine's installed server, and the embedded
server) stopped in immediate mode and started again, and the Temporal dev server killed and started again on
its database file. Cycles on `python worker.py` resume and complete exactly once (same checks as the kill -9
scenario). These run in `make test-faults` only (each takes one to three minutes on two cores).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.faults.conftest import full_only
from tests.faults.harness import (
    RESULTS,
    TemporalDevServer,
    WorkerProcess,
    fresh_database,
)
from tests.faults.postgres_servers import EmbeddedPostgres, MachinePostgres, machine_bin_dir
from tests.faults.scenarios import Fault, KillReport, run_fault_scenario

DOWNTIME_S = 3.0
PERIODS = ["2026-04", "2026-05"]
RESTARTS = 3  # at least: one before finance approves, then one per approved cycle (tests/faults/scenarios.py)
RESTARTS_TRIED = 4


def _record(name: str, report: KillReport) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    body = {"elapsed_s": report.elapsed_s, "restarts": [k.__dict__ for k in report.kills],
            "phases_hit": sorted(report.phases_hit()), "history": report.history,
            "totals": report.totals.__dict__ if report.totals else None, "downtime_s": DOWNTIME_S}
    (RESULTS / f"{name}.json").write_text(json.dumps(body, indent=1, sort_keys=True))


def _engine_for(url: str) -> Iterator[tuple[str, Engine]]:
    from db import make_engine

    with fresh_database(url) as database_url:
        engine = make_engine(database_url)
        try:
            yield database_url, engine
        finally:
            engine.dispose()


def _restart_postgres(server: MachinePostgres | EmbeddedPostgres) -> object:
    def make(worker: WorkerProcess) -> Fault:
        async def inject() -> None:
            await asyncio.to_thread(server.restart, DOWNTIME_S)
        return inject
    return make


async def _run_postgres(tmp_path: Path, server: MachinePostgres | EmbeddedPostgres, name: str, seed: int) -> None:
    temporal = TemporalDevServer(tmp_path / "temporal.sqlite", tmp_path / "temporal.log")
    temporal.start()
    try:
        for database_url, engine in _engine_for(server.url):
            report = await run_fault_scenario(tmp_path, engine, database_url, temporal, PERIODS, RESTARTS_TRIED, seed,
                                              600, _restart_postgres(server), 1)  # type: ignore[arg-type]
            _record(name, report)
            assert len(report.kills) >= RESTARTS and report.totals is not None and report.totals.cycles == 2
    finally:
        temporal.stop()


@full_only
@pytest.mark.skipif(machine_bin_dir() is None, reason="no PostgreSQL installed on this machine")
async def test_machine_postgres_restarts_mid_cycle_and_cycles_complete_once(tmp_path: Path) -> None:
    """Three immediate-mode restarts of the machine's PostgreSQL (a private cluster) during two cycles."""
    server = MachinePostgres()
    try:
        await asyncio.to_thread(server.start)
        await _run_postgres(tmp_path, server, "restart_machine_postgres", seed=31)
    finally:
        server.remove()


@full_only
async def test_embedded_postgres_restarts_mid_cycle_and_cycles_complete_once(tmp_path: Path) -> None:
    """Three immediate-mode restarts of the embedded PostgreSQL during two cycles."""
    server = EmbeddedPostgres()
    try:
        await _run_postgres(tmp_path, server, "restart_embedded_postgres", seed=32)
    finally:
        server.remove()


@full_only
async def test_temporal_dev_server_restarts_mid_cycle_and_cycles_complete_once(
        tmp_path: Path, fault_engine: Engine, fault_database_url: str, temporal_server: TemporalDevServer) -> None:
    """Three kills (SIGKILL) and restarts of the Temporal dev server, history kept in its database file."""

    def make(worker: WorkerProcess) -> Fault:
        async def inject() -> None:
            temporal_server.stop(hard=True)
            await asyncio.sleep(DOWNTIME_S)
            temporal_server.start()
            await asyncio.to_thread(temporal_server.wait_listening)
        return inject

    # Without database downtime the cycles run faster, so four of them leave room for three restarts.
    periods = ["2026-06", "2026-07", "2026-08", "2026-09"]
    report = await run_fault_scenario(tmp_path, fault_engine, fault_database_url, temporal_server, periods,
                                      RESTARTS_TRIED, 33, 600, make, 0)
    _record("restart_temporal", report)
    assert len(report.kills) >= RESTARTS and report.totals is not None and report.totals.cycles == 4
