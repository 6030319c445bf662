"""Request and response bodies of the cycle API."""

from __future__ import annotations

from datetime import datetime
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
