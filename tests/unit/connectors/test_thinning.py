"""Which thinned intervals must be loaded whole (connectors.thinning): exactly those whose first reading follows a
rejected one, worked by hand on a few readings. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.intervals import ChannelRules
from connectors.reading import ReadingQuality, RegisterReading
from connectors.thinning import buckets_to_load_whole, thinning_plan, whole_load_rounds_max

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
RULES = ChannelRules(5, power_max_w=36_000)  # 10 Wh/s, 11 Wh/s with the margin


def at(seconds: int, register_wh: int) -> RegisterReading:
    ts = T0 + timedelta(seconds=seconds)
    return RegisterReading("M1", "main", ts, ts, register_wh, ReadingQuality.GOOD, str(register_wh))


def test_a_thinned_interval_after_a_rejected_reading_is_loaded_whole() -> None:
    """502,990 at 10:04:59 is accepted; 1,000 at 10:05:00 is neither a wrap (no modulus) nor a plausible reset
    (11 Wh allowed in 1 s), so it is rejected. The interval 10:10–10:15 (bucket 5,979,002 since the epoch) was
    thinned and its first reading follows that rejected one: load it whole. The interval 10:00–10:05 follows
    nothing (the first reading of all): nothing to do there."""
    readings = [at(0, 500_000), at(299, 502_990), at(300, 1_000), at(600, 4_000)]
    first_bucket = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(minutes=5)
    thinned = {first_bucket: (T0, None),
               first_bucket + 2: (T0 + timedelta(seconds=600), T0 + timedelta(seconds=300))}
    assert buckets_to_load_whole(readings, RULES, thinned) == {first_bucket + 2}


def test_a_thinned_interval_after_an_accepted_reading_stays_thinned() -> None:
    """10 Wh a second throughout: every reading accepted, nothing to load whole."""
    readings = [at(0, 500_000), at(299, 502_990), at(300, 503_000), at(600, 506_000)]
    first_bucket = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(minutes=5)
    thinned = {first_bucket + 1: (T0 + timedelta(seconds=300), T0 + timedelta(seconds=299)),
               first_bucket + 2: (T0 + timedelta(seconds=600), T0 + timedelta(seconds=300))}
    assert buckets_to_load_whole(readings, RULES, thinned) == set()


def test_the_plan_carries_the_rules_in_microseconds_and_the_rounds_are_bounded() -> None:
    """5 minutes = 300,000,000 µs, tolerance 1 s = 1,000,000 µs; a day of 5-minute intervals: 288 + 4 rounds."""
    plan = thinning_plan(RULES, frozenset({7}))
    assert (plan.interval_length_us, plan.boundary_tolerance_us, plan.power_max_w, plan.whole_buckets) == (
        300_000_000, 1_000_000, 36_000, frozenset({7}))
    assert whole_load_rounds_max(T0, T0 + timedelta(days=1), RULES) == 292
