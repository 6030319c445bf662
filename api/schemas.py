"""Request and response bodies of the cycle API."""

from __future__ import annotations

from datetime import date, datetime
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


class InvoiceRowPublic(_Row):
    invoice_id: str
    number: int
    cycle_id: str
    tenant_id: str
    status: str
    total_usd_cents: int
    credited_usd_cents: int
    document_sha256_hex: str
    issued_at_utc: datetime
    replaces_invoice_id: str | None
