"""Which stored readings a derivation needs, so that a day at 1 Hz is not loaded whole. Pure: no I/O.

The grid's intervals are the **buckets** (bucket n holds source times in [n × length, (n + 1) × length) since the
epoch). The database (connectors.repository.load_boundary_readings) looks at every usable reading of the window
with a window function and calls a reading **plain** when, against the usable reading just before it, it is:
GOOD (not uncertain), its clock within the skew tolerance, the same device serial (both absent counts as the
same), its register not lower, and its step within the channel's power limit × Δt × 1.1. A bucket whose readings
are all plain is a plain bucket; the database returns every reading of the others, and of a plain bucket only its
first, its last and those within the boundary tolerance of either edge (a plain bucket not asked for whole is a
**thinned** bucket).

Why the derivation is unchanged (connectors.intervals, rule by rule), given one condition checked here:

- Steps: inside a plain bucket, dropping readings merges consecutive steps that are non-decreasing, of one device,
  unflagged and each within its rate limit; the merged step is their sum (registers telescope), non-decreasing,
  of the same device and within the limit of its whole Δt (the limits add up), so it is accepted unflagged with
  the same energy. No wrap, reset or exchange can hide in it: each of those needs a decrease or another serial,
  which makes its reading, and so its bucket, irregular — loaded whole.
- Rejections move the reference: after a rejected reading, the next one is compared with the last *accepted*
  one, not with its stored predecessor, and may itself be rejected although the database called it plain. So
  the condition: the first reading of every thinned bucket must follow an accepted reading. Its predecessor is
  kept (the last of an earlier bucket); `buckets_to_load_whole` derives the steps of what was loaded and names
  the thinned buckets whose first reading's predecessor was rejected; those are loaded whole and the check
  repeats (each round adds a bucket, so the rounds are bounded by the window's buckets). When it holds, every
  kept reading meets the same reference and cumulative sum in both loads, by induction along the time order.
- Boundaries: a boundary within tolerance of a reading takes the first accepted one within tolerance: all those
  are kept. A step across a boundary joins the last reading before it and the first after it: both kept. A
  bucket's readings strictly inside it exist in both loads or in neither (its last reading is kept), so the
  "estimated by register" flag is the same.

The readings dropped are never BAD, STALE or null either: those are never differenced, so they are not loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.intervals import ChannelRules, register_steps
from connectors.reading import RegisterReading


@dataclass(frozen=True)
class ThinningPlan:
    """The channel's rules as the database query needs them, and the buckets it must load whole."""

    interval_length_us: int
    boundary_tolerance_us: int
    clock_skew_tolerance: timedelta
    power_max_w: int | None
    whole_buckets: frozenset[int]


def thinning_plan(rules: ChannelRules, whole_buckets: frozenset[int] = frozenset()) -> ThinningPlan:
    microsecond = timedelta(microseconds=1)
    return ThinningPlan(timedelta(minutes=rules.interval_minutes) // microsecond,
                        rules.boundary_tolerance // microsecond, rules.clock_skew_tolerance, rules.power_max_w,
                        whole_buckets)


def whole_load_rounds_max(window_start_utc: datetime, window_end_utc: datetime, rules: ChannelRules) -> int:
    """Each round loads at least one more bucket whole: the window's buckets, its two bracketing readings' and
    one round to confirm bound the rounds."""
    return (window_end_utc - window_start_utc) // timedelta(minutes=rules.interval_minutes) + 4


def buckets_to_load_whole(readings: Sequence[RegisterReading], rules: ChannelRules,
                          thinned_buckets: Mapping[int, tuple[datetime, datetime | None]]) -> set[int]:
    """The thinned buckets whose first reading does not follow an accepted reading (see the module docstring).

    `readings` are usable, one per instant, in source-time order; `thinned_buckets` maps a bucket to its first
    reading's source time and its stored predecessor's (None: the first reading of all)."""
    if not thinned_buckets:
        return set()
    steps, _rejected = register_steps(readings, rules)
    accepted = {step.end_utc for step in steps}
    if readings:
        accepted.add(readings[0].source_ts_utc)
    return {bucket for bucket, (_first, previous) in thinned_buckets.items()
            if previous is not None and previous not in accepted}
