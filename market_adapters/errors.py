"""The typed ISO errors every adapter raises, translated once at its client's boundary.

`IsoRejected` is the ISO saying no to our content (a retry cannot help; the operator must fix and resubmit),
`IsoUnavailable` is the ISO or the network failing (a retry later can help), `IsoAuthFailed` is the ISO
refusing our credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from common.errors import DomainError


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


class IsoRejected(DomainError):
    """The ISO refused the content (400/403/422 or a REJECTED acknowledgement); resubmit after a fix."""

    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 422

    def __init__(self, iso: str, status_code: int, errors: list[IsoRecordError], response: dict[str, Any]) -> None:
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
