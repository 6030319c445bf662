"""The correction's input, status and result, and one Input and one Result per activity only it calls.

Ingest and validation are the billing cycle's own activities (`workflows.billing_cycle_types`), run under the
label `r{revision}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.activity_options import ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT, ACTIVITY_TIMEOUT_S_DEFAULT


@dataclass(frozen=True)
class CorrectionInput:
    """A re-settlement of a completed cycle as settlement revision `revision` (run label `r{revision}`)."""

    correction_id: str
    cycle_id: str
    campus_id: str
    period: str
    revision: int
    requested_by: str
    approval_threshold_usd_micros: int = 0  # above it (sum of |deltas|), two distinct finance users must approve
    # Chosen by the starter from Settings and the campus's meter count (workflows.activity_options).
    activity_timeout_s: int = ACTIVITY_TIMEOUT_S_DEFAULT
    activity_heartbeat_timeout_s: int = ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT


@dataclass(frozen=True)
class SettleCorrectionInput:
    cycle_id: str
    campus_id: str
    period: str
    revision: int
    validated_uri: str


@dataclass(frozen=True)
class SettleCorrectionResult:
    """The revision a correction would record and its per-tenant differences (micro-USD)."""

    revision: int
    tenant_deltas_usd_micros: dict[str, int]
    changed: bool


@dataclass(frozen=True)
class RecordCorrectionDecisionInput:
    """Finance's decision on a correction's revision, as recorded in the cycle's steps."""

    cycle_id: str
    revision: int
    approved: bool
    approvers: list[str]
    rejected_by: str | None = None
    rejection_reason: str | None = None


@dataclass(frozen=True)
class RebillCorrectionInput:
    cycle_id: str
    revision: int  # the correction's steps and documents are keyed by it
    tenant_ids: list[str]
    reason: str


@dataclass(frozen=True)
class RebilledInvoice:
    tenant_id: str
    cancelled_invoice_id: str
    cancelled_total_usd_cents: int
    invoice_id: str
    total_usd_cents: int
    credit_note_id: str | None


@dataclass(frozen=True)
class RebillCorrectionResult:
    invoices: list[RebilledInvoice]


@dataclass
class CorrectionStatus:
    correction_id: str
    cycle_id: str
    phase: str  # ingesting, validating, settling, awaiting_approval, rebilling, completed, no_change, rejected
    revision: int
    tenant_deltas_usd_micros: dict[str, int] = field(default_factory=dict)
    approvals: list[str] = field(default_factory=list)
    rejected_by: str | None = None
    invoices: list[RebilledInvoice] = field(default_factory=list)


@dataclass(frozen=True)
class CorrectionResult:
    correction_id: str
    status: str  # "completed", "no_change" or "rejected"
    revision: int
    tenant_deltas_usd_micros: dict[str, int]
    invoices: list[RebilledInvoice]
