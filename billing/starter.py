"""Start a billing cycle: the one path the API, the CLI and the demo all take.

A cycle reads its campus's period from the meter-data store. Starting one first receives into the store any
files still lying in the period's inbox (and any server-side files named by the caller), exactly as an upload
would be; a refused file stops the start with its file, line, field and reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from billing import repository as repo
from billing.periods import cycle_id_for, period_bounds_utc
from campus import load_campus
from campus.repository import latest_version_number
from common.errors import Conflict
from meterdata.service import collect_period_files
from settings import TASK_QUEUE, Settings
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.types import CycleInput


@dataclass(frozen=True)
class StartedCycle:
    cycle_id: str
    run_id: str | None
    input_count: int


def inbox_folder(settings: Settings, campus_id: str, period: str) -> Path:
    """Where site exports for a campus and month may be dropped (by hand or sftp); received at cycle start."""
    return settings.home_abs / "inbox" / campus_id / period


def _register(engine: Engine, settings: Settings, campus_id: str, period: str,
              input_uris: list[str] | None) -> tuple[str, list[str]]:
    with engine.begin() as conn:
        campus = load_campus(conn, campus_id)
        campus_version = latest_version_number(conn, campus_id)
    bounds = period_bounds_utc(period, campus.time_zone)
    folder = inbox_folder(settings, campus_id, period)
    files = collect_period_files(engine, settings.data_root_uri, campus_id, period, bounds, folder, input_uris or [])
    cycle_id = cycle_id_for(campus_id, period)
    with engine.begin() as conn:
        # The cycle row keeps the inbox folder: ingest receives what lies there again before each run.
        repo.insert_cycle(conn, cycle_id, campus_id, period, bounds, str(folder), campus_version)
    return cycle_id, [file.stored_uri for file in files]


async def start_cycle(client: Client, engine: Engine, settings: Settings, campus_id: str, period: str,
                      input_uris: list[str] | None = None) -> StartedCycle:
    """Start the cycle's workflow, idempotently: a running cycle is returned as it is (USE_EXISTING), a
    failed one may start again (ALLOW_DUPLICATE_FAILED_ONLY), a completed one is a Conflict.

    `input_uris` are server-side files to receive into the store first, beside the period's inbox.
    `input_count` is how many of the store's files the period had at start; ingest reads the store again, so a
    retry or a re-settlement also sees what was received since."""
    cycle_id, uris = await asyncio.to_thread(_register, engine, settings, campus_id, period, input_uris)
    # The store is the cycle's input: ingest lists it again on every run, so the file list (tens of thousands of
    # names on a large campus) stays out of the workflow payload.
    inp = CycleInput(
        cycle_id=cycle_id, campus_id=campus_id, period=period, input_uris=[],
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
