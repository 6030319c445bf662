"""Start a billing cycle: the one path the API, the CLI and the demo all take."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from common.errors import BadInput, Conflict
from cycles import repository as repo
from cycles.periods import cycle_id_for, period_bounds_utc
from settings import TASK_QUEUE, Settings
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.types import CycleInput

INBOX_FILES_MAX = 10_000


@dataclass(frozen=True)
class StartedCycle:
    cycle_id: str
    run_id: str | None
    input_count: int


def inbox_folder(settings: Settings, campus_id: str, period: str) -> Path:
    """Where site exports for a campus and month are dropped (by hand, sftp or the watched folder)."""
    return settings.home_abs / "inbox" / campus_id / period


def _inbox_files(settings: Settings, campus_id: str, period: str) -> list[str]:
    folder = inbox_folder(settings, campus_id, period)
    files = sorted(str(path) for path in folder.glob("*.csv"))[:INBOX_FILES_MAX]
    if not files:
        raise BadInput(str(folder), None, None, "no meter files (*.csv) to ingest for this campus and period")
    return files


def _register(engine: Engine, settings: Settings, campus_id: str, period: str,
              input_uris: list[str] | None) -> tuple[str, list[str]]:
    with engine.begin() as conn:
        campus = repo.load_campus(conn, campus_id)
        bounds = period_bounds_utc(period, campus.time_zone)
        uris = input_uris or _inbox_files(settings, campus_id, period)
        cycle_id = cycle_id_for(campus_id, period)
        repo.insert_cycle(conn, cycle_id, campus_id, period, bounds, str(inbox_folder(settings, campus_id, period)))
    return cycle_id, uris


async def start_cycle(client: Client, engine: Engine, settings: Settings, campus_id: str, period: str,
                      input_uris: list[str] | None = None) -> StartedCycle:
    """Start the cycle's workflow, idempotently: a running cycle is returned as it is (USE_EXISTING), a
    failed one may start again (ALLOW_DUPLICATE_FAILED_ONLY), a completed one is a Conflict."""
    cycle_id, uris = await asyncio.to_thread(_register, engine, settings, campus_id, period, input_uris)
    inp = CycleInput(
        cycle_id=cycle_id, campus_id=campus_id, period=period, input_uris=uris,
        approval_timeout_hours=settings.approval_timeout_hours,
        escalations_max=settings.approval_escalations_max,
        approval_threshold_usd_micros=settings.four_eyes_threshold_usd_micros,
    )
    try:
        handle: WorkflowHandle = await client.start_workflow(
            BillingCycleWorkflow.run, inp, id=cycle_id, task_queue=TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
    except WorkflowAlreadyStartedError as error:
        raise Conflict(f"{cycle_id} has already completed; corrections go through a new settlement") from error
    return StartedCycle(cycle_id, handle.result_run_id, len(uris))
