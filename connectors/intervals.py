"""Cumulative register readings of one channel → interval energy. Pure functions: no I/O, no clock.

The rules (docs/connectors.md, "From registers to intervals"):

- Order and duplicates: readings are sorted by `source_ts_utc`; the same instant twice with the same value is a
  duplicate (dropped, counted), with another value a conflict (the first received kept, counted).
- Usable readings: BAD, STALE and null values are never differenced.
- Steps between consecutive usable readings (R1 at t1, R2 at t2):
  - another device serial (a meter exchange): never differenced across the two devices; the step's energy is
    (removal read − R1) + (R2 − install read), removal read R1 and install read 0 unless the channel knows them,
    flagged RESET_SPAN;
  - R2 ≥ R1: R2 − R1 (flagged RATE_IMPLAUSIBLE above the channel's power limit × Δt × 1.1);
  - R2 < R1: a wrap R2 + M − R1 when the channel has a modulus M and that is plausible (at most the power limit ×
    Δt × 1.1, or any wrap when no limit is known); else a reset from zero when R2 itself is plausible (flagged
    RESET_SPAN); else R2 is rejected (a decrease that is neither wrap nor reset) and R1 stays the reference.
- Boundaries: the interval [s, e) takes B(e) − B(s). B at a reading within `boundary_tolerance` is that reading
  (measured); else the step spanning the boundary is split over its pieces by time with largest remainder, so
  every boundary is an integer, the parts of a step add up to its energy exactly, and a gap bridged by a later
  reading keeps its energy to the Wh. Such a boundary flags BOUNDARY_INTERPOLATED, an interval with no reading
  inside it ESTIMATED_BY_REGISTER.
- Clocks: a reading whose source time is ahead of its receipt by more than `clock_skew_tolerance` flags the
  intervals its steps touch TIME_QUESTIONABLE (refusing far-future times is the sources' job, `check_source_time`).

Nothing is extrapolated: intervals before the first or after the last usable reading are left out (missing).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from common.largest_remainder import split_by_weights
from connectors.reading import ReadingQuality, RegisterReading
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
RATE_MARGIN = Fraction(11, 10)
"""A step may exceed the channel's power limit × Δt by 10 % (meter accuracy, clock jitter) before it is implausible."""
INTERVALS_PER_DERIVATION_MAX = 200_000
"""A month of 5-minute intervals is 8,928: a window beyond this is a caller's bug."""


class IntervalFlag(enum.Flag):
    """Why an interval is not plainly measured. Carried into the meter-data store as its quality bits."""

    NONE = 0
    BOUNDARY_INTERPOLATED = enum.auto()  # ESPI 9: a boundary split from the step across it
    ESTIMATED_BY_REGISTER = enum.auto()  # ESPI 8: inside a gap, its share of the register difference
    RESET_SPAN = enum.auto()  # ESPI 10: a reset or meter exchange lies in it; the span is estimated
    TIME_QUESTIONABLE = enum.auto()  # ESPI 10: a device clock beyond tolerance placed a reading in it
    UNCERTAIN_VALUE = enum.auto()  # the source marked a reading uncertain
    RATE_IMPLAUSIBLE = enum.auto()  # a step larger than the channel's power limit allows
    LEVEL_HELD = enum.auto()  # a level channel's last reading before the boundary, not one at it (connectors.levels)


ESTIMATED_FLAGS = IntervalFlag.BOUNDARY_INTERPOLATED | IntervalFlag.ESTIMATED_BY_REGISTER | IntervalFlag.LEVEL_HELD
QUESTIONABLE_FLAGS = (IntervalFlag.RESET_SPAN | IntervalFlag.TIME_QUESTIONABLE | IntervalFlag.UNCERTAIN_VALUE
                      | IntervalFlag.RATE_IMPLAUSIBLE)


def meterdata_quality(flags: IntervalFlag) -> int:
    """The meter-data store's quality bits (meterdata.schema) for these flags: estimated and/or suspect."""
    quality = QUALITY_MEASURED
    if flags & ESTIMATED_FLAGS:
        quality |= QUALITY_ESTIMATED
    if flags & QUESTIONABLE_FLAGS:
        quality |= QUALITY_SUSPECT
    return quality


@dataclass(frozen=True)
class ChannelRules:
    """What derivation needs to know of a channel (from the campus model)."""

    interval_minutes: int
    register_modulus_wh: int | None = None
    """The register wraps to zero at this many primary Wh (2^32 × scale, 10^8 format units × scale); None: never."""
    power_max_w: int | None = None
    """The channel's largest plausible power (rated kW × 1000); None: unknown, no rate check."""
    boundary_tolerance: timedelta = timedelta(seconds=1)
    clock_skew_tolerance: timedelta = timedelta(seconds=2)
    install_reads_wh: Mapping[str, int] = field(default_factory=dict)
    """Device serial → its register at installation (default 0)."""
    removal_reads_wh: Mapping[str, int] = field(default_factory=dict)
    """Device serial → its register at removal (default: its last reading)."""

    def __post_init__(self) -> None:
        assert self.interval_minutes in (1, 5, 15, 30, 60), f"interval {self.interval_minutes} min"
        assert self.register_modulus_wh is None or self.register_modulus_wh > 0
        assert self.power_max_w is None or self.power_max_w > 0


@dataclass(frozen=True)
class DerivedInterval:
    interval_start_utc: datetime
    interval_minutes: int
    energy_wh: int
    flags: IntervalFlag


@dataclass(frozen=True)
class Rejection:
    source_ts_utc: datetime
    reason: str


@dataclass(frozen=True)
class OrderedReadings:
    readings: tuple[RegisterReading, ...]
    duplicate_count: int
    conflict_count: int


@dataclass(frozen=True)
class Derivation:
    intervals: tuple[DerivedInterval, ...]
    rejected: tuple[Rejection, ...]
    duplicate_count: int
    conflict_count: int


@dataclass(frozen=True)
class Step:
    """The energy from the previous usable reading (at `start_utc`) to this one (at `end_utc`)."""

    start_utc: datetime
    end_utc: datetime
    start_cumulative_wh: int
    energy_wh: int
    flags: IntervalFlag


def order_readings(readings: Iterable[RegisterReading]) -> OrderedReadings:
    """Sort by source time; the same instant again is a duplicate (same value) or a conflict (first kept)."""
    first_by_ts: dict[datetime, RegisterReading] = {}
    duplicates = conflicts = 0
    for reading in readings:
        kept = first_by_ts.get(reading.source_ts_utc)
        if kept is None:
            first_by_ts[reading.source_ts_utc] = reading
        elif (kept.register_wh, kept.quality) == (reading.register_wh, reading.quality):
            duplicates += 1
        else:
            conflicts += 1
    ordered = tuple(first_by_ts[ts] for ts in sorted(first_by_ts))
    return OrderedReadings(ordered, duplicates, conflicts)


def is_usable(reading: RegisterReading) -> bool:
    return reading.register_wh is not None and reading.quality in (ReadingQuality.GOOD, ReadingQuality.UNCERTAIN)


def register_steps(readings: Sequence[RegisterReading], rules: ChannelRules) -> tuple[list[Step], list[Rejection]]:
    """The steps between consecutive usable readings (sorted, one per instant), and the readings rejected."""
    steps: list[Step] = []
    rejected: list[Rejection] = []
    previous: RegisterReading | None = None
    cumulative_wh = 0
    for reading in readings:
        if not is_usable(reading):
            continue
        if previous is None:
            previous = reading
            continue
        outcome = _step_energy(previous, reading, rules)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
            continue
        energy_wh, flags = outcome
        flags |= _reading_flags(previous, rules) | _reading_flags(reading, rules)
        steps.append(Step(previous.source_ts_utc, reading.source_ts_utc, cumulative_wh, energy_wh, flags))
        cumulative_wh += energy_wh
        previous = reading
    return steps, rejected


def _reading_flags(reading: RegisterReading, rules: ChannelRules) -> IntervalFlag:
    flags = IntervalFlag.NONE
    if reading.quality is ReadingQuality.UNCERTAIN:
        flags |= IntervalFlag.UNCERTAIN_VALUE
    if reading.source_ts_utc - reading.received_ts_utc > rules.clock_skew_tolerance:
        flags |= IntervalFlag.TIME_QUESTIONABLE
    return flags


def _step_energy(first: RegisterReading, second: RegisterReading,
                 rules: ChannelRules) -> tuple[int, IntervalFlag] | Rejection:
    assert first.register_wh is not None and second.register_wh is not None
    r1, r2 = first.register_wh, second.register_wh
    limit_wh = _energy_limit_wh(rules, second.source_ts_utc - first.source_ts_utc)
    if first.device_serial is not None and second.device_serial is not None \
            and first.device_serial != second.device_serial:
        # A meter exchange: energy on the old device up to its removal, then on the new one since installation.
        removal_wh = rules.removal_reads_wh.get(first.device_serial, r1)
        install_wh = rules.install_reads_wh.get(second.device_serial, 0)
        return max(0, removal_wh - r1) + max(0, r2 - install_wh), IntervalFlag.RESET_SPAN
    if r2 >= r1:
        implausible = limit_wh is not None and r2 - r1 > limit_wh
        return r2 - r1, IntervalFlag.RATE_IMPLAUSIBLE if implausible else IntervalFlag.NONE
    modulus = rules.register_modulus_wh
    if modulus is not None and r1 < modulus:
        wrapped_wh = r2 + modulus - r1
        if limit_wh is None or wrapped_wh <= limit_wh:
            return wrapped_wh, IntervalFlag.NONE
    if limit_wh is None or r2 <= limit_wh:
        return r2, IntervalFlag.RESET_SPAN
    return Rejection(second.source_ts_utc, f"register fell from {r1} to {r2} Wh: neither a wrap nor a reset")


def _energy_limit_wh(rules: ChannelRules, elapsed: timedelta) -> Fraction | None:
    if rules.power_max_w is None:
        return None
    hours = Fraction(elapsed // timedelta(microseconds=1), 3_600_000_000)
    return rules.power_max_w * hours * RATE_MARGIN


def grid_floor(instant: datetime, interval_minutes: int) -> datetime:
    """The start of the interval holding `instant` (intervals aligned to the hour in UTC)."""
    length = timedelta(minutes=interval_minutes)
    return EPOCH_UTC + ((instant - EPOCH_UTC) // length) * length


def boundary_values(steps: Sequence[Step], rules: ChannelRules) -> dict[datetime, tuple[int, bool]]:
    """Grid boundary → (cumulative Wh there, measured?) for every boundary the readings span.

    A boundary within tolerance of a reading takes the reading's value; the others take their step's largest-
    remainder split by time, so the pieces of a step add up to its energy exactly."""
    length = timedelta(minutes=rules.interval_minutes)
    values: dict[datetime, tuple[int, bool]] = {}
    if not steps:
        return values
    readings_at = [(steps[0].start_utc, steps[0].start_cumulative_wh)]
    readings_at += [(step.end_utc, step.start_cumulative_wh + step.energy_wh) for step in steps]
    for at_utc, cumulative_wh in readings_at:
        nearest = _nearest_boundary(at_utc, length)
        if abs(nearest - at_utc) <= rules.boundary_tolerance and nearest not in values:
            values[nearest] = (cumulative_wh, True)
    for step in steps:
        inside = _boundaries_inside(step.start_utc, step.end_utc, length)
        unset = [boundary for boundary in inside if boundary not in values]
        if not unset:
            continue
        cuts = [step.start_utc, *inside, step.end_utc]
        weights = [(cuts[i + 1] - cuts[i]) // timedelta(microseconds=1) for i in range(len(cuts) - 1)]
        parts = split_by_weights(step.energy_wh, weights)
        running_wh = step.start_cumulative_wh
        for boundary, part_wh in zip(inside, parts, strict=False):
            running_wh += part_wh
            values.setdefault(boundary, (running_wh, False))
    return values


def _nearest_boundary(instant: datetime, length: timedelta) -> datetime:
    return EPOCH_UTC + round((instant - EPOCH_UTC) / length) * length


def _boundaries_inside(start_utc: datetime, end_utc: datetime, length: timedelta) -> list[datetime]:
    """Grid boundaries strictly between start and end."""
    first = EPOCH_UTC + ((start_utc - EPOCH_UTC) // length + 1) * length
    count = max(0, -(-(end_utc - first) // length))
    assert count <= INTERVALS_PER_DERIVATION_MAX, "a step spans more boundaries than any window holds"
    return [first + index * length for index in range(count)]


def derive_intervals(readings: Iterable[RegisterReading], rules: ChannelRules, window_start_utc: datetime,
                     window_end_utc: datetime) -> Derivation:
    """Interval energy of one channel for the intervals starting in [window_start_utc, window_end_utc).

    Pass readings beyond the window too (the one before its start and the one after its end at least), so its
    first and last boundaries are bracketed; only intervals whose two boundaries the readings span are given."""
    length = timedelta(minutes=rules.interval_minutes)
    assert window_start_utc == grid_floor(window_start_utc, rules.interval_minutes), "window off the grid"
    assert (window_end_utc - window_start_utc) // length <= INTERVALS_PER_DERIVATION_MAX
    ordered = order_readings(readings)
    steps, rejected = register_steps(ordered.readings, rules)
    values = boundary_values(steps, rules)
    step_ends = [step.end_utc for step in steps]
    intervals: list[DerivedInterval] = []
    start = window_start_utc
    while start < window_end_utc:
        end = start + length
        if start in values and end in values:
            energy_wh = values[end][0] - values[start][0]
            flags = _interval_flags(steps, step_ends, start, end, values[start][1], values[end][1])
            intervals.append(DerivedInterval(start, rules.interval_minutes, energy_wh, flags))
        start = end
    return Derivation(tuple(intervals), tuple(rejected), ordered.duplicate_count, ordered.conflict_count)


def _interval_flags(steps: Sequence[Step], step_ends: Sequence[datetime], start: datetime, end: datetime,
                    start_measured: bool, end_measured: bool) -> IntervalFlag:
    flags = IntervalFlag.NONE
    if not (start_measured and end_measured):
        flags |= IntervalFlag.BOUNDARY_INTERPOLATED
    reading_inside = False
    # Steps follow one another without overlap: the first touching the interval is the first ending after start.
    index = bisect.bisect_right(step_ends, start)
    while index < len(steps) and steps[index].start_utc < end:
        flags |= steps[index].flags
        reading_inside = reading_inside or start < steps[index].end_utc < end
        index += 1
    if not (start_measured or end_measured or reading_inside):
        flags |= IntervalFlag.ESTIMATED_BY_REGISTER
    return flags
