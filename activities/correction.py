"""Correction activities: thin adapters from Temporal to `billing.corrections` (re-settling a completed cycle).

Ingest and validation reuse `CycleActivities` under the correction's run label; these are the steps only a
correction has. Settings and the engine arrive through the constructor.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import translate_domain_errors
from billing import corrections
from settings import Settings
from workflows.cycle_correction_types import (
    RebillCorrectionInput,
    RebillCorrectionResult,
    RebilledInvoice,
    RecordCorrectionDecisionInput,
    SettleCorrectionInput,
    SettleCorrectionResult,
)


class CorrectionActivities:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    @activity.defn(name="settle_correction")
    @translate_domain_errors
    def settle_correction(self, inp: SettleCorrectionInput) -> SettleCorrectionResult:
        delta = corrections.settle_correction(self.engine, self.settings, inp.cycle_id, inp.campus_id, inp.period,
                                              inp.revision, inp.validated_uri)
        return SettleCorrectionResult(delta.revision, delta.tenant_deltas_usd_micros, delta.changed)

    @activity.defn(name="rebill_correction")
    @translate_domain_errors
    def rebill_correction(self, inp: RebillCorrectionInput) -> RebillCorrectionResult:
        rebilled = corrections.rebill_correction(self.engine, self.settings, inp.cycle_id, inp.revision,
                                                 inp.tenant_ids, inp.reason)
        return RebillCorrectionResult([
            RebilledInvoice(row.tenant_id, row.cancelled_invoice_id, row.cancelled_total_usd_cents, row.invoice_id,
                            row.total_usd_cents, row.credit_note_id)
            for row in rebilled
        ])

    @activity.defn(name="record_correction_decision")
    @translate_domain_errors
    def record_correction_decision(self, inp: RecordCorrectionDecisionInput) -> None:
        corrections.record_decision(self.engine, inp.cycle_id, inp.revision, inp.approved, inp.approvers,
                                    inp.rejected_by, inp.rejection_reason)

    def all(self) -> list[Callable[..., object]]:
        return [self.settle_correction, self.rebill_correction, self.record_correction_decision]
