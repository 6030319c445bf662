"""Start the re-settlement of a completed cycle: the one path the API and the CLI take.

The correction's workflow id is `correction:{cycle_id}:r{n}`, n the settlement revision it would record. A start
while that correction runs returns it; after an approved correction, the next one works on the next revision.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from billing import repository as repo
from common.errors import BadInput, Conflict
from settings import TASK_QUEUE, Settings
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.types import CorrectionInput


@dataclass(frozen=True)
class StartedCorrection:
    correction_id: str
    cycle_id: str
    revision: int
    run_id: str | None


def correction_id_for(cycle_id: str, revision: int) -> str:
    return f"correction:{cycle_id}:r{revision}"


def _completed_cycle(engine: Engine, cycle_id: str) -> tuple[dict, int]:
    with engine.begin() as conn:
        cycle = repo.load_cycle(conn, cycle_id)
        revision = repo.latest_settlement_revision(conn, cycle_id)
    if cycle["status"] != "completed" or revision < 0:
        raise Conflict(f"{cycle_id} is {cycle['status']}; only a completed cycle is corrected by re-settlement")
    return cycle, revision


async def start_correction(client: Client, engine: Engine, settings: Settings, cycle_id: str,
                           requested_by: str) -> StartedCorrection:
    """Start (or find) the re-settlement of a completed cycle as its next settlement revision."""
    if not requested_by.strip():
        raise BadInput("correction", None, "operator", "a correction needs the operator's name")
    cycle, latest_revision = await asyncio.to_thread(_completed_cycle, engine, cycle_id)
    # A correction records its revision only when finance approves it, so until then every start names the
    # same next revision: a running correction is returned, one that ended unapproved (rejected, no change,
    # failed) runs again under the same id.
    revision = latest_revision + 1
    correction_id = correction_id_for(cycle_id, revision)
    inp = CorrectionInput(correction_id, cycle_id, cycle["campus_id"], cycle["period"], revision, requested_by,
                          settings.four_eyes_threshold_usd_micros)
    handle = await client.start_workflow(
        CycleCorrectionWorkflow.run, inp, id=correction_id, task_queue=TASK_QUEUE,
        # A running correction is returned as it is; one that ended (e.g. no change) may run again.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return StartedCorrection(correction_id, cycle_id, revision, handle.result_run_id)
