"""Time helpers: every datetime we hold is aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def require_utc(value: datetime, name: str) -> datetime:
    """Return `value` in UTC; a naive datetime is a programming error, not input to guess at."""
    assert value.tzinfo is not None, f"{name} must be timezone-aware"
    return value.astimezone(UTC)


def format_utc_micros(value: datetime) -> str:
    """The one text form of an instant: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (timestamptz resolution)."""
    return require_utc(value, "value").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
