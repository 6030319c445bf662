"""Billing cycles: start, read, approve, reject, settle again, cancel. Thin over `billing` and the workflow."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from api.deps import EngineDep, PrincipalDep, SettingsDep, TemporalDep
from api.principal import Principal
from api.schemas import (
    ApprovalBody,
    CancelRequestedPublic,
    CycleCreate,
    CyclePublic,
    CycleReviewPublic,
    CycleRowPublic,
    CycleStarted,
    CycleStepPublic,
    OperatorBody,
    OverridePublic,
    RejectionBody,
)
from billing import repository as repo
from billing import review
from billing.cycle_states import CycleState
from billing.cycle_summary import cycle_summary
from runtime.decisions import decide_cycle
from workflows.approvals import Decision, Rejection
from workflows.billing_cycle import BillingCycleWorkflow
from workflows.billing_cycle_start import start_cycle
from workflows.billing_cycle_types import CycleResult, CycleStatus

router = APIRouter(prefix="/cycles", tags=["cycles"])
LIST_LIMIT_MAX = 500
# The statuses a cycle is recorded with (`billing_cycle.status`): `started`, then the workflow's phases. Any other
# is refused (422 naming them), as `wattledger cycle list --state` refuses it, rather than answered with no rows.
STATUS_PATTERN = "^(" + "|".join(state.value for state in CycleState) + ")$"


def _handle(client: TemporalDep, cycle_id: str) -> WorkflowHandle[BillingCycleWorkflow, CycleResult]:
    return client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id)


@router.post("", status_code=202, response_model=CycleStarted)
async def create_cycle(body: CycleCreate, client: TemporalDep, engine: EngineDep, settings: SettingsDep,
                       principal: PrincipalDep) -> CycleStarted:
    principal.require("operator")
    started = await start_cycle(client, engine, settings, body.campus_id, body.period)
    return CycleStarted(**dataclasses.asdict(started))


@router.get("", response_model=list[CycleRowPublic])
def list_cycles(engine: EngineDep, principal: PrincipalDep,
                status: str | None = Query(default=None, max_length=64, pattern=STATUS_PATTERN),
                limit: int = Query(default=100, ge=1, le=LIST_LIMIT_MAX)) -> list[dict[str, Any]]:
    principal.require("operator", "finance", "auditor")
    with engine.connect() as conn:
        return repo.list_cycles(conn, status, limit)


@router.get("/{cycle_id}", response_model=CyclePublic)
async def read_cycle(cycle_id: str, engine: EngineDep, client: TemporalDep, principal: PrincipalDep) -> CyclePublic:
    """The cycle's summary: size independent of meters and tenants; each step's `url` has its full result."""
    principal.require("operator", "finance", "auditor")
    row = await asyncio.to_thread(_load, engine, cycle_id)
    live = None
    try:
        status = await _handle(client, cycle_id).query(BillingCycleWorkflow.status)
        live = dataclasses.asdict(status) if status is not None else None
    except RPCError:
        live = None  # closed or unknown workflow: the database row is the record
    return CyclePublic(**cycle_summary(row, live))


@router.get("/{cycle_id}/steps/{step}", response_model=CycleStepPublic)
def read_cycle_step(cycle_id: str, step: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """One recorded step's full result (the VEE report, tenant totals and emissions, invoices, ...)."""
    principal.require("operator", "finance", "auditor")
    with engine.connect() as conn:
        return repo.load_step(conn, cycle_id, step)


def _load(engine: EngineDep, cycle_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return repo.load_cycle(conn, cycle_id)


def acting_subject(principal: Principal, named: str | None) -> str:
    """A decision or an operator action is the authenticated user's own (four eyes means two distinct subjects;
    history names who retried or cancelled): a body naming someone else is refused."""
    if named is not None and named != principal.subject:
        raise HTTPException(status_code=403, detail=f"{principal.subject} cannot act on behalf of {named}")
    return principal.subject


class OverrideBody(BaseModel):
    finding_code: str = Field(min_length=1, max_length=200, description="the blocking finding's code, e.g. balance")
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/{cycle_id}/review", response_model=CycleReviewPublic)
def read_cycle_review(cycle_id: str, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
                      ) -> dict[str, Any]:
    """Findings, overrides and decisions of a cycle (`billing.review`): what finance approves against."""
    principal.require("operator", "finance", "auditor")
    with engine.connect() as conn:
        return dataclasses.asdict(review.load_review(conn, cycle_id, review.review_limits(settings)))


@router.post("/{cycle_id}/overrides", status_code=201, response_model=OverridePublic)
def override_finding(cycle_id: str, body: OverrideBody, engine: EngineDep, settings: SettingsDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    """Accept one blocking finding with a reason (stored with the caller and the time): Approve is then allowed."""
    principal.require("finance")
    review.record_override(engine, cycle_id, body.finding_code, body.reason, principal.subject,
                           review.review_limits(settings))
    return {"cycle_id": cycle_id, "finding_code": body.finding_code, "overridden_by": principal.subject}


@router.post("/{cycle_id}/approve", response_model=CycleStatus)
async def approve_cycle(cycle_id: str, body: ApprovalBody, client: TemporalDep, engine: EngineDep,
                        settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Refused with 409 while a blocking finding has no override (`GET /cycles/{id}/review`)."""
    principal.require("finance")
    decision = Decision(approver=acting_subject(principal, body.approver), role=principal.decision_role,
                        comment=body.comment)
    await asyncio.to_thread(review.require_no_open_findings, engine, cycle_id, review.review_limits(settings))
    status = await decide_cycle(client, settings, cycle_id, BillingCycleWorkflow.approve, decision)
    await asyncio.to_thread(review.record_decision, engine, cycle_id, "approve", principal.subject, body.comment,
                            status.phase)
    return dataclasses.asdict(status)


@router.post("/{cycle_id}/reject", response_model=CycleStatus)
async def reject_cycle(cycle_id: str, body: RejectionBody, client: TemporalDep, engine: EngineDep,
                       settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("finance")
    rejection = Rejection(approver=acting_subject(principal, body.approver), role=principal.decision_role,
                          reason=body.reason)
    status = await decide_cycle(client, settings, cycle_id, BillingCycleWorkflow.reject, rejection)
    await asyncio.to_thread(review.record_decision, engine, cycle_id, "reject", principal.subject, body.reason,
                            status.phase)
    return dataclasses.asdict(status)


@router.post("/{cycle_id}/resettle", response_model=CycleStatus)
async def resettle_cycle(cycle_id: str, body: OperatorBody, client: TemporalDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("operator")
    status = await _handle(client, cycle_id).execute_update(BillingCycleWorkflow.resettle,
                                                            acting_subject(principal, body.operator))
    return dataclasses.asdict(status)


@router.post("/{cycle_id}/retry", response_model=CycleStatus)
async def retry_cycle(cycle_id: str, body: OperatorBody, client: TemporalDep, principal: PrincipalDep) -> dict[str, Any]:
    """Run a failed (parked) cycle's failed step again, after the input was fixed or the outage ended."""
    principal.require("operator")
    status = await _handle(client, cycle_id).execute_update(BillingCycleWorkflow.retry,
                                                            acting_subject(principal, body.operator))
    return dataclasses.asdict(status)


@router.post("/{cycle_id}/cancel", status_code=202, response_model=CancelRequestedPublic)
async def cancel_cycle(cycle_id: str, body: OperatorBody, client: TemporalDep, principal: PrincipalDep) -> dict[str, Any]:
    """Cancel a cycle that has not completed. The cancel request in the workflow's history names the
    authenticated operator (and the reason given), so the history shows who cancelled."""
    principal.require("operator")
    operator = acting_subject(principal, body.operator)
    reason = f"cancel requested by {operator}" + (f": {body.reason}" if body.reason else "")
    await _handle(client, cycle_id).cancel(reason=reason)
    return {"cycle_id": cycle_id, "cancel_requested_by": operator}
