"""The vectorized local calendar equals zoneinfo asked at every 15-minute bucket, in zones with 30- and 45-minute
offsets, half-hour DST (Lord Howe) and both hemispheres, over two years with holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from settlement.tariffs import datetime_to_utc_us, local_calendar
from settlement.tariffs.bill import _month_rows

BUCKET = timedelta(minutes=15)
HOLIDAYS = frozenset({date(2025, 12, 25), date(2026, 7, 3), date(2026, 3, 9)})


@pytest.mark.parametrize("zone", ["America/Denver", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
                                  "America/St_Johns", "Pacific/Chatham", "UTC"])
def test_every_bucket_as_zoneinfo_says(zone: str) -> None:
    time_zone = ZoneInfo(zone)
    first = datetime(2025, 1, 1, 3, 15, tzinfo=UTC)
    instants = [first + BUCKET * index for index in range(2 * 365 * 96)]
    starts = np.array([datetime_to_utc_us(instant) for instant in instants], dtype=np.int64)
    calendar = local_calendar(starts, time_zone, HOLIDAYS, holidays_as_weekend=True)
    local = [instant.astimezone(time_zone) for instant in instants]
    assert calendar.month_key.tolist() == [value.year * 12 + value.month - 1 for value in local]
    assert calendar.month0.tolist() == [value.month - 1 for value in local]
    assert calendar.hour.tolist() == [value.hour for value in local]
    assert calendar.day_ordinal.tolist() == [value.date().toordinal() for value in local]
    assert calendar.is_weekend.tolist() == [value.weekday() >= 5 or value.date() in HOLIDAYS for value in local]
    without = local_calendar(starts, time_zone, HOLIDAYS, holidays_as_weekend=False)
    assert without.is_weekend.tolist() == [value.weekday() >= 5 for value in local]


def test_months_are_slices_in_time_order_and_masks_when_a_clock_runs_back_across_months() -> None:
    in_order = np.array([5, 5, 6, 6, 6, 8], dtype=np.int32)
    assert [(key, rows) for key, rows in _month_rows(in_order)] == [(5, slice(0, 2)), (6, slice(2, 5)),
                                                                    (8, slice(5, 6))]
    running_back = np.array([5, 6, 5, 6], dtype=np.int32)  # 00:30 on the 1st, then 23:30 on the 31st again
    picked = [(key, rows.tolist()) for key, rows in _month_rows(running_back)]  # type: ignore[union-attr]
    assert picked == [(5, [True, False, True, False]), (6, [False, True, False, True])]
