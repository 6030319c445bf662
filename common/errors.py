"""One base class for every domain error.

Each subclass names the broken fact and says whether a retry could help. At the activity edge a
DomainError becomes a Temporal ApplicationError with `type` = class name and
`non_retryable = not retryable`; the API maps it to an HTTP status in one place.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 422


class BadInput(DomainError):
    """Input that can never become valid by retrying: names the file, line and field."""

    def __init__(self, source: str, line: int | None, field: str | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
        where = source
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class NotFound(DomainError):
    http_status: ClassVar[int] = 404


class Conflict(DomainError):
    http_status: ClassVar[int] = 409
