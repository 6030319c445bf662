"""Submit one period's document to its ISO exactly once per business key, and remember what the ISO said.

Business key: (campus, ISO, period, version) -> `{campus}:{iso}:{period}:v{version}`. The same key with the
same document is idempotent: an accepted submission is not sent again, a rejected one raises its stored
rejection again (unless the operator asks to resend it after fixing the ISO side). The same key with another
document is a Conflict: a corrected document is a new version. Transient ISO failures are recorded and
re-raised as retryable; rejections are recorded with the ISO's errors and re-raised as non-retryable.

A campus submits only to its own market and only when submission is on for it (the campus file's
`[iso_submission] enabled`): any other request is SubmissionRefused before anything is stored or sent, whoever
builds it. The billing cycle's ISO step records such a campus as skipped, with its reason, and never gets here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, RowMapping

from campus import iso_submission_settings, load_campus
from common import canonical_json
from common.errors import Conflict, DomainError
from common.timeutil import require_utc
from market_adapters.errors import IsoAuthFailed, IsoRecordError, IsoRejected, IsoUnavailable
from market_adapters.model import SubmissionOutcome
from market_adapters.submission import repository as repo

Sender = Callable[[dict[str, Any]], SubmissionOutcome]
"""Sends a document to the ISO; raises IsoRejected, IsoAuthFailed or IsoUnavailable."""


@dataclass(frozen=True)
class SubmissionRequest:
    campus_id: str
    iso: str
    period: str
    version: int
    cycle_id: str | None
    document: dict[str, Any]
    document_uri: str
    deadline_utc: datetime | None


@dataclass(frozen=True)
class SubmissionRecord:
    """Where a submission stands. `sent` is False when the answer came from an earlier attempt."""

    submission_key: str
    status: str
    iso_request_id: str | None
    records_accepted: int | None
    submitted_late: bool | None
    errors: tuple[IsoRecordError, ...]
    sent: bool


class SubmissionRefused(DomainError):
    """A submission the campus may not make: to another ISO than its own, or with submission off. Final."""

    http_status: ClassVar[int] = 409


def submission_key(campus_id: str, iso: str, period: str, version: int) -> str:
    return f"{campus_id}:{iso}:{period}:v{version}"


def submit_cycle_to_iso(engine: Engine, request: SubmissionRequest, send: Sender, *, now_utc: datetime,
                        resend_rejected: bool = False) -> SubmissionRecord:
    """Send `request.document` through `send` unless this business key already has a final answer."""
    key = submission_key(request.campus_id, request.iso, request.period, request.version)
    # The recipe's hash (RFC 8785), so key order and spacing never make two documents differ.
    sha256_hex = canonical_json.sha256_hex(request.document)
    failure: Exception | None = None
    with engine.begin() as conn:
        _check_campus_market(conn, request)
        row = repo.claim_submission(conn, key, request.campus_id, request.iso, request.period, request.version,
                                    request.cycle_id, request.document_uri, sha256_hex, request.deadline_utc)
        if row["document_sha256_hex"] != sha256_hex:
            raise Conflict(f"submission {key} was made with another document; submit the correction as "
                           f"version {request.version + 1}")
        if row["status"] == "accepted" or (row["status"] == "rejected" and not resend_rejected):
            return _stored_record(key, row, request.iso)
        record, failure = _send_and_record(conn, key, request, sha256_hex, send, now_utc)
    if failure is not None:
        raise failure
    return record


def _check_campus_market(conn: Connection, request: SubmissionRequest) -> None:
    campus = load_campus(conn, request.campus_id)  # CampusNotFound for a campus nobody registered
    if request.iso != campus.iso:
        raise SubmissionRefused(f"campus {request.campus_id} is in {campus.iso}; it submits to {campus.iso} only, "
                                f"not to {request.iso}")
    enabled, _ = iso_submission_settings(conn, request.campus_id)
    if not enabled:
        raise SubmissionRefused(f"ISO submission is off for campus {request.campus_id} ([iso_submission] enabled = "
                                "false in its campus file); nothing sent")


def _send_and_record(conn: Connection, key: str, request: SubmissionRequest, sha256_hex: str, send: Sender,
                     now_utc: datetime) -> tuple[SubmissionRecord, Exception | None]:
    # The result is written in the same transaction that holds the row lock; errors are raised after commit.
    late = None if request.deadline_utc is None else require_utc(now_utc, "now_utc") > request.deadline_utc
    try:
        outcome = send(request.document)
    except IsoRejected as error:
        response = json.dumps(error.response, default=str)
        _finish(conn, key, request, sha256_hex, "rejected", str(error), None, None, late, error.errors, response)
        return _record(key, "rejected", None, None, late, error.errors), error
    except (IsoUnavailable, IsoAuthFailed) as error:
        outcome_name = "auth_failed" if isinstance(error, IsoAuthFailed) else "unavailable"
        repo.record_attempt(conn, key, outcome_name, str(error))
        repo.record_result(conn, key, "unavailable", iso_request_id=None, records_accepted=None,
                           submitted_late=None, errors=[], response_json=None)
        return _record(key, "unavailable", None, None, None, []), error
    response = json.dumps(outcome.response, default=str)
    # An empty ISO request id: the ISO already held these values (its read-back is the acceptance), so
    # nothing was sent this time and there is no request id to keep.
    request_id = outcome.iso_request_id or None
    detail = f"ISO request {request_id}" if request_id else "already held at the ISO (read back), not resent"
    _finish(conn, key, request, sha256_hex, "accepted", detail, request_id, outcome.records_accepted, late, [],
            response)
    return _record(key, "accepted", request_id, outcome.records_accepted, late, []), None


def _finish(conn: Connection, key: str, request: SubmissionRequest, sha256_hex: str, status: str, detail: str,
            request_id: str | None, accepted: int | None, late: bool | None, errors: Sequence[IsoRecordError],
            response: str) -> None:
    repo.record_attempt(conn, key, status, detail)
    repo.record_result(conn, key, status, iso_request_id=request_id, records_accepted=accepted,
                       submitted_late=late, errors=list(errors), response_json=response)
    if request.cycle_id is not None:
        repo.upsert_core_submission(conn, key, request.cycle_id, request.iso, request.document_uri, sha256_hex,
                                    status, response)


def _record(key: str, status: str, request_id: str | None, accepted: int | None, late: bool | None,
            errors: Sequence[IsoRecordError]) -> SubmissionRecord:
    return SubmissionRecord(key, status, request_id, accepted, late, tuple(errors), sent=True)


def _stored_record(key: str, row: RowMapping, iso: str) -> SubmissionRecord:
    errors = tuple(IsoRecordError(**item) for item in row["errors_json"])
    if row["status"] == "rejected":
        raise IsoRejected(iso, 422, list(errors), {"stored": True, "submission_key": key})
    return SubmissionRecord(key, row["status"], row["iso_request_id"], row["records_accepted"],
                            row["submitted_late"], errors, sent=False)


def list_campus_submissions(engine: Engine, campus_id: str) -> list[dict[str, Any]]:
    """Every submission of a campus with its status, ISO errors and lateness, for the operator."""
    with engine.connect() as conn:
        return repo.list_submissions(conn, campus_id)


def submission_attempts(engine: Engine, key: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return repo.list_attempts(conn, key)
