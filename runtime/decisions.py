"""A finance decision sent to the workflow it is for, signed for the version finance is deciding on.

The API's approve/reject routes and the CLI's `cycle approve|reject`, `approve-correction|reject-correction` all go
through here: read the workflow's status for its settlement version (a cycle) or revision (a correction), sign the
decision for it with the approval key (`runtime.keys.signed_decision`), send the update. A cycle settled again in
between refuses the decision, which names the version it was signed for. A workflow that has already ended
(completed, cancelled) refuses it with `DecisionTooLate` (409), not Temporal's "not found".
"""

from __future__ import annotations

from typing import TypeVar

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from common.errors import Conflict
from runtime.keys import signed_decision
from settings import Settings
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.billing_cycle_types import CycleStatus
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.cycle_correction_types import CorrectionStatus

S = TypeVar("S", Decision, Rejection)


class DecisionTooLate(Conflict):
    """The workflow has ended, so no approval or rejection can reach it."""

    def __init__(self, workflow_id: str, phase: str) -> None:
        super().__init__(f"{workflow_id} is {phase}: its workflow has ended, so there is nothing to approve or reject")


async def decide_cycle(client: Client, settings: Settings, cycle_id: str,
                       update: UpdateMethodMultiParam[[BillingCycleWorkflow, S], CycleStatus], decision: S
                       ) -> CycleStatus:
    handle = client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id)
    status = await handle.query(BillingCycleWorkflow.status)
    version = status.settlement_version if status is not None else 0
    try:
        return await handle.execute_update(update, signed_decision(settings, decision, cycle_id, version))
    except RPCError as error:
        # The status query has just read this workflow, so Temporal's NOT_FOUND ("workflow execution already
        # completed") means it exists but has ended: the caller is late, not wrong about the id.
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise DecisionTooLate(cycle_id, status.phase if status is not None else "ended") from error


async def decide_correction(client: Client, settings: Settings, correction_id: str,
                            update: UpdateMethodMultiParam[[CycleCorrectionWorkflow, S], CorrectionStatus],
                            decision: S) -> CorrectionStatus:
    handle = client.get_workflow_handle_for(CycleCorrectionWorkflow.run, correction_id)
    status = await handle.query(CycleCorrectionWorkflow.status)
    revision = status.revision if status is not None else 0
    try:
        return await handle.execute_update(update, signed_decision(settings, decision, correction_id, revision))
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:  # as in decide_cycle: ended, not unknown
            raise
        raise DecisionTooLate(correction_id, status.phase if status is not None else "ended") from error
