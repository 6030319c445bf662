"""Inputs, outputs and phases of the billing cycle: plain dataclasses, safe to import in the sandbox.

Payloads stay small: meter data travels as Parquet URIs (claim checks) plus counts and hashes; money as
integer micro-USD; energy as integer Wh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    INGESTING = "ingesting"
    VALIDATING = "validating"
    SETTLING = "settling"
    AWAITING_APPROVAL = "awaiting_approval"
    REWORK = "rework"
    INVOICING = "invoicing"
    SUBMITTING = "submitting"
    POSTING = "posting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CycleInput:
    cycle_id: str
    campus_id: str
    period: str  # "YYYY-MM", the campus's local calendar month
    input_uris: list[str]
    approval_timeout_hours: int = 72
    escalations_max: int = 3
    approval_threshold_usd_micros: int = 0  # above it, two distinct finance users must approve; 0 = never
    attempt_label: str = "v1"  # the settlement version an ingest belongs to (its claim-check folder)


@dataclass(frozen=True)
class IngestOutput:
    intervals_uri: str
    reading_count: int
    file_sha256_hex: list[str]


@dataclass(frozen=True)
class VeeOutput:
    validated_uri: str
    reading_count: int
    estimated_count: int
    report: dict


@dataclass(frozen=True)
class SettleOutput:
    settlement_sha256_hex: str
    total_usd_micros: int
    tenant_totals_usd_micros: dict[str, int]
    energy_balance_wh: dict[str, int]
    line_count: int
    pending_ledger_key: str


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str
    tenant_id: str
    total_usd_cents: int
    document_sha256_hex: str
    pdf_uri: str | None = None


@dataclass(frozen=True)
class IsoOutput:
    submission_key: str
    status: str
    document_uri: str


@dataclass(frozen=True)
class LedgerOutput:
    entry_count: int
    verified: bool
    checkpoint_size: int | None
    first_bad_seq: int | None = None


@dataclass(frozen=True)
class Decision:
    approver: str
    role: str  # the caller's role as authenticated by the API; the workflow's validator checks it
    comment: str = ""


@dataclass(frozen=True)
class Rejection:
    approver: str
    role: str
    reason: str


@dataclass(frozen=True)
class StepInput:
    """What every activity after ingest needs to find its cycle and its inputs."""

    cycle_id: str
    campus_id: str
    period: str
    uri: str = ""
    attempt_label: str = "v1"


@dataclass(frozen=True)
class StatusUpdate:
    cycle_id: str
    status: str
    detail: str | None = None
    step: str | None = None
    step_result: dict | None = None


@dataclass
class CycleStatus:
    cycle_id: str
    phase: str
    detail: str | None = None
    total_usd_micros: int | None = None
    approvals: list[str] = field(default_factory=list)
    escalations: int = 0
    settlement_version: int = 1
    vee_report: dict | None = None
    energy_balance_wh: dict[str, int] | None = None
    invoices: list[InvoiceRef] = field(default_factory=list)
    iso_submission: IsoOutput | None = None
    ledger: LedgerOutput | None = None


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    total_usd_micros: int
    invoices: list[InvoiceRef]
    iso_submission: IsoOutput
    ledger: LedgerOutput


@dataclass(frozen=True)
class KickoffInput:
    campus_id: str


@dataclass(frozen=True)
class KickoffRequest:
    campus_id: str
    scheduled_at_utc: str  # ISO 8601; the period is the campus-local month before this instant


@dataclass(frozen=True)
class CorrectionInput:
    """A re-settlement of a completed cycle as settlement revision `revision` (attempt label `r{revision}`)."""

    correction_id: str
    cycle_id: str
    campus_id: str
    period: str
    revision: int
    requested_by: str
    approval_threshold_usd_micros: int = 0  # above it (sum of |deltas|), two distinct finance users must approve


@dataclass(frozen=True)
class CorrectionSettled:
    """The revision a correction would record and its per-tenant differences (micro-USD)."""

    revision: int
    tenant_deltas_usd_micros: dict[str, int]
    changed: bool


@dataclass(frozen=True)
class RebillInput:
    cycle_id: str
    attempt_label: str  # r{n}: the correction's steps and documents are keyed by it
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


@dataclass(frozen=True)
class CorrectionDecision:
    """Finance's decision on a correction's revision, as recorded in the cycle's steps."""

    cycle_id: str
    attempt_label: str
    approved: bool
    approvers: list[str]
    rejected_by: str | None = None
    rejection_reason: str | None = None
