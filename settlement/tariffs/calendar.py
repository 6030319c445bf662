"""Local wall-clock attributes of UTC interval starts, vectorized: month, hour, weekend/holiday, local date.

Why buckets: time-zone rules change local time only at whole quarter-hours (every zone offset in the tz database
is a multiple of 15 minutes), so every instant inside one 15-minute UTC bucket has the same local hour, month and
date. We ask zoneinfo once per bucket (about 3,000 per month) instead of once per interval (millions), and index
the answers by bucket. DST is therefore handled by the rules themselves: the repeated fall-back hour is two local
01:00 hours, the skipped spring-forward hour never appears.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

BUCKET_US = 15 * 60 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LocalCalendar:
    """Per interval: `month_key` (local year*12 + month-1), `month0` (0 = January), `hour` (0-23, hour beginning),
    `is_weekend` (Saturday, Sunday, or a holiday when holidays count as weekend), `day_ordinal` (local date)."""

    month_key: npt.NDArray[np.int32]
    month0: npt.NDArray[np.int8]
    hour: npt.NDArray[np.int8]
    is_weekend: npt.NDArray[np.bool_]
    day_ordinal: npt.NDArray[np.int32]


def local_calendar(starts_utc_us: npt.NDArray[np.int64], time_zone: ZoneInfo,
                   holidays: Collection[date], holidays_as_weekend: bool) -> LocalCalendar:
    """Local attributes for each interval start (microseconds since the Unix epoch, UTC)."""
    if starts_utc_us.size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return LocalCalendar(empty, empty.astype(np.int8), empty.astype(np.int8), empty.astype(np.bool_), empty)
    first_bucket = int(starts_utc_us.min()) // BUCKET_US
    bucket_index = (starts_utc_us // BUCKET_US - first_bucket).astype(np.int64)
    bucket_count = int(bucket_index.max()) + 1
    table = _bucket_table(first_bucket, bucket_count, time_zone, frozenset(holidays), holidays_as_weekend)
    return LocalCalendar(*(column[bucket_index] for column in table))


@functools.lru_cache(maxsize=64)
def _bucket_table(first_bucket: int, bucket_count: int, time_zone: ZoneInfo, holidays: frozenset[date],
                  holidays_as_weekend: bool) -> tuple[np.ndarray, ...]:
    """Cached: every tenant of a campus-month asks for the same table (the arrays are only ever read)."""
    month_key = np.empty(bucket_count, dtype=np.int32)
    month0 = np.empty(bucket_count, dtype=np.int8)
    hour = np.empty(bucket_count, dtype=np.int8)
    is_weekend = np.empty(bucket_count, dtype=np.bool_)
    day_ordinal = np.empty(bucket_count, dtype=np.int32)
    holiday_set = set(holidays) if holidays_as_weekend else set()
    for index in range(bucket_count):
        instant = _EPOCH + timedelta(microseconds=(first_bucket + index) * BUCKET_US)
        local = instant.astimezone(time_zone)
        month_key[index] = local.year * 12 + local.month - 1
        month0[index] = local.month - 1
        hour[index] = local.hour
        is_weekend[index] = local.weekday() >= 5 or local.date() in holiday_set
        day_ordinal[index] = local.date().toordinal()
    return month_key, month0, hour, is_weekend, day_ordinal


def month_key_label(month_key: int) -> str:
    """`2026-03` for a month key."""
    return f"{month_key // 12:04d}-{month_key % 12 + 1:02d}"


def datetime_to_utc_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    assert value.tzinfo is not None, "naive datetime"
    return (value - _EPOCH) // timedelta(microseconds=1)
