"""Completeness from per-day minute maps: intervals of the grid holding a usable reading in a window, worked by
hand on small maps (a minute is '1' when it holds a usable reading). Pure: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connectors.live import intervals_with_reading

DAY = date(2026, 11, 3)
NEXT_DAY = date(2026, 11, 4)


def minutes_set(*indexes: int) -> str:
    bits = ["0"] * 1_440
    for index in indexes:
        bits[index] = "1"
    return "".join(bits)


def test_a_full_day_counts_every_interval_and_an_empty_one_none() -> None:
    """Every minute of 3 Nov holds a reading: 96 quarter hours, 24 hours; 4 Nov has no map: 0."""
    maps = {DAY: "1" * 1_440}
    assert intervals_with_reading(maps, datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC), 15) == 96
    assert intervals_with_reading(maps, datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC), 60) == 24


def test_readings_in_one_interval_count_once_and_the_window_edges_cut_minutes() -> None:
    """Minutes 0, 1, 14 (00:00–00:15, one quarter hour), 15 (00:15) and 600 (10:00): 3 quarter hours over the day.
    A window from 00:14 to 10:00 sees minute 14 (its quarter hour) and 15, not 600 (10:00 is the end): 2.
    Hourly: minutes 0–15 are one hour, 600 another: 2."""
    maps = {DAY: minutes_set(0, 1, 14, 15, 600)}
    day_start, day_end = datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)
    assert intervals_with_reading(maps, day_start, day_end, 15) == 3
    assert intervals_with_reading(maps, datetime(2026, 11, 3, 0, 14, tzinfo=UTC),
                                  datetime(2026, 11, 3, 10, 0, tzinfo=UTC), 15) == 2
    assert intervals_with_reading(maps, day_start, day_end, 60) == 2


def test_a_local_day_spans_two_utc_days() -> None:
    """A local day at UTC−5 is 05:00 on 3 Nov to 05:00 on 4 Nov UTC. Readings at 04:59 on 3 Nov (before it),
    05:00 and 23:59 on 3 Nov, 00:00 and 04:59 on 4 Nov, 05:00 on 4 Nov (after it): 4 quarter hours inside."""
    maps = {DAY: minutes_set(299, 300, 1_439), NEXT_DAY: minutes_set(0, 299, 300)}
    assert intervals_with_reading(maps, datetime(2026, 11, 3, 5, tzinfo=UTC), datetime(2026, 11, 4, 5, tzinfo=UTC),
                                  15) == 4


def test_an_empty_window_counts_nothing() -> None:
    maps = {DAY: "1" * 1_440}
    at = datetime(2026, 11, 3, 8, tzinfo=UTC)
    assert intervals_with_reading(maps, at, at, 15) == 0
