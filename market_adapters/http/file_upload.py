"""Upload one file to an ISO drop and turn its acknowledgement file into an outcome or a rejection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from market_adapters.errors import IsoAuthFailed, IsoRecordError, IsoRejected
from market_adapters.http.retry import RetryPolicy, send_with_retry
from market_adapters.model import SubmissionOutcome


@dataclass(frozen=True)
class AckError:
    line: int | None
    field: str | None
    code: str
    message: str


@dataclass(frozen=True)
class Acknowledgement:
    """The ISO's acknowledgement file for an uploaded file (iso-formats.md §8)."""

    file_name: str
    received_at_utc: str
    status: str  # ACCEPTED | REJECTED
    records_total: int
    records_accepted: int
    errors: tuple[AckError, ...]


def acknowledgement_from_json(payload: dict[str, Any]) -> Acknowledgement:
    errors = tuple(AckError(item.get("line"), item.get("field"), str(item.get("code", "")), str(item.get("message", "")))
                   for item in payload.get("errors") or [])
    return Acknowledgement(str(payload.get("file_name", "")), str(payload.get("received_at", "")),
                           str(payload.get("status", "")), int(payload.get("records_total", 0)),
                           int(payload.get("records_accepted", 0)), errors)


def upload_file(client: httpx.Client, path: str, iso: str, file_name: str, text: str, retry: RetryPolicy,
                sleep: Callable[[float], None]) -> Acknowledgement:
    """POST the file as multipart form field `file`; 401/403 are credential failures."""
    request = client.build_request("POST", path, files={"file": (file_name, text.encode(), "text/plain")})
    response = send_with_retry(client, request, iso, retry, sleep)
    if response.status_code in (401, 403):
        raise IsoAuthFailed(iso, f"HTTP {response.status_code} on {path}")
    if response.status_code != 200:
        raise IsoRejected(iso, response.status_code, [], {"detail": response.text[:500]})
    return acknowledgement_from_json(response.json())


def outcome_or_rejection(iso: str, ack: Acknowledgement, meter_by_line: Mapping[int, tuple[str, str]]
                         ) -> SubmissionOutcome:
    """ACCEPTED -> outcome; REJECTED -> IsoRejected whose errors name our meter behind each file line
    (`meter_by_line[line] = (iso meter id, our meter id)`)."""
    response = {"file_name": ack.file_name, "received_at": ack.received_at_utc, "status": ack.status,
                "records_total": ack.records_total, "records_accepted": ack.records_accepted,
                "errors": [error.__dict__ for error in ack.errors]}
    if ack.status == "ACCEPTED":
        return SubmissionOutcome(f"{ack.file_name}@{ack.received_at_utc}", ack.file_name, False, ack.records_total,
                                 ack.records_accepted, response)
    errors = []
    for error in ack.errors:
        iso_meter_id, meter_id = meter_by_line.get(error.line or 0, (None, None))
        errors.append(IsoRecordError("file", error.line, iso_meter_id, meter_id, error.field, error.code,
                                     error.message))
    raise IsoRejected(iso, 200, errors, response)
