"""Start a billing cycle: the one path the API, the CLI, the demo and the monthly kickoff all take.

The Temporal client's side of `BillingCycleWorkflow`: register the cycle (`billing.registration`: the period's
inbox is received into the meter-data store first), then start its workflow under the cycle's business key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from billing.registration import forget_unstarted_cycle, register_cycle
from common.errors import Conflict
from settings import TASK_QUEUE, Settings
from workflows.activity_options import activity_timeout_s_for
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.billing_cycle_types import CycleInput, CycleResult


@dataclass(frozen=True)
class StartedCycle:
    cycle_id: str
    run_id: str | None
    input_count: int


async def start_cycle(client: Client, engine: Engine, settings: Settings, campus_id: str, period: str
                      ) -> StartedCycle:
    """Start the cycle's workflow, idempotently: a running cycle is returned as it is (USE_EXISTING), a
    failed one may start again (ALLOW_DUPLICATE_FAILED_ONLY), a completed one is a Conflict.

    `input_count` is how many of the store's files the period had at start; ingest reads the store again, so a
    retry or a re-settlement also sees what was received since."""
    registered = await asyncio.to_thread(register_cycle, engine, settings, campus_id, period)
    # The store is the cycle's input: ingest lists it again on every run, so the file list (tens of thousands of
    # names on a large campus) stays out of the workflow payload.
    inp = CycleInput(
        cycle_id=registered.cycle_id, campus_id=campus_id, period=period, input_uris=[],
        approval_timeout_hours=settings.approval_timeout_hours,
        escalations_max=settings.approval_escalations_max,
        approval_threshold_usd_micros=settings.four_eyes_threshold_usd_micros,
        activity_timeout_s=activity_timeout_s_for(registered.meter_count, settings.activity_timeout_s_min,
                                                  settings.activity_timeout_ms_per_meter),
        activity_heartbeat_timeout_s=settings.activity_heartbeat_timeout_s,
    )
    try:
        handle: WorkflowHandle[BillingCycleWorkflow, CycleResult] = await client.start_workflow(
            BillingCycleWorkflow.run, inp, id=registered.cycle_id, task_queue=TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
    except WorkflowAlreadyStartedError as error:
        message = f"{registered.cycle_id} has already completed; corrections go through a new settlement"
        raise Conflict(message) from error
    except RPCError:
        if registered.created and not await _workflow_exists(client, registered.cycle_id):
            await asyncio.to_thread(forget_unstarted_cycle, engine, registered.cycle_id)
        raise
    return StartedCycle(registered.cycle_id, handle.result_run_id, len(registered.stored_uris))


async def _workflow_exists(client: Client, workflow_id: str) -> bool:
    """Whether the server knows the workflow: a start whose answer was lost may still have started it. Unsure
    (the server cannot say) counts as yes, so a running cycle never loses its row."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        return error.status != RPCStatusCode.NOT_FOUND
    return True
