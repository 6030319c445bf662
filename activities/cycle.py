"""Billing-cycle activities: thin adapters from Temporal to the service functions in `billing.service`
and `billing.iso_step`.

They are synchronous (numba and pyarrow release the GIL) and run on the worker's thread pool. Settings
and the engine arrive through the constructor, never as globals.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import translate_domain_errors
from billing import iso_step, service
from billing import repository as repo
from settings import Settings
from workflows.types import (
    CycleInput,
    IngestOutput,
    InvoiceRef,
    IsoOutput,
    LedgerOutput,
    SettleOutput,
    StatusUpdate,
    StepInput,
    VeeOutput,
)

log = logging.getLogger(__name__)


class CycleActivities:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    @activity.defn(name="record_status")
    @translate_domain_errors
    def record_status(self, update: StatusUpdate) -> None:
        with self.engine.begin() as conn:
            repo.set_cycle_status(conn, update.cycle_id, update.status, update.detail)

    @activity.defn(name="ingest_meter_files")
    @translate_domain_errors
    def ingest_meter_files(self, inp: CycleInput) -> IngestOutput:
        return service.ingest(self.engine, self.settings, inp)

    @activity.defn(name="validate_intervals")
    @translate_domain_errors
    def validate_intervals(self, step: StepInput) -> VeeOutput:
        return service.validate(self.engine, self.settings, step)

    @activity.defn(name="settle_cycle")
    @translate_domain_errors
    def settle_cycle(self, step: StepInput) -> SettleOutput:
        return service.settle(self.engine, self.settings, step)

    @activity.defn(name="post_approved_settlement")
    @translate_domain_errors
    def post_approved_settlement(self, step: StepInput) -> None:
        # The ledger posting of an approval happens with the invoice numbers (issue_invoices), in one
        # transaction; here we only record who approved which settlement version.
        with self.engine.begin() as conn:
            repo.record_step(conn, step.cycle_id, f"approval-{step.attempt_label}", {"approved_by": step.uri})

    @activity.defn(name="void_rejected_settlement")
    @translate_domain_errors
    def void_rejected_settlement(self, step: StepInput) -> None:
        service.resolve_pending(self.engine, self.settings, step, "void_pending")

    @activity.defn(name="escalate_approval")
    @translate_domain_errors
    def escalate_approval(self, update: StatusUpdate) -> None:
        log.warning("cycle %s: approval overdue, %s", update.cycle_id, update.detail)
        with self.engine.begin() as conn:
            repo.record_step(conn, update.cycle_id, f"approval-{update.detail}", {"escalated": True})

    @activity.defn(name="remind_approvers")
    @translate_domain_errors
    def remind_approvers(self, update: StatusUpdate) -> None:
        log.info("cycle %s: approval pending, %s", update.cycle_id, update.detail)
        with self.engine.begin() as conn:
            repo.record_step(conn, update.cycle_id, f"approval-{update.detail}", {"reminded": True})

    @activity.defn(name="issue_invoices")
    @translate_domain_errors
    def issue_invoices(self, step: StepInput) -> list[InvoiceRef]:
        return service.issue_cycle_invoices(self.engine, self.settings, step)

    @activity.defn(name="submit_to_iso")
    @translate_domain_errors
    def submit_to_iso(self, step: StepInput) -> IsoOutput:
        return iso_step.submit_to_iso(self.engine, self.settings, step)

    @activity.defn(name="close_cycle_ledger")
    @translate_domain_errors
    def close_cycle_ledger(self, step: StepInput) -> LedgerOutput:
        return service.close_cycle_ledger(self.engine, self.settings, step)

    def all(self) -> list:
        return [
            self.record_status, self.ingest_meter_files, self.validate_intervals, self.settle_cycle,
            self.post_approved_settlement, self.void_rejected_settlement, self.escalate_approval,
            self.remind_approvers,
            self.issue_invoices, self.submit_to_iso, self.close_cycle_ledger,
        ]
