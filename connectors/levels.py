"""A level channel's readings → the level at each interval end. Pure functions: no I/O, no clock.

A battery's state of charge (the Wh stored, `state_of_charge_channel` of its `[[storage]]` asset) is a level, not a
cumulative register: it goes down as well as up, so it is never differenced. The meter-data store carries a level
as the reading of the interval whose end it describes (meterdata.state_of_charge), so the derivation writes, for
each interval, the level at its end (docs/connectors.md, "Levels"):

- usable readings only: good or uncertain, not null, within [0, `level_wh_max`] (a level outside it is rejected,
  as ingest would refuse it in a file);
- the reading nearest the end within `boundary_tolerance` (the one at or before it on a tie) is the level there,
  measured;
- else the last usable reading before the end, if it is at most `hold_max` older: the level held, flagged
  LEVEL_HELD (→ estimated);
- else none: the interval has no level (missing; nothing is interpolated or extrapolated);
- an uncertain reading flags UNCERTAIN_VALUE, a device clock ahead of receipt by more than `clock_skew_tolerance`
  TIME_QUESTIONABLE (both → suspect).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.intervals import (
    INTERVALS_PER_DERIVATION_MAX,
    DerivedInterval,
    IntervalFlag,
    Rejection,
    grid_floor,
    is_usable,
    order_readings,
)
from connectors.reading import ReadingQuality, RegisterReading


@dataclass(frozen=True)
class LevelRules:
    """What a level's derivation needs to know of its channel (from the campus model)."""

    interval_minutes: int
    level_wh_max: int
    """The largest level that can be true: the battery's usable capacity."""
    hold_max: timedelta
    """How old the last reading before an interval end may be and still give the level there (held, estimated)."""
    boundary_tolerance: timedelta = timedelta(seconds=1)
    clock_skew_tolerance: timedelta = timedelta(seconds=2)

    def __post_init__(self) -> None:
        assert self.interval_minutes in (1, 5, 15, 30, 60), f"interval {self.interval_minutes} min"
        assert self.level_wh_max >= 0 and self.hold_max >= self.boundary_tolerance >= timedelta(0)


@dataclass(frozen=True)
class LevelDerivation:
    intervals: tuple[DerivedInterval, ...]
    """One per interval of the window with a level at its end; `energy_wh` holds that level in Wh."""
    missing_ends_utc: tuple[datetime, ...]
    """Interval ends of the window without a level (no usable reading near enough)."""
    rejected: tuple[Rejection, ...]


def derive_levels(readings: Iterable[RegisterReading], rules: LevelRules, window_start_utc: datetime,
                  window_end_utc: datetime) -> LevelDerivation:
    """The level at the end of each interval starting in [window_start_utc, window_end_utc).

    Pass the readings from `hold_max` before the window's first end to `boundary_tolerance` after its last."""
    length = timedelta(minutes=rules.interval_minutes)
    assert window_start_utc == grid_floor(window_start_utc, rules.interval_minutes), "window off the grid"
    assert (window_end_utc - window_start_utc) // length <= INTERVALS_PER_DERIVATION_MAX
    usable, rejected = _usable_levels(order_readings(readings).readings, rules)
    times = [reading.source_ts_utc for reading in usable]
    intervals: list[DerivedInterval] = []
    missing: list[datetime] = []
    start = window_start_utc
    while start < window_end_utc:
        end = start + length
        level = _level_at(usable, times, end, rules)
        if level is None:
            missing.append(end)
        else:
            intervals.append(DerivedInterval(start, rules.interval_minutes, level[0], level[1]))
        start = end
    return LevelDerivation(tuple(intervals), tuple(missing), tuple(rejected))


def _usable_levels(ordered: Sequence[RegisterReading], rules: LevelRules
                   ) -> tuple[list[RegisterReading], list[Rejection]]:
    usable: list[RegisterReading] = []
    rejected: list[Rejection] = []
    for reading in ordered:
        if not is_usable(reading):
            continue
        assert reading.register_wh is not None
        if not 0 <= reading.register_wh <= rules.level_wh_max:
            rejected.append(Rejection(reading.source_ts_utc, f"level {reading.register_wh} Wh is outside "
                                                             f"[0, {rules.level_wh_max}] Wh"))
            continue
        usable.append(reading)
    return usable, rejected


def _level_at(usable: Sequence[RegisterReading], times: Sequence[datetime], end_utc: datetime,
              rules: LevelRules) -> tuple[int, IntervalFlag] | None:
    """(level Wh, flags) at `end_utc`, or None. `usable` is sorted by source time, one reading per instant."""
    before = bisect.bisect_right(times, end_utc) - 1  # the last reading at or before the end
    after = before + 1  # the first one after it
    candidates = [index for index in (before, after) if 0 <= index < len(usable)
                  and abs(times[index] - end_utc) <= rules.boundary_tolerance]
    if candidates:
        # Nearest first; on a tie the one at or before the end (it comes first in the list).
        chosen = min(candidates, key=lambda index: abs(times[index] - end_utc))
        return _value(usable[chosen], IntervalFlag.NONE, rules)
    if before >= 0 and end_utc - times[before] <= rules.hold_max:
        return _value(usable[before], IntervalFlag.LEVEL_HELD, rules)
    return None


def _value(reading: RegisterReading, flags: IntervalFlag, rules: LevelRules) -> tuple[int, IntervalFlag]:
    assert reading.register_wh is not None
    if reading.quality is ReadingQuality.UNCERTAIN:
        flags |= IntervalFlag.UNCERTAIN_VALUE
    if reading.source_ts_utc - reading.received_ts_utc > rules.clock_skew_tolerance:
        flags |= IntervalFlag.TIME_QUESTIONABLE
    return reading.register_wh, flags
