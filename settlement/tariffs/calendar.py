"""Local wall-clock attributes of UTC interval starts, vectorized: month, hour, weekend/holiday, local date.

Why buckets: time-zone rules change local time only at whole quarter-hours (every zone offset in the tz database
is a multiple of 15 minutes), so every instant inside one 15-minute UTC bucket has the same local hour, month and
date. We ask zoneinfo for the offset every six hours, and for each bucket only around a change (a few thousand
questions a year instead of one per interval), and compute local month, hour, weekday and date from the offset
with integer arithmetic. DST is therefore handled by the rules themselves: the repeated fall-back hour is two local
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
SAMPLE_BUCKETS = 24
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()


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
    bucket_us = (first_bucket + np.arange(bucket_count, dtype=np.int64)) * BUCKET_US
    local_us = bucket_us + _offsets_us(first_bucket, bucket_count, time_zone)
    day = local_us // _US_PER_DAY  # local days since 1970-01-01, a Thursday
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # local months since 1970-01
    month_key = (months + 1970 * 12).astype(np.int32)
    month0 = (months % 12).astype(np.int8)
    hour = (local_us // _US_PER_HOUR % 24).astype(np.int8)
    day_ordinal = (day + _EPOCH_ORDINAL).astype(np.int32)
    is_weekend = (day + 3) % 7 >= 5
    if holidays_as_weekend and holidays:
        is_weekend |= np.isin(day_ordinal, np.array([day.toordinal() for day in holidays], dtype=np.int32))
    return month_key, month0, hour, is_weekend, day_ordinal


def _offsets_us(first_bucket: int, bucket_count: int, time_zone: ZoneInfo) -> npt.NDArray[np.int64]:
    """Each bucket's UTC offset. Asked at every SAMPLE_BUCKETS-th bucket; where two samples differ, at each bucket
    between them. Exact while a zone changes its offset at most once in SAMPLE_BUCKETS buckets (six hours): the
    tz database's changes are days apart."""
    sampled = np.arange(0, bucket_count + SAMPLE_BUCKETS, SAMPLE_BUCKETS, dtype=np.int64)
    sample_offsets = np.array([_offset_us(first_bucket + int(index), time_zone) for index in sampled],
                              dtype=np.int64)
    offsets = np.repeat(sample_offsets[:-1], SAMPLE_BUCKETS)[:bucket_count]
    for change in np.flatnonzero(sample_offsets[1:] != sample_offsets[:-1]).tolist():
        for index in range(change * SAMPLE_BUCKETS + 1, min((change + 1) * SAMPLE_BUCKETS, bucket_count)):
            offsets[index] = _offset_us(first_bucket + index, time_zone)
    return offsets


def _offset_us(bucket: int, time_zone: ZoneInfo) -> int:
    offset = (_EPOCH + timedelta(microseconds=bucket * BUCKET_US)).astimezone(time_zone).utcoffset()
    assert offset is not None
    return offset // timedelta(microseconds=1)


def month_key_label(month_key: int) -> str:
    """`2026-03` for a month key."""
    return f"{month_key // 12:04d}-{month_key % 12 + 1:02d}"


def datetime_to_utc_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    assert value.tzinfo is not None, "naive datetime"
    return (value - _EPOCH) // timedelta(microseconds=1)
