"""Submission deadlines per ISO, as UTC instants (local-time rules are evaluated here, once).

PJM Power Meter: next business day 16:00 EPT after the operating day (Fri-Sun -> Monday 16:00), business
days being weekdays that are not NERC holidays (iso-formats.md §3.2). NERC holidays: New Year's Day,
Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas; one falling on a Sunday is observed
the Monday after, one on a Saturday is not moved.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from market_adapters.clock import wall_to_utc

EASTERN = ZoneInfo("America/New_York")
PJM_DEADLINE_LOCAL = time(16, 0)
BUSINESS_DAY_SEARCH_MAX = 10  # at most a long weekend plus a holiday lies between two business days


def nerc_holidays(year: int) -> set[date]:
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 12, 25)]
    observed = {day + timedelta(days=1) if day.weekday() == 6 else day for day in fixed}
    may_last = date(year, 5, 31)
    memorial = may_last - timedelta(days=may_last.weekday())
    labor = _nth_weekday(year, 9, 0, 1)
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return observed | {memorial, labor, thanksgiving}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in nerc_holidays(day.year)


def pjm_power_meter_deadline_utc(operating_day: date) -> datetime:
    """16:00 Eastern prevailing on the first business day after `operating_day`."""
    day = operating_day
    for _ in range(BUSINESS_DAY_SEARCH_MAX):
        day += timedelta(days=1)
        if is_business_day(day):
            return wall_to_utc(datetime.combine(day, PJM_DEADLINE_LOCAL), EASTERN, fold=0, label_is_end=False)
    raise AssertionError(f"no business day within {BUSINESS_DAY_SEARCH_MAX} days of {operating_day}")
