"""Start the re-settlement of a completed cycle: the one path the API and the CLI take.

The correction's workflow id is `correction:{cycle_id}:r{n}`, n the settlement revision it would record. A start
while that correction runs returns it; after an approved correction, the next one works on the next revision.
The Temporal client's side of `CycleCorrectionWorkflow`; the checks are `billing.corrections.completed_cycle`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from billing.corrections import completed_cycle, correction_id_for
from settings import TASK_QUEUE, Settings
from workflows.activity_options import activity_timeout_s_for
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.cycle_correction_types import CorrectionInput


@dataclass(frozen=True)
class StartedCorrection:
    correction_id: str
    cycle_id: str
    revision: int
    run_id: str | None


async def start_correction(client: Client, engine: Engine, settings: Settings, cycle_id: str,
                           requested_by: str) -> StartedCorrection:
    """Start (or find) the re-settlement of a completed cycle as its next settlement revision."""
    cycle = await asyncio.to_thread(completed_cycle, engine, cycle_id, requested_by)
    correction_id = correction_id_for(cycle_id, cycle.revision_next)
    timeout_s = activity_timeout_s_for(cycle.meter_count, settings.activity_timeout_s_min,
                                       settings.activity_timeout_ms_per_meter)
    inp = CorrectionInput(correction_id, cycle_id, cycle.campus_id, cycle.period, cycle.revision_next, requested_by,
                          settings.four_eyes_threshold_usd_micros, timeout_s, settings.activity_heartbeat_timeout_s)
    handle = await client.start_workflow(
        CycleCorrectionWorkflow.run, inp, id=correction_id, task_queue=TASK_QUEUE,
        # A running correction is returned as it is; one that ended (e.g. no change) may run again.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return StartedCorrection(correction_id, cycle_id, cycle.revision_next, handle.result_run_id)
