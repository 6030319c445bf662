"""The near-real-time view of a campus's live channels: per channel the last reading, its age, completeness for
the current local day and billing period, and the silent-meter alarm. What `GET /campuses/{id}/live`, the operator
page and the Prometheus gauges show.

Rules (docs/connectors.md, "Live view"):
- a channel is **silent** when no new source time arrived for `SILENT_PERIODS` × its expected period (the Modbus
  poll or OPC UA sampling period; `REPORT_PERIOD_DEFAULT` for MQTT and Sparkplug, which report by exception),
  or when it never sent a reading;
- **completeness** of a window is intervals holding at least one usable reading ÷ intervals of the window that
  have ended (the meter's interval length, the campus's local day and calendar month), counted from each
  channel's per-day minute maps (`connector_day_count`, kept by the store as it inserts readings), never from
  the readings themselves: a month is 31 rows a channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

import campus
from connectors import repository as repo
from connectors.channels import ChannelDeclaration, declarations_from_campus

SILENT_PERIODS = 3
REPORT_PERIOD_DEFAULT = timedelta(seconds=60)


@dataclass(frozen=True)
class ChannelLive:
    meter_id: str
    channel: str
    protocol: str
    last_source_ts_utc: datetime | None
    last_received_ts_utc: datetime | None
    age_seconds: float | None
    expected_period_seconds: float
    silent: bool
    intervals_with_reading_today: int
    intervals_expected_today: int
    completeness_today: float | None
    intervals_with_reading_period: int
    intervals_expected_period: int
    completeness_period: float | None
    reading_count: int
    duplicate_count: int
    conflict_count: int


@dataclass(frozen=True)
class CampusLive:
    campus_id: str
    now_utc: datetime
    day: date
    period: str
    channels: tuple[ChannelLive, ...]

    @property
    def silent_count(self) -> int:
        return sum(1 for channel in self.channels if channel.silent)


def expected_period(declaration: ChannelDeclaration) -> timedelta:
    address = declaration.address
    if declaration.protocol == "modbus_tcp":
        return timedelta(milliseconds=int(address.get("poll_ms", 1000)))
    if declaration.protocol == "opcua":
        return max(timedelta(seconds=1), timedelta(milliseconds=int(address.get("sampling_ms", 1000))))
    return REPORT_PERIOD_DEFAULT


def is_silent(last_source_ts_utc: datetime | None, now_utc: datetime, period: timedelta) -> bool:
    return last_source_ts_utc is None or now_utc - last_source_ts_utc > SILENT_PERIODS * period


def intervals_ended(start_utc: datetime, now_utc: datetime, interval_minutes: int) -> int:
    """Whole intervals from `start_utc` (on the grid) that have ended by `now_utc`."""
    if now_utc <= start_utc:
        return 0
    return (now_utc - start_utc) // timedelta(minutes=interval_minutes)


def completeness(have: int, expected: int) -> float | None:
    """A display ratio (4 places), None before the first interval of the window has ended."""
    return None if expected == 0 else round(min(have, expected) / expected, 4)


MINUTES_PER_DAY = 1_440


def intervals_with_reading(minutes_by_day: Mapping[date, str], start_utc: datetime, end_utc: datetime,
                           interval_minutes: int) -> int:
    """How many intervals of the grid (aligned to the hour in UTC) hold a usable reading in [start_utc, end_utc).

    `minutes_by_day` maps a UTC day to its minutes as '0'/'1' (1: a usable reading in that minute); start and end
    fall on whole minutes (a local midnight, a whole number of intervals after it), so a minute is wholly inside
    the window or wholly outside, and an interval (a divisor of a day) never spans two UTC days."""
    assert MINUTES_PER_DAY % interval_minutes == 0, f"interval {interval_minutes} min"
    assert start_utc.second == start_utc.microsecond == end_utc.second == end_utc.microsecond == 0
    count = 0
    day = start_utc.date()
    while end_utc > start_utc and datetime.combine(day, time(0), UTC) < end_utc:
        minutes = minutes_by_day.get(day)
        if minutes is not None:
            day_start = datetime.combine(day, time(0), UTC)
            first = max(0, (start_utc - day_start) // timedelta(minutes=1))
            last = min(MINUTES_PER_DAY, (end_utc - day_start) // timedelta(minutes=1))
            count += _intervals_with_a_minute(minutes, first, last, interval_minutes)
        day += timedelta(days=1)
    return count


def _intervals_with_a_minute(minutes: str, first: int, last: int, interval_minutes: int) -> int:
    """Intervals of the day with a '1' among their minutes in [first, last)."""
    assert len(minutes) == MINUTES_PER_DAY
    if (first, last) == (0, MINUTES_PER_DAY) and "0" not in minutes:
        return MINUTES_PER_DAY // interval_minutes  # the usual full day, without a loop
    count = 0
    for interval_first in range(first - first % interval_minutes, last, interval_minutes):
        count += "1" in minutes[max(first, interval_first):min(last, interval_first + interval_minutes)]
    return count


def local_day_and_month_starts(now_utc: datetime, time_zone: str) -> tuple[date, datetime, datetime]:
    zone = ZoneInfo(time_zone)
    local_today = now_utc.astimezone(zone).date()
    day_start = datetime.combine(local_today, time(0), zone).astimezone(UTC)
    month_start = datetime.combine(local_today.replace(day=1), time(0), zone).astimezone(UTC)
    return local_today, day_start, month_start


def campus_live(engine: Engine, campus_id: str, now_utc: datetime) -> CampusLive:
    """The live view of every declared channel of the campus at `now_utc`."""
    with engine.begin() as conn:
        site = campus.load_campus(conn, campus_id)
        declarations = declarations_from_campus(campus.load_channel_declarations(conn, campus_id))
        meters = {meter.meter_id: meter for meter in campus.load_meters(conn, campus_id)}
        statuses = {(s.meter_id, s.channel): s for s in repo.channel_statuses(conn, campus_id)}
        local_today, day_start, month_start = local_day_and_month_starts(now_utc, site.time_zone)
        minute_maps = repo.minutes_with_reading(conn, campus_id, month_start.date(), now_utc.date())
        channels = []
        for declaration in declarations:
            minutes = meters[declaration.meter_id].interval_minutes
            day_expected = intervals_ended(day_start, now_utc, minutes)
            period_expected = intervals_ended(month_start, now_utc, minutes)
            day_end = day_start + day_expected * timedelta(minutes=minutes)
            period_end = month_start + period_expected * timedelta(minutes=minutes)
            minutes_by_day = minute_maps.get(declaration.key, {})
            day_have = intervals_with_reading(minutes_by_day, day_start, day_end, minutes)
            period_have = intervals_with_reading(minutes_by_day, month_start, period_end, minutes)
            status = statuses.get(declaration.key)
            channels.append(_channel_live(declaration, status, now_utc, day_have, day_expected, period_have,
                                          period_expected))
    return CampusLive(campus_id, now_utc, local_today, f"{local_today:%Y-%m}", tuple(channels))


def _channel_live(declaration: ChannelDeclaration, status: repo.ChannelStatus | None, now_utc: datetime,
                  day_have: int, day_expected: int, period_have: int, period_expected: int) -> ChannelLive:
    last_source = status.last_source_ts_utc if status else None
    period = expected_period(declaration)
    age = None if last_source is None else (now_utc - last_source).total_seconds()
    return ChannelLive(
        declaration.meter_id, declaration.channel, declaration.protocol, last_source,
        status.last_received_ts_utc if status else None, age, period.total_seconds(),
        is_silent(last_source, now_utc, period), day_have, day_expected, completeness(day_have, day_expected),
        period_have, period_expected, completeness(period_have, period_expected),
        status.reading_count if status else 0, status.duplicate_count if status else 0,
        status.conflict_count if status else 0)
