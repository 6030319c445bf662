"""Correction activities: thin adapters from Temporal to `billing.corrections` (re-settling a completed cycle).

Ingest and validation reuse `CycleActivities` with the correction's attempt label; these are the two steps only
a correction has. Settings and the engine arrive through the constructor.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import translate_domain_errors
from billing import corrections
from settings import Settings
from workflows.types import CorrectionDecision, CorrectionSettled, RebilledInvoice, RebillInput, StepInput


class CorrectionActivities:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    @activity.defn(name="settle_correction")
    @translate_domain_errors
    def settle_correction(self, step: StepInput) -> CorrectionSettled:
        return corrections.settle_correction(self.engine, self.settings, step)

    @activity.defn(name="rebill_correction")
    @translate_domain_errors
    def rebill_correction(self, inp: RebillInput) -> list[RebilledInvoice]:
        return corrections.rebill_correction(self.engine, self.settings, inp)

    @activity.defn(name="record_correction_decision")
    @translate_domain_errors
    def record_correction_decision(self, decision: CorrectionDecision) -> None:
        corrections.record_decision(self.engine, decision)

    def all(self) -> list:
        return [self.settle_correction, self.rebill_correction, self.record_correction_decision]
