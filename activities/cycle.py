"""Billing-cycle activities: thin adapters from Temporal to the service functions in `billing.service`
and `billing.iso_step`.

Each unpacks its Input into plain arguments, calls one service function and builds its Result. They are
synchronous (numba and pyarrow release the GIL) and run on the worker's thread pool. Settings and the engine
arrive through the constructor, never as globals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import translate_domain_errors
from billing import iso_step, service, shadow_step
from billing.cycle_summary import vee_report_summary
from invoicing import invoices_sha256_hex
from settings import Settings
from workflows.billing_cycle_types import (
    CloseCycleLedgerInput,
    CloseCycleLedgerResult,
    EscalateApprovalInput,
    IngestMeterFilesInput,
    IngestMeterFilesResult,
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
    RenderInvoicesResult,
    RunShadowInput,
    RunShadowResult,
    SettleCycleInput,
    SettleCycleResult,
    SubmitToIsoInput,
    SubmitToIsoResult,
    ValidateIntervalsInput,
    ValidateIntervalsResult,
    VoidRejectedSettlementInput,
)

PREDECESSOR_LOOK_S = 2.0  # a waiting month settles within this long of the month before it


class CycleActivities:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    @activity.defn(name="record_status")
    @translate_domain_errors
    def record_status(self, inp: RecordStatusInput) -> None:
        service.record_status(self.engine, inp.cycle_id, inp.status, inp.detail)

    @activity.defn(name="ingest_meter_files")
    @translate_domain_errors
    def ingest_meter_files(self, inp: IngestMeterFilesInput) -> IngestMeterFilesResult:
        ingested = service.ingest(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                  inp.run_label)
        return IngestMeterFilesResult(ingested.intervals_uri, ingested.reading_count,
                                      file_count=len(ingested.file_sha256_hex))

    @activity.defn(name="validate_intervals")
    @translate_domain_errors
    def validate_intervals(self, inp: ValidateIntervalsInput) -> ValidateIntervalsResult:
        validated = service.validate(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                     inp.run_label, inp.intervals_uri)
        return ValidateIntervalsResult(validated.validated_uri, validated.reading_count, validated.estimated_count,
                                       summary=vee_report_summary(validated.report))

    @activity.defn(name="unsettled_predecessor")
    @translate_domain_errors
    async def unsettled_predecessor(self, inp: PredecessorInput) -> PredecessorResult:
        """Returns once the previous period has settled, the reason to wait changed, or `wait_s_max` passed. It
        waits on the event loop, so a backfill's waiting months hold none of the threads their steps run on."""
        waited_s = 0.0
        while True:
            reason = await asyncio.to_thread(service.unsettled_predecessor, self.engine, inp.cycle_id)
            if reason is None or reason != inp.shown_reason or waited_s >= inp.wait_s_max:
                return PredecessorResult(reason)
            await asyncio.sleep(PREDECESSOR_LOOK_S)
            waited_s += PREDECESSOR_LOOK_S

    @activity.defn(name="settle_cycle")
    @translate_domain_errors
    def settle_cycle(self, inp: SettleCycleInput) -> SettleCycleResult:
        settled = service.settle(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                 inp.settlement_version, inp.validated_uri)
        return SettleCycleResult(settled.settlement_sha256_hex, settled.total_usd_micros,
                                 settled.tenant_totals_usd_micros, settled.energy_balance_wh, settled.line_count,
                                 settled.pending_ledger_key)

    @activity.defn(name="record_settlement_approval")
    @translate_domain_errors
    def record_settlement_approval(self, inp: RecordSettlementApprovalInput) -> None:
        service.record_approval(self.engine, inp.cycle_id, inp.settlement_version, inp.approvers)

    @activity.defn(name="void_rejected_settlement")
    @translate_domain_errors
    def void_rejected_settlement(self, inp: VoidRejectedSettlementInput) -> None:
        service.void_rejected_settlement(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                         inp.settlement_version, inp.rejected_by, inp.reason)

    @activity.defn(name="escalate_approval")
    @translate_domain_errors
    def escalate_approval(self, inp: EscalateApprovalInput) -> None:
        service.record_escalation(self.engine, inp.cycle_id, inp.escalation_number)

    @activity.defn(name="remind_approvers")
    @translate_domain_errors
    def remind_approvers(self, inp: RemindApproversInput) -> None:
        service.record_reminder(self.engine, inp.cycle_id, inp.reminder_number)

    @activity.defn(name="plan_invoices")
    @translate_domain_errors
    def plan_invoices(self, inp: PlanInvoicesInput) -> PlanInvoicesResult:
        planned = service.plan_cycle_invoices(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                              inp.settlement_version)
        return PlanInvoicesResult(planned.plan_uri, planned.batch_count, planned.invoice_count)

    @activity.defn(name="render_invoices")
    @translate_domain_errors
    def render_invoices(self, inp: RenderInvoicesInput) -> RenderInvoicesResult:
        return RenderInvoicesResult(
            service.render_cycle_invoices(self.engine, self.settings, inp.plan_uri, inp.batch_index))

    @activity.defn(name="issue_invoices")
    @translate_domain_errors
    def issue_invoices(self, inp: IssueInvoicesInput) -> IssueInvoicesResult:
        issued = service.issue_cycle_invoices(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                              inp.settlement_version, inp.plan_uri)
        return IssueInvoicesResult(
            invoice_count=len(issued), total_usd_cents=sum(i.total_usd_cents for i in issued),
            invoices_sha256_hex=invoices_sha256_hex((i.invoice_id, i.document_sha256_hex) for i in issued))

    @activity.defn(name="submit_to_iso")
    @translate_domain_errors
    def submit_to_iso(self, inp: SubmitToIsoInput) -> SubmitToIsoResult:
        outcome = iso_step.submit_to_iso(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                         inp.settlement_version, inp.validated_uri)
        return SubmitToIsoResult(outcome.submission_key, outcome.status, outcome.document_uri)

    @activity.defn(name="run_shadow_participation")
    @translate_domain_errors
    def run_shadow_participation(self, inp: RunShadowInput) -> RunShadowResult:
        recorded = shadow_step.run_shadow_step(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                               inp.settlement_version, inp.validated_uri)
        return RunShadowResult(recorded["status"], recorded.get("net_usd_micros", 0))

    @activity.defn(name="close_cycle_ledger")
    @translate_domain_errors
    def close_cycle_ledger(self, inp: CloseCycleLedgerInput) -> CloseCycleLedgerResult:
        closed = service.close_cycle_ledger(self.engine, self.settings, inp.cycle_id)
        return CloseCycleLedgerResult(closed.entry_count, closed.verified, closed.checkpoint_size,
                                      closed.first_bad_seq)

    def all(self) -> list[Callable[..., object]]:
        return [
            self.record_status, self.ingest_meter_files, self.validate_intervals, self.unsettled_predecessor,
            self.settle_cycle,
            self.record_settlement_approval, self.void_rejected_settlement, self.escalate_approval,
            self.remind_approvers, self.plan_invoices, self.render_invoices, self.issue_invoices, self.submit_to_iso, self.close_cycle_ledger,
            self.run_shadow_participation,
        ]
