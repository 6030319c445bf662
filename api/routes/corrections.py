"""Corrections of completed cycles: start a re-settlement, approve or reject it. Thin over `billing` and the
correction workflow; the decision rules are the workflow's update validators, as for a cycle."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter

from api.deps import EngineDep, PrincipalDep, SettingsDep, TemporalDep
from api.routes.cycles import acting_subject
from api.schemas import ApprovalBody, OperatorBody, RejectionBody
from runtime.decisions import decide_correction
from workflows.approvals import Decision, Rejection
from workflows.cycle_correction import CycleCorrectionWorkflow
from workflows.cycle_correction_start import StartedCorrection, start_correction
from workflows.cycle_correction_types import CorrectionStatus

router = APIRouter(tags=["corrections"])


@router.post("/cycles/{cycle_id}/corrections", status_code=202, response_model=StartedCorrection)
async def create_correction(cycle_id: str, body: OperatorBody, client: TemporalDep, engine: EngineDep,
                            settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Re-settle a completed cycle from the meter-data store as its next settlement revision."""
    principal.require("operator")
    started = await start_correction(client, engine, settings, cycle_id, acting_subject(principal, body.operator))
    return dataclasses.asdict(started)


@router.post("/corrections/{correction_id}/approve", response_model=CorrectionStatus)
async def approve_correction(correction_id: str, body: ApprovalBody, client: TemporalDep, settings: SettingsDep,
                             principal: PrincipalDep) -> dict[str, Any]:
    principal.require("finance")
    decision = Decision(approver=acting_subject(principal, body.approver), role=principal.decision_role,
                        comment=body.comment)
    status = await decide_correction(client, settings, correction_id, CycleCorrectionWorkflow.approve, decision)
    return dataclasses.asdict(status)


@router.post("/corrections/{correction_id}/reject", response_model=CorrectionStatus)
async def reject_correction(correction_id: str, body: RejectionBody, client: TemporalDep, settings: SettingsDep,
                            principal: PrincipalDep) -> dict[str, Any]:
    """Reject: the correction ends and changes nothing (no revision recorded, nothing rebilled)."""
    principal.require("finance")
    rejection = Rejection(approver=acting_subject(principal, body.approver), role=principal.decision_role,
                          reason=body.reason)
    status = await decide_correction(client, settings, correction_id, CycleCorrectionWorkflow.reject, rejection)
    return dataclasses.asdict(status)
