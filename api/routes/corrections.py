"""Corrections of completed cycles: start a re-settlement, approve or reject it. Thin over `billing` and the
correction workflow; the decision rules are the workflow's update validators, as for a cycle."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from temporalio.client import WorkflowHandle

from api.deps import EngineDep, PrincipalDep, SettingsDep, TemporalDep
from api.routes.cycles import acting_subject
from api.schemas import ApprovalBody, OperatorBody, RejectionBody
from runtime.keys import signed_decision
from workflows.approvals import Decision, Rejection
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.cycle_correction_start import start_correction
from workflows.cycle_correction_types import CorrectionResult

router = APIRouter(tags=["corrections"])


def _handle(client: TemporalDep, correction_id: str) -> WorkflowHandle[CycleCorrectionWorkflow, CorrectionResult]:
    return client.get_workflow_handle_for(CycleCorrectionWorkflow.run, correction_id)


@router.post("/cycles/{cycle_id}/corrections", status_code=202)
async def create_correction(cycle_id: str, body: OperatorBody, client: TemporalDep, engine: EngineDep,
                            settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Re-settle a completed cycle from the meter-data store as its next settlement revision."""
    principal.require("operator")
    started = await start_correction(client, engine, settings, cycle_id, acting_subject(principal, body.operator))
    return dataclasses.asdict(started)


async def _revision(handle: WorkflowHandle[CycleCorrectionWorkflow, CorrectionResult]) -> int:
    """The revision finance is deciding on (the decision is signed for it)."""
    status = await handle.query(CycleCorrectionWorkflow.status)
    return status.revision if status is not None else 0


@router.post("/corrections/{correction_id}/approve")
async def approve_correction(correction_id: str, body: ApprovalBody, client: TemporalDep, settings: SettingsDep,
                             principal: PrincipalDep) -> dict[str, Any]:
    principal.require("finance")
    handle = _handle(client, correction_id)
    decision = signed_decision(settings, Decision(approver=acting_subject(principal, body.approver),
                                                  role=principal.decision_role, comment=body.comment),
                               correction_id, await _revision(handle))
    status = await handle.execute_update(CycleCorrectionWorkflow.approve, decision)
    return dataclasses.asdict(status)


@router.post("/corrections/{correction_id}/reject")
async def reject_correction(correction_id: str, body: RejectionBody, client: TemporalDep, settings: SettingsDep,
                            principal: PrincipalDep) -> dict[str, Any]:
    """Reject: the correction ends and changes nothing (no revision recorded, nothing rebilled)."""
    principal.require("finance")
    handle = _handle(client, correction_id)
    rejection = signed_decision(settings, Rejection(approver=acting_subject(principal, body.approver),
                                                    role=principal.decision_role, reason=body.reason),
                                correction_id, await _revision(handle))
    status = await handle.execute_update(CycleCorrectionWorkflow.reject, rejection)
    return dataclasses.asdict(status)
