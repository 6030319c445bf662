"""Billing periods are local calendar months of the campus; stored and passed as UTC instants."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from common.errors import BadInput

PERIOD_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")  # ASCII digits only: int() reads others too
YEAR_MIN, YEAR_MAX = 1900, 2999
"""Billing years accepted: far beyond any meter data, and far inside what datetime and time zones represent
(9999-12 once failed with a server error: its month ends in year 10000)."""


def period_bounds_utc(period: str, time_zone: str) -> tuple[datetime, datetime]:
    """Return `[start, end)` in UTC of the local month `period` ("YYYY-MM") in `time_zone`.

    The month is local wall-clock time, so its length in hours follows DST (743 h in March in New York).
    """
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise BadInput("period", None, "period", f"{period!r} is not YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadInput("period", None, "period", f"{period!r}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    zone = ZoneInfo(time_zone)
    start_local = datetime(year, month, 1, tzinfo=zone)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    end_local = datetime(next_year, next_month, 1, tzinfo=zone)
    return start_local.astimezone(UTC), end_local.astimezone(UTC)


def cycle_id_for(campus_id: str, period: str) -> str:
    """The cycle's business key; also its workflow id, so a second start finds the first."""
    return f"cycle:{campus_id}:{period}"
