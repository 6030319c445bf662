"""The billing cycle's input, status and result, and one Input and one Result per activity it calls.

Plain dataclasses, safe to import in the workflow sandbox. Payloads stay small: meter data travels as Parquet
URIs (claim checks) plus counts and hashes; money as integer micro-USD; energy as integer Wh. Activities that
only record something return nothing, so they have no Result.

A run label names the claim-check folder and the recorded steps of one pass over the period: `v{n}` is the
cycle's settlement version n, `r{n}` a correction's revision n (`billing.runs`).

The Results keep the field names of the payloads that cycles recorded before these types had their names, so
those histories still replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflows.activity_options import ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT, ACTIVITY_TIMEOUT_S_DEFAULT


@dataclass(frozen=True)
class CycleInput:
    cycle_id: str
    campus_id: str
    period: str  # "YYYY-MM", the campus's local calendar month
    input_uris: list[str]
    approval_timeout_hours: int = 72
    escalations_max: int = 3
    approval_threshold_usd_micros: int = 0  # above it, two distinct finance users must approve; 0 = never
    # Chosen by the starter from Settings and the campus's meter count (workflows.activity_options).
    activity_timeout_s: int = ACTIVITY_TIMEOUT_S_DEFAULT
    activity_heartbeat_timeout_s: int = ACTIVITY_HEARTBEAT_TIMEOUT_S_DEFAULT


@dataclass(frozen=True)
class RecordStatusInput:
    cycle_id: str
    status: str
    detail: str | None = None


@dataclass(frozen=True)
class IngestMeterFilesInput:
    cycle_id: str
    campus_id: str
    period: str
    run_label: str  # v{n} or r{n}, see the module docstring


@dataclass(frozen=True)
class IngestMeterFilesResult:
    """The ingested intervals (a claim check) and how many files went in. Which files is recorded with the step
    (the step `ingest`): a list here would grow with the files and reach Temporal's payload limit on a campus
    that sends a file per meter per day. Cycles ingested before the count received the list instead."""

    intervals_uri: str
    reading_count: int
    file_sha256_hex: list[str] = field(default_factory=list)
    file_count: int = 0


@dataclass(frozen=True)
class ValidateIntervalsInput:
    cycle_id: str
    campus_id: str
    period: str
    run_label: str
    intervals_uri: str


@dataclass(frozen=True)
class ValidateIntervalsResult:
    """The validated intervals (a claim check) and the campus-level data-quality summary. The full report, one
    entry per meter, is kept with the VEE run (`GET /meter-data/vee-runs/{id}`): here it would reach Temporal's
    payload limit near 20,000 meters. Cycles validated before the summary received the report instead."""

    validated_uri: str
    reading_count: int
    estimated_count: int
    report: dict[str, object] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PredecessorInput:
    cycle_id: str
    shown_reason: str | None = None
    """The reason to wait the cycle shows now: the step returns at once when the reason is another one."""
    wait_s_max: int = 300
    """How long the step waits for the previous period while the reason stays the same (under the step's timeout)."""


@dataclass(frozen=True)
class PredecessorResult:
    waiting_reason: str | None
    """Why the cycle may not settle yet (the campus's previous period has not settled); None: settle now."""


@dataclass(frozen=True)
class SettleCycleInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int
    validated_uri: str


@dataclass(frozen=True)
class SettleCycleResult:
    settlement_sha256_hex: str
    total_usd_micros: int
    tenant_totals_usd_micros: dict[str, int]
    energy_balance_wh: dict[str, int]
    line_count: int
    pending_ledger_key: str


@dataclass(frozen=True)
class RecordSettlementApprovalInput:
    cycle_id: str
    settlement_version: int
    approvers: list[str]


@dataclass(frozen=True)
class VoidRejectedSettlementInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int
    rejected_by: str
    reason: str


@dataclass(frozen=True)
class RemindApproversInput:
    cycle_id: str
    reminder_number: int


@dataclass(frozen=True)
class EscalateApprovalInput:
    cycle_id: str
    escalation_number: int


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str
    tenant_id: str
    total_usd_cents: int
    document_sha256_hex: str
    pdf_uri: str | None = None


@dataclass(frozen=True)
class PlanInvoicesInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int


@dataclass(frozen=True)
class PlanInvoicesResult:
    """Where the plan is (a claim check) and how many batches render it."""

    plan_uri: str
    batch_count: int
    invoice_count: int


@dataclass(frozen=True)
class RenderInvoicesInput:
    plan_uri: str
    batch_index: int


@dataclass(frozen=True)
class RenderInvoicesResult:
    rendered_count: int


@dataclass(frozen=True)
class IssueInvoicesInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int
    plan_uri: str | None = None
    """The rendered plan to record; None (cycles before batches) renders every invoice in the step itself."""


@dataclass(frozen=True)
class IssueInvoicesResult:
    """How many invoices, their total and the digest the ledger names them by: a claim check, the same size for
    any campus (Temporal refuses a payload over 2 MB by default; a list would reach it near 10,000 tenants). The
    invoices themselves are in the database (the step `invoice`, `GET /invoices?cycle=`). Cycles issued before
    the summary received the list in `invoices`, which is empty since."""

    invoices: list[InvoiceRef] = field(default_factory=list)
    invoice_count: int = 0
    total_usd_cents: int = 0
    invoices_sha256_hex: str = ""


@dataclass(frozen=True)
class RunShadowInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int
    validated_uri: str


@dataclass(frozen=True)
class RunShadowResult:
    """What the shadow participation step recorded (the full result is the cycle step `shadow`)."""

    status: str  # computed | not_configured
    net_usd_micros: int = 0


@dataclass(frozen=True)
class SubmitToIsoInput:
    cycle_id: str
    campus_id: str
    period: str
    settlement_version: int
    validated_uri: str


@dataclass(frozen=True)
class SubmitToIsoResult:
    submission_key: str
    status: str
    document_uri: str


@dataclass(frozen=True)
class CloseCycleLedgerInput:
    cycle_id: str


@dataclass(frozen=True)
class CloseCycleLedgerResult:
    entry_count: int
    verified: bool
    checkpoint_size: int | None
    first_bad_seq: int | None = None


@dataclass
class CycleStatus:
    cycle_id: str
    phase: str
    detail: str | None = None
    total_usd_micros: int | None = None
    approvals: list[str] = field(default_factory=list)
    escalations: int = 0
    settlement_version: int = 1
    # The data-quality figures only (billing.cycle_summary): the full report grows with the meters and is read
    # from the validate step (`GET /cycles/{id}/steps/validate`) or the VEE run.
    vee_summary: dict[str, object] | None = None
    energy_balance_wh: dict[str, int] | None = None
    invoices: list[InvoiceRef] = field(default_factory=list)  # cycles issued before the summary below
    iso_submission: SubmitToIsoResult | None = None
    ledger: CloseCycleLedgerResult | None = None
    invoice_count: int | None = None
    invoiced_usd_cents: int | None = None
    shadow: RunShadowResult | None = None


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    total_usd_micros: int
    invoices: list[InvoiceRef]
    iso_submission: SubmitToIsoResult
    ledger: CloseCycleLedgerResult
