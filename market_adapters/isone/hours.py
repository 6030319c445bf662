"""ISO-NE's hour-ending labels of one operating day -> interval starts in UTC; every ISO-NE reader of hourly
rows (the hourly LMP reports, the MIS settlement reports such as SR_RTLOCSUM) takes its labels from here.

Labels are Eastern prevailing, hour ending "01".."24"; the interval starts at date + (HE - 1) h local.
- Fall-back day (25 hours): "01", "02", "02X", "03" .. "24"; "02X" is the second pass through 01:00-02:00 (EST).
- Spring-forward day (23 hours): "01", "02", "04" .. "24"; there is no "03", because the hour it would start
  (02:00) does not exist. Confirmed from gridstatus/gridstatus @ 9ddfaff `gridstatus/isone.py`, whose hourly
  LMP reader localises HE - 1 with no rule for non-existent times and whose DST-boundary test reads the
  13 March 2022 day-ahead and real-time hourly files, and from a public audit of the 10 March 2024 day-ahead
  file ("hour 3 missing"); see docs/iso-adapters.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.bounds import YEAR_MAX, YEAR_MIN
from market_adapters.clock import operating_day_bounds_utc

EASTERN = ZoneInfo("America/New_York")
REPEATED_HOUR = "02X"
_ORDINARY = [f"{hour:02d}" for hour in range(1, 25)]
_LABELS_BY_HOURS = {
    24: _ORDINARY,
    25: ["01", "02", REPEATED_HOUR, *_ORDINARY[2:]],
    23: [label for label in _ORDINARY if label != "03"],
}


class UnknownHourLabel(ValueError):
    """The label is not an hour of this operating day; the message says which labels are."""


def hour_labels(operating_day: date) -> dict[str, datetime]:
    """Label -> interval start (UTC) for every hour of `operating_day`, in the day's order."""
    start_utc, end_utc = operating_day_bounds_utc(operating_day, EASTERN)
    labels = _LABELS_BY_HOURS[(end_utc - start_utc) // timedelta(hours=1)]
    return {label: start_utc + timedelta(hours=index) for index, label in enumerate(labels)}


def hour_start_utc(operating_day: date, label: str) -> datetime:
    """The UTC start of hour-ending `label` on `operating_day` ("02x" reads as "02X")."""
    if not YEAR_MIN <= operating_day.year <= YEAR_MAX:
        raise UnknownHourLabel(f"{operating_day:%m/%d/%Y}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    starts = hour_labels(operating_day)
    key = label.strip().upper()
    if key not in starts:
        hours = len(starts)
        rule = {23: "a spring-forward day: no 03", 25: "a fall-back day: 02X follows 02"}.get(
            hours, "02X only on a fall-back day, and this is not a fall-back day")
        raise UnknownHourLabel(f"{label[:10]!r} is not an hour ending of {operating_day:%m/%d/%Y} "
                               f"({hours} hours, {rule})")
    return starts[key]
