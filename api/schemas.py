"""Request and response bodies of the cycle API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CycleCreate(BaseModel):
    # Unknown fields are refused: the API reads no file the caller names on the server (it once took
    # `input_files`, and read whatever path or URI it was given). Meter data arrives by `POST /meter-data`.
    model_config = ConfigDict(extra="forbid")

    campus_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    # [0-9], not \d: the pattern engine's \d also matches other scripts' digits (２０２６-０１ would be a second
    # business key for January 2026).
    period: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="local calendar month, YYYY-MM")


class CycleStarted(BaseModel):
    cycle_id: str
    run_id: str | None
    input_count: int


class ApprovalBody(BaseModel):
    approver: str | None = Field(
        default=None, max_length=200, description="optional; must be the authenticated user when given"
    )
    comment: str = Field(default="", max_length=2000)


class RejectionBody(BaseModel):
    approver: str | None = Field(default=None, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class OperatorBody(BaseModel):
    # Who acts is the authenticated caller; a name given here must be theirs (api.routes.cycles.acting_subject).
    operator: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)


class CyclePublic(BaseModel):
    cycle_id: str
    campus_id: str
    period: str
    period_start_utc: datetime
    period_end_utc: datetime
    status: str
    status_detail: str | None
    steps: dict[str, Any] = Field(description="each recorded step's summary (counts, totals, data-quality score); "
                                  "its `url` serves the full result, `vee_report_url` the full VEE report")
    live: dict[str, Any] | None = Field(default=None, description="the running workflow's own status query")
    links: dict[str, str] = Field(description="root-relative paths: `self`, and `vee_report` once validated")


class VerifyPublic(BaseModel):
    ok: bool
    entries_checked: int
    first_bad_seq: int | None
    reason: str | None


class ProblemPublic(BaseModel):
    """One problem of a refused file (a file with several problems lists them all)."""

    line: int | None
    field: str | None
    reason: str


class ValidationIssuePublic(BaseModel):
    """One reason a request did not validate (FastAPI's shape: where, what, which rule)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ErrorPublic(BaseModel):
    """Every error body of the API (api/errors.py): `detail` says what is wrong; `type` names the error class.

    A refused file also names `source`, `line` and `field` (and `problems` when there are several); a request that
    did not validate lists its issues in `detail`."""

    detail: str | list[ValidationIssuePublic]
    type: str | None = Field(default=None, description="the error's class, e.g. NotFound, Conflict, BadInput")
    source: str | None = None
    line: int | None = None
    field: str | None = None
    problems: list[ProblemPublic] | None = None


# Rows of the list routes. Each names the fields its query returns; `extra="allow"` keeps a field a later query
# adds (the list stays typed, and a new column is not silently dropped).
class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class CycleRowPublic(_Row):
    cycle_id: str
    campus_id: str
    period: str = Field(description="local calendar month, YYYY-MM")
    status: str
    status_detail: str | None
    updated_at_utc: datetime


class CampusRowPublic(_Row):
    campus_id: str
    name: str | None
    iso: str | None
    time_zone: str
    version: int | None = Field(description="latest applied campus-file version; None if registered without a file")


class CampusVersionPublic(_Row):
    version: int
    document_sha256_hex: str
    source_name: str | None
    applied_by: str | None
    applied_at_utc: datetime


class TenantPublic(_Row):
    tenant_id: str
    name: str
    legal_name: str | None = None
    move_in: date | None = Field(default=None, description="first day billed (campus local calendar)")
    move_out: date | None = Field(default=None, description="first day not billed; None while occupied")


class MeterPublic(_Row):
    meter_id: str
    role: str
    unit: str | None = None
    interval_minutes: int | None = None
    tenant_id: str | None = None


class QuarantinedFilePublic(_Row):
    sha256_hex: str
    original_name: str | None
    source: str | None
    line: int | None
    field: str | None
    reason: str
    quarantined_at_utc: datetime


class PendingCorrectionPublic(_Row):
    cycle_id: str
    period: str
    cycle_completed_at_utc: datetime
    sha256_hex: str
    original_name: str
    reading_count: int
    first_interval_start_utc: datetime
    last_interval_start_utc: datetime
    received_at_utc: datetime
    resettle_command: str


class ManualEditPublic(_Row):
    meter_id: str
    channel: str
    interval_start_utc: datetime
    energy_wh: int
    edited_by: str
    reason: str
    edit_id: int


# Single-object responses: every JSON route answering one object names its fields (tests/unit/test_api_docs.py).
# Routes that answer a domain dataclass as it is (a workflow's status, a ledger proof) use that dataclass as their
# response model; the models below are for answers assembled in the route or read as rows.
class CycleStepPublic(_Row):
    """One recorded step's full result. Which fields appear depends on the step; others may follow."""

    validated_uri: str | None = Field(default=None, description="validate: the validated interval file")
    reading_count: int | None = Field(default=None, description="ingest, validate: readings in the period")
    estimated_count: int | None = Field(default=None, description="validate: intervals VEE estimated")
    report: dict[str, Any] | None = Field(default=None, description="validate: the full VEE report")
    vee_run_id: int | None = None
    settlement_sha256_hex: str | None = Field(default=None, description="settle: the settlement's hash")
    total_usd_micros: int | None = None
    tenant_totals_usd_micros: dict[str, int] | None = None
    energy_balance_wh: dict[str, int] | None = None
    tenant_usage: dict[str, dict[str, Any]] | None = Field(
        default=None, description="settle: each tenant's daily energy (Wh per local day)")
    tenant_interval_figures: dict[str, dict[str, Any]] | None = Field(
        default=None, description="settle: each tenant's peak demand (W) and its interval, energy and estimated Wh")
    invoices: list[dict[str, Any]] | None = Field(default=None, description="invoice: the invoices issued")


class OverridePublic(BaseModel):
    cycle_id: str
    finding_code: str
    overridden_by: str


class CancelRequestedPublic(BaseModel):
    cycle_id: str
    cancel_requested_by: str


class FindingPublic(BaseModel):
    code: str
    message: str
    blocking: bool


class TenantFiguresPublic(BaseModel):
    energy_wh: int
    demand_w_max: int | None = Field(description="peak demand (W): the largest interval's energy over its length; "
                                     "None for a month settled before it was recorded")
    energy_wh_estimated: int | None
    amount_usd_micros: int
    demand_w_max_interval_start_utc: datetime | None = Field(
        default=None, description="the start of the first interval at the peak")


class TenantReviewPublic(BaseModel):
    tenant_id: str
    name: str
    current: TenantFiguresPublic
    previous_month: TenantFiguresPublic | None
    last_year: TenantFiguresPublic | None
    energy_estimated_pct: Decimal | None = Field(description="estimated Wh over the tenant's Wh, percent to 0.01")


class MeterQualityPublic(BaseModel):
    meter_id: str
    tenant_id: str | None
    score: str
    flags: dict[str, int]
    intervals_expected: int
    intervals_estimated: int


class OverrideRecordPublic(_Row):
    finding_code: str
    finding_message: str
    reason: str
    overridden_by: str
    recorded_at_utc: datetime


class DecisionRecordPublic(_Row):
    decision: str
    decided_by: str
    comment: str
    phase_after: str
    recorded_at_utc: datetime


class CycleReviewPublic(BaseModel):
    """What finance approves against (`billing.review`, docs/finance.md)."""

    cycle_id: str
    settlement_version: str
    vee_score: str | None
    vee_run_id: int | None
    meters: list[MeterQualityPublic]
    balance_wh: dict[str, int]
    balance_allowed_wh: int
    tenants: list[TenantReviewPublic]
    campus_changes: list[str]
    findings: list[FindingPublic]
    overrides: list[OverrideRecordPublic]
    open_findings: list[FindingPublic]
    decisions: list[DecisionRecordPublic]


class LedgerEntryPublic(BaseModel):
    seq: int
    entry_id: str
    kind: str
    ref_seq: int | None
    idempotency_key: str
    effective_at_utc: datetime
    recorded_at_utc: datetime
    document: dict[str, Any] = Field(description="the entry as hashed (its canonical JSON, parsed)")
    canonical_b64: str = Field(description="the exact hashed bytes")
    leaf_hash_hex: str
    chain_hash_hex: str


class LedgerEntriesPublic(BaseModel):
    origin: str
    entries: list[LedgerEntryPublic]
    next_after_seq: int | None = Field(description="pass as after_seq for the next page; None at the end")


class LedgerBalancePublic(BaseModel):
    """Amounts in the asset's minor units, as decimal strings (they may exceed 2**53)."""

    path: str
    asset_code: str
    normal_side: str
    posted_minor: str
    pending_debits_minor: str
    pending_credits_minor: str
    normal_balance_minor: str


class LedgerBalancesPublic(BaseModel):
    origin: str
    balances: list[LedgerBalancePublic]


class CheckpointPublic(BaseModel):
    tree_size: int
    root_hex: str
    chain_hash_hex: str
    vkey: str
    signed_note: str


class LedgerCheckpointsPublic(BaseModel):
    origin: str
    checkpoints: list[CheckpointPublic]


class StatementBalancePublic(BaseModel):
    path: str
    asset_code: str
    posted_minor: str


class StatementLinePublic(BaseModel):
    seq: int
    kind: str
    effective_at_utc: datetime
    account_path: str
    asset_code: str
    amount_minor: str
    meta: dict[str, str]


class TenantStatementPublic(BaseModel):
    tenant_id: str
    from_utc: datetime
    to_utc: datetime
    opening: list[StatementBalancePublic]
    lines: list[StatementLinePublic]
    closing: list[StatementBalancePublic]


class ReceivedFilePublic(_Row):
    """A meter file received by `POST /meter-data` (the outcome) or read back by its sha256."""

    sha256_hex: str
    status: str = Field(description="accepted, quarantined, duplicate, stored or refused")
    size_bytes: int | None = None
    stored_uri: str | None = None
    reading_count: int | None = None
    first_interval_start_utc: datetime | None = None
    last_interval_start_utc: datetime | None = None
    csv_layout: str | None = Field(None, description="The CSV layout the file was received with (read back by "
                                                     "its sha256); every cycle reads the file with it again.")


class EditCreatedPublic(BaseModel):
    edit_id: int
    edited_by: str


class VeeRunPublic(_Row):
    vee_run_id: int
    campus_id: str
    period_start_utc: datetime
    period_end_utc: datetime
    intervals_uri: str
    validated_uri: str
    exceptions_uri: str
    reading_count: int
    estimated_count: int
    score: str
    report_json: dict[str, Any]
    recorded_at_utc: datetime


class CampusAppliedPublic(BaseModel):
    """A campus file applied (or, with `dry_run`, the changes it would make)."""

    campus_id: str
    dry_run: bool = False
    version: int | None = Field(default=None, description="the version now latest; None for a dry run")
    document_sha256_hex: str | None = None
    applied: bool | None = Field(default=None, description="False when the same document was already latest")
    changes: list[str]
    warnings: list[str] = Field(default_factory=list, description="e.g. no node registry loaded for the campus's ISO, "
                                "so its settlement point was not checked")


class CampusDocumentPublic(BaseModel):
    campus_id: str
    version: int
    document_sha256_hex: str
    applied_by: str | None
    applied_at_utc: datetime
    document: dict[str, Any] = Field(description="the applied campus file (docs/campus-file.md)")


class InvoiceCreditNotePublic(_Row):
    credit_note_id: str
    invoice_id: str
    amount_usd_cents: int
    reason: str
    document_sha256_hex: str
    issued_at_utc: datetime


class InvoiceDetailPublic(BaseModel):
    invoice_id: str
    status: str
    tenant_id: str
    cycle_id: str
    total_usd_cents: int
    document_sha256_hex: str
    replaces_invoice_id: str | None
    document: dict[str, Any] = Field(description="the issued document as hashed (docs/hashing.md)")
    credit_notes: list[InvoiceCreditNotePublic]


class CreditNotePublic(BaseModel):
    credit_note_id: str
    number: int
    invoice_id: str
    amount_usd_cents: int
    document_sha256_hex: str
    pdf_uri: str
    created: bool = Field(description="False when the idempotency key named a credit note issued before")


class IssuedInvoicePublic(_Row):
    invoice_id: str
    tenant_id: str
    total_usd_cents: int
    document_sha256_hex: str


class RebillPublic(BaseModel):
    cancelled_invoice_id: str
    credit_note: CreditNotePublic | None
    new_invoice: IssuedInvoicePublic


class StoredPricesPublic(BaseModel):
    campus_id: str
    price_uri: str
    sha256_hex: str
    price_count: int
    already_stored: bool


class TariffSummaryPublic(_Row):
    label: str | None
    name: str | None
    utility: str | None
    demand_window_minutes: int | None
    descriptive_fields: list[str]


class TariffBillPublic(_Row):
    """Monthly charges of a load under a URDB tariff; amounts and energies as decimal strings."""

    tariff: TariffSummaryPublic
    demand_window: str | None
    time_zone: str
    tier_fill: str
    months: list[dict[str, Any]] = Field(description="per month: energy, peak and billing demand, each charge")
    metering: str | None
    energy_kwh: str
    export_kwh: str
    total_usd: str


class SubmissionRowPublic(_Row):
    submission_key: str
    iso: str
    period: str
    status: str
    updated_at_utc: datetime


class SubmissionsPublic(BaseModel):
    campus_id: str
    submissions: list[SubmissionRowPublic]


class AttemptRowPublic(_Row):
    attempt_no: int
    outcome: str
    detail: str | None
    recorded_at_utc: datetime


class AttemptsPublic(BaseModel):
    submission_key: str
    attempts: list[AttemptRowPublic]


class StatementFindingPublic(BaseModel):
    line: int = Field(description="line of the statement file")
    field: str = Field(description="column of the statement file")
    message: str


class StatementsImportedPublic(BaseModel):
    imported: list[str] = Field(description="the statement ids imported")


class StatementFileImportedPublic(StatementsImportedPublic):
    findings: list[StatementFindingPublic] = Field(
        description="the file's own arithmetic that does not hold (AMT against PRICE x QTY, "
        "BILLAMT against the previous run); the run is stored as issued, with these kept beside it")


class DisputeRowPublic(_Row):
    statement_id: str
    line_no: int
    charge_type: str | None
    resource_id: str | None
    cause: str
    difference_usd_micros: str = Field(description="micro-USD as a decimal string")
    status: str
    iso: str


class DisputesPublic(BaseModel):
    campus_id: str
    disputes: list[DisputeRowPublic]


class NodeRowPublic(_Row):
    iso: str
    node_id: str
    name: str
    node_type: str
    zone: str | None
    list_kind: str
    valid_from: date | None
    valid_to: date | None = Field(description="first day no longer in force; None while in force")


class NodesPublic(BaseModel):
    iso: str
    nodes: list[NodeRowPublic]


class NodeDetailPublic(NodeRowPublic):
    attributes: dict[str, Any] = Field(description="what the published list says of the node beyond these fields")
    first_list: str = Field(description="the list the node first appeared in")
    last_list: str = Field(description="the latest list naming it")


class NodeListLoadPublic(BaseModel):
    iso: str
    list_kind: str
    list_id: int
    as_of: date
    node_count: int
    opened_count: int
    closed_count: int
    already_loaded: bool


class NodeListRowPublic(_Row):
    list_id: int
    iso: str
    list_kind: str
    source_name: str
    source_sha256_hex: str
    as_of: date = Field(description="the day the list describes")
    node_count: int
    opened_count: int
    closed_count: int
    loaded_by: str
    loaded_at_utc: datetime


class NodeListsPublic(BaseModel):
    lists: list[NodeListRowPublic]


class MarketRateCreatedPublic(BaseModel):
    rate_id: str
    created: bool = Field(description="False when the same row was registered before")
    ref: str = Field(description="how emissions results cite the row: market-rate/<id>@<edition>")


class MarketRatePublic(_Row):
    """One market-based emission rate; every value as text (the rate a decimal string)."""

    rate_id: str
    kind: str
    zone: str
    g_co2e_per_mwh: str
    source: str
    edition: str
    valid_from: str
    valid_to: str | None
    supplier: str | None
    note: str
    ref: str


class MarketRatesPublic(BaseModel):
    rates: list[MarketRatePublic]


class FactorEditionPublic(_Row):
    """A registered emission-factor edition; every value as text."""

    edition_id: str
    valid_from: str | None
    valid_to: str | None
    description: str | None
    content_sha256: str | None
    registered_at_utc: str | None


class FactorEditionsPublic(BaseModel):
    editions: list[FactorEditionPublic]


class EmissionsVersionPublic(_Row):
    version: int
    factor_edition: str
    gwp_set: str
    result_sha256: str
    intervals_file_sha256: str | None
    reason: str
    recorded_at_utc: str | None = Field(description="None for the result as settled, before any restatement")
    ledger_idempotency_key: str | None


class EmissionsVersionsPublic(BaseModel):
    cycle_key: str
    versions: list[EmissionsVersionPublic]


class CertificateLotCreatedPublic(BaseModel):
    lot_id: str
    created: bool = Field(description="False when the same lot was registered before")


class CertificateClaimCreatedPublic(BaseModel):
    claim_id: str
    created: bool
    retirement_ledger_key: str = Field(description="the ledger entry retiring the certificates")


class FactorOverrideCreatedPublic(BaseModel):
    override_id: str
    created: bool


class RestatedPublic(BaseModel):
    cycle_id: str
    status: str = Field(description="recorded, unchanged or restated")
    version: int
    delta: dict[str, Any] | None = Field(description="current minus previous figures (g CO2e) when restated")
    ledger_idempotency_key: str | None
