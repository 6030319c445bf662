"""Wall-clock labels <-> UTC instants for ISO files. Only adapters' parse/format modules call these.

A wall time is a naive local datetime as printed in an ISO file. In the fall-back hour the same wall time
happens twice; `fold=1` picks the second (PEP 495). In the spring-forward gap a wall time does not exist:
a label that STARTS an interval there is an error, while a label that ENDS one there (e.g. hour-ending
02:00 on the spring-forward day) names the instant the clock jumped, i.e. the gap's start in the earlier offset.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from common.bounds import YEAR_MAX, YEAR_MIN


class NonexistentLocalTime(ValueError):
    """The wall time falls in the spring-forward gap of the zone, or outside the years any ISO file can mean."""


def wall_to_utc(wall: datetime, market_tz: ZoneInfo, *, fold: int, label_is_end: bool) -> datetime:
    """The UTC instant of wall time `wall` in `market_tz`; see the module docstring for gap and fold rules."""
    assert wall.tzinfo is None, "wall times are naive local labels"
    if not YEAR_MIN <= wall.year <= YEAR_MAX:  # 9999-12-31 23:55 in New York has no UTC instant (year 10000)
        raise NonexistentLocalTime(f"{wall:%Y-%m-%d %H:%M}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    local = wall.replace(tzinfo=market_tz, fold=fold)
    instant = local.astimezone(UTC)
    if instant.astimezone(market_tz).replace(tzinfo=None) != wall and not label_is_end:
        raise NonexistentLocalTime(f"{wall:%Y-%m-%d %H:%M} does not exist in {market_tz.key}")
    if label_is_end and instant.astimezone(market_tz).replace(tzinfo=None) != wall:
        # fold=0 in a gap uses the offset before the transition: exactly the moment the clock jumped.
        instant = wall.replace(tzinfo=market_tz, fold=0).astimezone(UTC)
    return instant


def utc_to_wall(instant: datetime, market_tz: ZoneInfo) -> tuple[datetime, int]:
    """The naive wall time of `instant` in `market_tz` and its fold (1 = second pass of a repeated hour)."""
    local = instant.astimezone(market_tz)
    return local.replace(tzinfo=None, fold=0), local.fold


def operating_day_bounds_utc(operating_day: date, market_tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `operating_day` in `market_tz`, as UTC (23, 24 or 25 hours)."""
    start = datetime.combine(operating_day, time(0), market_tz).astimezone(UTC)
    end = datetime.combine(operating_day + timedelta(days=1), time(0), market_tz).astimezone(UTC)
    return start, end
