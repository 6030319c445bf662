"""CycleCorrectionWorkflow: re-settle a completed cycle as settlement revision n, rebill after finance approves.

The workflow only orchestrates: ingest and validate the period again (the billing cycle's own activities, under
the run label `r{n}` so the claim-check files get their own folder), settle and compute the differences,
wait for finance, then cancel and rebill the invoices of the tenants whose amount changed. Without a change it
ends as "no_change"; a rejection ends it as "rejected" and changes nothing (revision n is recorded only on
approval).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # A signature that fails to verify raises cryptography's exception from its Rust core; imported afresh
    # inside the sandbox, that core would be initialised a second time, which aborts the process.
    import cryptography.exceptions  # noqa: F401

    from activities.correction import CorrectionActivities
    from activities.cycle import CycleActivities
    from billing.runs import revision_label
    from workflows.activity_options import (
        ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT,
        ACTIVITY_RETRY,
        ACTIVITY_TIMEOUT_S_DEFAULT,
    )
    from workflows.approvals import (
        Decision,
        Rejection,
        approvals_needed,
        check_approval,
        check_decider,
        check_rejection,
        check_signature,
    )
    from workflows.billing_cycle_types import IngestMeterFilesInput, ValidateIntervalsInput
    from workflows.cycle_correction_types import (
        CorrectionInput,
        CorrectionResult,
        CorrectionStatus,
        RebillCorrectionInput,
        RebilledInvoice,
        RecordCorrectionDecisionInput,
        SettleCorrectionInput,
    )

ActivityIn = TypeVar("ActivityIn")
ActivityOut = TypeVar("ActivityOut")


@workflow.defn
class CycleCorrectionWorkflow:
    def __init__(self) -> None:
        self._status: CorrectionStatus | None = None
        self._approvals: list[Decision] = []
        self._rejection: Rejection | None = None
        self._threshold_usd_micros = 0
        self._activity_timeout = timedelta(seconds=ACTIVITY_TIMEOUT_S_DEFAULT)
        self._heartbeat_timeout = timedelta(seconds=ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT)

    @workflow.run
    async def run(self, inp: CorrectionInput) -> CorrectionResult:
        self._status = CorrectionStatus(inp.correction_id, inp.cycle_id, "ingesting", inp.revision)
        self._threshold_usd_micros = inp.approval_threshold_usd_micros
        self._activity_timeout = timedelta(seconds=inp.activity_timeout_s)
        self._heartbeat_timeout = timedelta(seconds=inp.activity_heartbeat_timeout_s)
        validated_uri = await self._ingest_and_validate(inp)
        self._status.phase = "settling"
        settled = await self._execute(
            CorrectionActivities.settle_correction,
            SettleCorrectionInput(inp.cycle_id, inp.campus_id, inp.period, inp.revision, validated_uri),
        )
        self._status.revision = settled.revision
        self._status.tenant_deltas_usd_micros = dict(settled.tenant_deltas_usd_micros)
        if not settled.changed:
            return await self._finish(inp, "no_change", [])
        self._status.phase = "awaiting_approval"
        await workflow.wait_condition(self._decided)
        await self._execute(CorrectionActivities.record_correction_decision, self._decision(inp))
        if self._rejection is not None:
            self._status.rejected_by = self._rejection.approver
            return await self._finish(inp, "rejected", [])
        self._status.phase = "rebilling"
        changed_tenant_ids = sorted(
            tenant_id for tenant_id, delta in settled.tenant_deltas_usd_micros.items() if delta != 0
        )
        reason = f"re-settlement of {inp.cycle_id} as revision {settled.revision}, requested by {inp.requested_by}"
        rebilled = await self._execute(
            CorrectionActivities.rebill_correction,
            RebillCorrectionInput(inp.cycle_id, inp.revision, changed_tenant_ids, reason),
        )
        invoices = rebilled.invoices
        self._status.invoices = invoices
        return await self._finish(inp, "completed", invoices)

    async def _ingest_and_validate(self, inp: CorrectionInput) -> str:
        """Read the period from the store again (files received since the cycle closed included)."""
        assert self._status is not None
        run_label = revision_label(inp.revision)
        ingested = await self._execute(
            CycleActivities.ingest_meter_files,
            IngestMeterFilesInput(inp.cycle_id, inp.campus_id, inp.period, run_label),
        )
        self._status.phase = "validating"
        vee = await self._execute(
            CycleActivities.validate_intervals,
            ValidateIntervalsInput(inp.cycle_id, inp.campus_id, inp.period, run_label, ingested.intervals_uri),
        )
        return vee.validated_uri

    async def _finish(self, inp: CorrectionInput, status: str, invoices: list[RebilledInvoice]) -> CorrectionResult:
        assert self._status is not None
        self._status.phase = status
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CorrectionResult(inp.correction_id, status, self._status.revision,
                                dict(self._status.tenant_deltas_usd_micros), invoices)

    def _decision(self, inp: CorrectionInput) -> RecordCorrectionDecisionInput:
        approvers = [decision.approver for decision in self._approvals]
        if self._rejection is None:
            return RecordCorrectionDecisionInput(inp.cycle_id, inp.revision, True, approvers)
        return RecordCorrectionDecisionInput(inp.cycle_id, inp.revision, False, approvers, self._rejection.approver,
                                             self._rejection.reason)

    async def _execute(self, activity: Callable[[Any, ActivityIn], ActivityOut], arg: ActivityIn) -> ActivityOut:
        # A step that fails for good fails the correction; starting it again resumes under the same id, and every
        # step is idempotent on (cycle, revision).
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=self._activity_timeout, retry_policy=ACTIVITY_RETRY,
            heartbeat_timeout=self._heartbeat_timeout,
        )

    def _decided(self) -> bool:
        if self._rejection is not None:
            return True
        return len({decision.approver for decision in self._approvals}) >= self._approvals_needed()

    def _approvals_needed(self) -> int:
        assert self._status is not None
        moved_usd_micros = sum(abs(delta) for delta in self._status.tenant_deltas_usd_micros.values())
        return approvals_needed(self._threshold_usd_micros, moved_usd_micros)

    # --- finance: updates with validators, as on the billing cycle ---

    @workflow.update
    async def approve(self, decision: Decision) -> CorrectionStatus:
        self._approvals.append(decision)
        assert self._status is not None
        self._status.approvals = [d.approver for d in self._approvals]
        return self._status

    @approve.validator
    def _validate_approve(self, decision: Decision) -> None:
        self._check_decision_allowed(decision)
        check_approval(decision, self._approvals)

    @workflow.update
    async def reject(self, rejection: Rejection) -> CorrectionStatus:
        self._rejection = rejection
        assert self._status is not None
        return self._status

    @reject.validator
    def _validate_reject(self, rejection: Rejection) -> None:
        self._check_decision_allowed(rejection)
        check_rejection(rejection)

    def _check_decision_allowed(self, decision: Decision | Rejection) -> None:
        """Finance, awaiting approval, and signed by a trusted approval key for this correction's revision."""
        awaiting = self._status is not None and self._status.phase == "awaiting_approval" and not self._decided()
        check_decider("correction", self._status.phase if self._status else "starting", awaiting, decision.approver,
                      decision.role)
        assert self._status is not None
        check_signature(decision, workflow.info().workflow_id, self._status.revision, workflow.now())

    @workflow.query
    def status(self) -> CorrectionStatus | None:
        return self._status
