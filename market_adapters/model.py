"""Types shared by every ISO adapter: meter references, credentials, outcomes and the typed ISO errors.

An adapter's client translates HTTP failures into these errors once, at its boundary: `IsoRejected` is the
ISO saying no to our content (a retry cannot help; the operator must fix and resubmit), `IsoUnavailable` is
the ISO or the network failing (a retry later can help).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from campus.model import MeterRole
from common.errors import DomainError

MARKET_TIME_ZONES = {
    # Each ISO's market clock: the prevailing local time its operating days and hour labels follow.
    "NYISO": "America/New_York", "PJM": "America/New_York", "ISONE": "America/New_York",
    "ERCOT": "America/Chicago", "MISO": "America/Chicago", "SPP": "America/Chicago",
    "CAISO": "America/Los_Angeles",
}

ISO_METER_ROLES = frozenset(MeterRole)


@dataclass(frozen=True)
class IsoMeterRef:
    """One of our meters registered with the ISO: `iso_meter_id` is the ISO's id (NYISO PTID, ERCOT ESI ID,
    PJM meter account); `role` is our meter role (`meter.role`), which picks the ISO collection it goes to."""

    meter_id: str
    iso_meter_id: str
    role: str

    def __post_init__(self) -> None:
        assert self.role in ISO_METER_ROLES, f"unknown meter role {self.role!r}"


@dataclass(frozen=True)
class IsoCredentials:
    """What an ISO client authenticates with. Certificate paths are PEM files; `ca_bundle_path` pins the ISO's CA."""

    username: str
    password: str
    client_cert_path: str | None = None
    client_key_path: str | None = None
    ca_bundle_path: str | None = None


@dataclass(frozen=True)
class IsoRecordError:
    """One error the ISO reported against one record, mapped back to our meter where we could."""

    collection: str
    record_index: int | None
    iso_meter_id: str | None
    meter_id: str | None
    date_hour: str | None
    code: str
    message: str


@dataclass(frozen=True)
class SubmissionOutcome:
    """The ISO's answer to an accepted (or dry-run validated) submission."""

    iso_request_id: str
    user_request_id: str
    dry_run: bool
    records_submitted: int
    records_accepted: int
    response: dict = field(repr=False)


class IsoRejected(DomainError):
    """The ISO refused the content (400/403/422 or a REJECTED acknowledgement); resubmit after a fix."""

    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 422

    def __init__(self, iso: str, status_code: int, errors: list[IsoRecordError], response: dict) -> None:
        self.iso = iso
        self.status_code = status_code
        self.errors = errors
        self.response = response
        summary = "; ".join(f"{e.meter_id or e.iso_meter_id or '-'} {e.date_hour or ''} {e.code}"
                            for e in errors[:5])
        super().__init__(f"{iso} rejected the submission (HTTP {status_code}, {len(errors)} errors): {summary}")


class IsoUnavailable(DomainError):
    """The ISO could not be reached or failed (5xx, 429, timeout); a later retry may succeed."""

    retryable: ClassVar[bool] = True
    http_status: ClassVar[int] = 503

    def __init__(self, iso: str, reason: str, retry_after_s: float | None = None) -> None:
        self.iso = iso
        self.reason = reason
        self.retry_after_s = retry_after_s
        super().__init__(f"{iso} unavailable: {reason}")


class IsoAuthFailed(DomainError):
    """The ISO refused our credentials (401); retrying with the same credentials cannot help."""

    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 502

    def __init__(self, iso: str, reason: str) -> None:
        self.iso = iso
        super().__init__(f"{iso} refused the credentials: {reason}")


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


def acknowledgement_from_json(payload: dict) -> Acknowledgement:
    errors = tuple(AckError(item.get("line"), item.get("field"), str(item.get("code", "")), str(item.get("message", "")))
                   for item in payload.get("errors") or [])
    return Acknowledgement(str(payload.get("file_name", "")), str(payload.get("received_at", "")),
                           str(payload.get("status", "")), int(payload.get("records_total", 0)),
                           int(payload.get("records_accepted", 0)), errors)
