"""BillingCycleWorkflow: one campus, one month — ingest, validate, settle, approve, invoice, submit, post.

The workflow only orchestrates. Every side effect is an activity that is idempotent on business keys
(cycle id + step + settlement version), so a retry, a worker crash or an operator reset never produces a
second invoice number, ledger entry or ISO submission.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar, cast

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    # A signature that fails to verify raises cryptography's exception from its Rust core; imported afresh
    # inside the sandbox, that core would be initialised a second time, which aborts the process.
    import cryptography.exceptions  # noqa: F401

    from activities.cycle import CycleActivities
    from billing.cycle_states import CycleState
    from billing.cycle_summary import vee_report_summary
    from billing.runs import version_label
    from workflows.activity_options import ACTIVITY_RETRY
    from workflows.approvals import (
        Decision,
        Rejection,
        approvals_needed,
        check_approval,
        check_decider,
        check_rejection,
        check_signature,
    )
    from workflows.billing_cycle_types import (
        CloseCycleLedgerInput,
        CloseCycleLedgerResult,
        CycleInput,
        CycleResult,
        CycleStatus,
        EscalateApprovalInput,
        IngestMeterFilesInput,
        InvoiceRef,
        IssueInvoicesInput,
        IssueInvoicesResult,
        PlanInvoicesInput,
        PlanInvoicesResult,
        PredecessorInput,
        PredecessorResult,
        RecordSettlementApprovalInput,
        RecordStatusInput,
        RemindApproversInput,
        RenderInvoicesInput,
        RunShadowInput,
        SettleCycleInput,
        SettleCycleResult,
        SubmitToIsoInput,
        SubmitToIsoResult,
        ValidateIntervalsInput,
        VoidRejectedSettlementInput,
    )

# Cycles that recorded an approval before these patches scheduled it as `post_approved_settlement`, and received
# `issue_invoices`' result as a bare list; replaying them takes those paths again.
APPROVAL_RECORDED_PATCH = "record-settlement-approval"
INVOICES_RESULT_PATCH = "issue-invoices-result"
# Cycles that issued before invoices were rendered in batches rendered them inside `issue_invoices`.
INVOICE_BATCHES_PATCH = "invoice-batches"
# Approval signals accepted before decisions were signed carried no signature.
SIGNED_DECISIONS_PATCH = "signed-decisions"
# Cycles that settled before a period waited for the previous one's settlement did not look.
SETTLE_AFTER_PREDECESSOR_PATCH = "settle-after-predecessor"

ActivityIn = TypeVar("ActivityIn")
ActivityOut = TypeVar("ActivityOut")


@workflow.defn
class BillingCycleWorkflow:
    def __init__(self) -> None:
        self._status: CycleStatus | None = None
        self._approvals: list[Decision] = []
        self._rejection: Rejection | None = None
        self._resettle_requested = False
        self._retry_requested_by: str | None = None
        self._threshold_usd_micros = 0
        self._input: CycleInput | None = None

    @workflow.run
    async def run(self, inp: CycleInput) -> CycleResult:
        self._status = CycleStatus(cycle_id=inp.cycle_id, phase=CycleState.INGESTING)
        self._threshold_usd_micros = inp.approval_threshold_usd_micros
        self._input = inp
        try:
            return await self._run_steps(inp)
        except asyncio.CancelledError:
            await asyncio.shield(self._on_cancel(inp))
            raise

    async def _run_steps(self, inp: CycleInput) -> CycleResult:
        validated_uri = await self._ingest_and_validate(inp)
        settled, validated_uri = await self._settle_until_approved(inp, validated_uri)
        assert self._status is not None
        version = self._status.settlement_version
        await self._set_phase(inp, CycleState.INVOICING)
        issued = await self._issue_invoices(
            IssueInvoicesInput(inp.cycle_id, inp.campus_id, inp.period, version, await self._render_invoices(inp)))
        invoices = issued.invoices
        self._status.invoices = invoices
        self._status.invoice_count = issued.invoice_count or len(invoices)
        self._status.invoiced_usd_cents = issued.total_usd_cents or sum(i.total_usd_cents for i in invoices)
        await self._set_phase(inp, CycleState.SUBMITTING)
        iso: SubmitToIsoResult = await self._act(
            CycleActivities.submit_to_iso,
            SubmitToIsoInput(inp.cycle_id, inp.campus_id, inp.period, version, validated_uri),
        )
        self._status.iso_submission = iso
        await self._set_phase(inp, CycleState.POSTING)
        ledger: CloseCycleLedgerResult = await self._act(
            CycleActivities.close_cycle_ledger, CloseCycleLedgerInput(inp.cycle_id)
        )
        self._status.ledger = ledger
        await self._set_phase(inp, CycleState.COMPLETED)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CycleResult(inp.cycle_id, settled.total_usd_micros, invoices, iso, ledger)

    async def _ingest_and_validate(self, inp: CycleInput) -> str:
        """Read the raw files again and validate them; returns the validated intervals' URI."""
        assert self._status is not None
        run_label = version_label(self._status.settlement_version)
        await self._set_phase(inp, CycleState.INGESTING)
        ingested = await self._act(
            CycleActivities.ingest_meter_files,
            IngestMeterFilesInput(inp.cycle_id, inp.campus_id, inp.period, run_label),
        )
        await self._set_phase(inp, CycleState.VALIDATING)
        vee = await self._act(
            CycleActivities.validate_intervals,
            ValidateIntervalsInput(inp.cycle_id, inp.campus_id, inp.period, run_label, ingested.intervals_uri),
        )
        self._status.vee_summary = vee.summary or vee_report_summary(vee.report)
        return vee.validated_uri

    async def _settle_until_approved(self, inp: CycleInput, validated_uri: str) -> tuple[SettleCycleResult, str]:
        """Settle, wait for finance; on rejection void, wait in rework, then (corrected meter data or
        contracts) ingest, validate and settle again as the next settlement version."""
        assert self._status is not None
        while True:
            await self._set_phase(inp, CycleState.SETTLING)
            # Histories recorded before this change settled without waiting for the previous period.
            if workflow.patched(SETTLE_AFTER_PREDECESSOR_PATCH):
                await self._wait_for_predecessor(inp)
            version = self._status.settlement_version
            settled = await self._act(
                CycleActivities.settle_cycle,
                SettleCycleInput(inp.cycle_id, inp.campus_id, inp.period, version, validated_uri),
            )
            self._status.total_usd_micros = settled.total_usd_micros
            self._status.energy_balance_wh = settled.energy_balance_wh
            # Shadow participation beside the settlement (memo only; histories recorded before it skip it).
            if workflow.patched("shadow-participation"):
                self._status.shadow = await self._act(
                    CycleActivities.run_shadow_participation,
                    RunShadowInput(inp.cycle_id, inp.campus_id, inp.period, version, validated_uri),
                )
            self._approvals, self._rejection = [], None
            await self._set_phase(inp, CycleState.AWAITING_APPROVAL)
            await self._await_decision(inp)
            if self._rejection is None:
                await self._record_approval(
                    RecordSettlementApprovalInput(inp.cycle_id, version, [d.approver for d in self._approvals])
                )
                return settled, validated_uri
            await self._act(
                CycleActivities.void_rejected_settlement,
                VoidRejectedSettlementInput(inp.cycle_id, inp.campus_id, inp.period, version,
                                            self._rejection.approver, self._rejection.reason),
            )
            await self._set_phase(inp, CycleState.REWORK, self._rejection.reason)
            self._resettle_requested = False
            await workflow.wait_condition(lambda: self._resettle_requested)
            self._status.settlement_version += 1
            # Cycles recorded before this change settled the same validated data again.
            if workflow.patched("rework-reingests"):
                validated_uri = await self._ingest_and_validate(inp)

    async def _record_approval(self, approval: RecordSettlementApprovalInput) -> None:
        if workflow.patched(APPROVAL_RECORDED_PATCH):
            await self._act(CycleActivities.record_settlement_approval, approval)
        else:
            await self._parked(lambda: self._execute_named("post_approved_settlement", approval, type(None)))

    async def _render_invoices(self, inp: CycleInput) -> str | None:
        """Plan the invoices and render them in batches, all at once, on whichever workers poll (the plan's URI);
        cycles recorded before batches render every invoice inside the issue step (None)."""
        if not workflow.patched(INVOICE_BATCHES_PATCH):
            return None
        assert self._status is not None
        planned: PlanInvoicesResult = await self._act(
            CycleActivities.plan_invoices,
            PlanInvoicesInput(inp.cycle_id, inp.campus_id, inp.period, self._status.settlement_version))
        await asyncio.gather(*(
            self._act(CycleActivities.render_invoices, RenderInvoicesInput(planned.plan_uri, batch_index))
            for batch_index in range(planned.batch_count)))
        return planned.plan_uri

    async def _issue_invoices(self, issue: IssueInvoicesInput) -> IssueInvoicesResult:
        if workflow.patched(INVOICES_RESULT_PATCH):
            return await self._act(CycleActivities.issue_invoices, issue)
        invoices = await self._parked(lambda: self._execute_named("issue_invoices", issue, list[InvoiceRef]))
        return IssueInvoicesResult(invoices)

    async def _await_decision(self, inp: CycleInput) -> None:
        """Wait for finance. Each round: a reminder halfway, an escalation at the timeout; after
        `escalations_max` rounds keep waiting without a timer (a person now owns the follow-up)."""
        assert self._status is not None
        reminders = workflow.patched("approval-reminders")
        while not self._decided():
            if self._status.escalations >= inp.escalations_max:
                await workflow.wait_condition(self._decided)
                return
            timeout = timedelta(hours=inp.approval_timeout_hours)
            if reminders and await self._remind_halfway(inp, timeout / 2):
                return
            waited = timeout / 2 if reminders else timeout
            try:
                await workflow.wait_condition(self._decided, timeout=waited, timeout_summary="finance-approval")
            except TimeoutError:
                self._status.escalations += 1
                await self._act(
                    CycleActivities.escalate_approval, EscalateApprovalInput(inp.cycle_id, self._status.escalations)
                )

    async def _remind_halfway(self, inp: CycleInput, half: timedelta) -> bool:
        """True when finance decided within the first half; else send a reminder and return False."""
        assert self._status is not None
        try:
            await workflow.wait_condition(self._decided, timeout=half, timeout_summary="approval-reminder")
            return True
        except TimeoutError:
            await self._act(
                CycleActivities.remind_approvers, RemindApproversInput(inp.cycle_id, self._status.escalations + 1)
            )
            return False

    def _decided(self) -> bool:
        if self._rejection is not None:
            return True
        needed = self._approvals_needed()
        return len({decision.approver for decision in self._approvals}) >= needed

    def _approvals_needed(self) -> int:
        assert self._status is not None
        return approvals_needed(self._threshold_usd_micros, self._status.total_usd_micros or 0)

    async def _act(self, activity: Callable[[CycleActivities, ActivityIn], ActivityOut],
                   arg: ActivityIn) -> ActivityOut:
        """Run one step; when it fails for good, park the cycle as FAILED until an operator retries it."""
        return await self._parked(lambda: self._execute(activity, arg))

    async def _parked(self, run_step: Callable[[], Awaitable[ActivityOut]]) -> ActivityOut:
        """Parking instead of failing keeps the cycle's history and position: after the operator fixes the
        input (or the outage ends) `retry` runs the same step again, which is safe because every step is
        idempotent on business keys.
        """
        assert self._status is not None and self._input is not None
        while True:
            try:
                return await run_step()
            except ActivityError as error:
                phase_before = CycleState(self._status.phase)
                await self._park(error)
                await self._set_phase(self._input, phase_before)

    async def _execute(self, activity: Callable[[CycleActivities, ActivityIn], ActivityOut],
                       arg: ActivityIn) -> ActivityOut:
        assert self._input is not None
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=timedelta(seconds=self._input.activity_timeout_s),
            retry_policy=ACTIVITY_RETRY, heartbeat_timeout=timedelta(seconds=self._input.activity_heartbeat_timeout_s),
        )

    async def _execute_named(self, name: str, arg: object, result_type: type[ActivityOut]) -> ActivityOut:
        """A step under the name (and result shape) cycles recorded before a patch; see APPROVAL_RECORDED_PATCH."""
        assert self._input is not None
        result = await workflow.execute_activity(
            name, arg, result_type=result_type,
            start_to_close_timeout=timedelta(seconds=self._input.activity_timeout_s), retry_policy=ACTIVITY_RETRY,
            heartbeat_timeout=timedelta(seconds=self._input.activity_heartbeat_timeout_s),
        )
        return cast(ActivityOut, result)

    async def _park(self, error: ActivityError) -> None:
        assert self._status is not None and self._input is not None
        cause = error.cause
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else type(cause).__name__
        detail = f"{kind}: {cause.message if isinstance(cause, ApplicationError) else cause}"
        self._retry_requested_by = None
        self._status.phase = CycleState.FAILED
        self._status.detail = detail
        await self._execute(CycleActivities.record_status, RecordStatusInput(self._input.cycle_id, CycleState.FAILED, detail))
        await workflow.wait_condition(lambda: self._retry_requested_by is not None)
        workflow.logger.info("cycle %s retried by %s", self._input.cycle_id, self._retry_requested_by)

    async def _wait_for_predecessor(self, inp: CycleInput) -> None:
        """Settle only after the campus's previous period has (billing.service.unsettled_predecessor), showing
        why the cycle waits in its status detail. The step itself waits (up to minutes a call, returning as soon as
        the answer changes), so a long wait adds a few history events per call, not per look."""
        shown: str | None = None
        while True:
            # By name: the step is a coroutine (it waits on the worker's event loop), which _act's signature
            # does not take.
            waiting = await self._parked(functools.partial(
                self._execute_named, "unsettled_predecessor", PredecessorInput(inp.cycle_id, shown), PredecessorResult))
            if waiting.waiting_reason is None:
                if shown is not None:
                    await self._set_phase(inp, CycleState.SETTLING)
                return
            if waiting.waiting_reason != shown:
                shown = waiting.waiting_reason
                await self._set_phase(inp, CycleState.SETTLING, shown)

    async def _set_phase(self, inp: CycleInput, phase: CycleState, detail: str | None = None) -> None:
        assert self._status is not None
        self._status.phase = phase
        self._status.detail = detail
        await self._execute(CycleActivities.record_status, RecordStatusInput(inp.cycle_id, phase.value, detail))

    async def _on_cancel(self, inp: CycleInput) -> None:
        await self._set_phase(inp, CycleState.CANCELLED, "cancelled by operator")

    # --- finance: updates with validators, plus signals for automation that cannot wait ---

    @workflow.update
    async def approve(self, decision: Decision) -> CycleStatus:
        self._approvals.append(decision)
        assert self._status is not None
        self._status.approvals = [d.approver for d in self._approvals]
        return self._status

    @approve.validator
    def _validate_approve(self, decision: Decision) -> None:
        self._check_decision_allowed(decision)
        check_approval(decision, self._approvals)

    @workflow.update
    async def reject(self, rejection: Rejection) -> CycleStatus:
        self._rejection = rejection
        assert self._status is not None
        return self._status

    @reject.validator
    def _validate_reject(self, rejection: Rejection) -> None:
        self._check_decision_allowed(rejection)
        check_rejection(rejection)

    def _check_decision_allowed(self, decision: Decision | Rejection, signed: bool = True) -> None:
        """Finance, awaiting approval, and signed by a trusted approval key for this cycle's settlement version."""
        awaiting = self._status is not None and self._status.phase == CycleState.AWAITING_APPROVAL and not self._decided()
        check_decider("cycle", self._status.phase if self._status else "starting", awaiting, decision.approver,
                      decision.role)
        assert self._status is not None
        if signed:
            check_signature(decision, workflow.info().workflow_id, self._status.settlement_version, workflow.now())

    @workflow.signal
    def approve_signal(self, decision: Decision) -> None:
        # Signals, unlike update validators, run again on replay: a cycle that accepted an unsigned signal
        # before decisions were signed must accept it again when its history replays.
        signed = workflow.patched(SIGNED_DECISIONS_PATCH)
        try:
            self._check_decision_allowed(decision, signed)
            check_approval(decision, self._approvals)
        except ValueError as error:
            workflow.logger.warning("approval signal ignored: %s", error)
            return
        self._approvals.append(decision)

    @workflow.update
    async def resettle(self, operator: str) -> CycleStatus:
        self._resettle_requested = True
        assert self._status is not None
        return self._status

    @resettle.validator
    def _validate_resettle(self, operator: str) -> None:
        if self._status is None or self._status.phase != CycleState.REWORK:
            raise ValueError("only a cycle in rework can be settled again")
        if not operator.strip():
            raise ValueError("operator is required")

    @workflow.update
    async def retry(self, operator: str) -> CycleStatus:
        self._retry_requested_by = operator
        assert self._status is not None
        return self._status

    @retry.validator
    def _validate_retry(self, operator: str) -> None:
        if self._status is None or self._status.phase != CycleState.FAILED:
            raise ValueError("only a failed cycle can be retried")
        if not operator.strip():
            raise ValueError("operator is required")

    @workflow.query
    def status(self) -> CycleStatus | None:
        if self._status is not None:
            self._status.approvals = [d.approver for d in self._approvals]
        return self._status
