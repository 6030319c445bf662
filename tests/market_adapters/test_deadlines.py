"""PJM Power Meter deadline: next business day 16:00 Eastern prevailing, skipping weekends and NERC holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from market_adapters.pjm.deadlines import nerc_holidays, pjm_power_meter_deadline_utc


def test_weekday_deadline_is_next_day_1600_edt():
    """Tuesday 2025-07-15 -> Wednesday 16:00 EDT = 20:00 UTC."""
    assert pjm_power_meter_deadline_utc(date(2025, 7, 15)) == datetime(2025, 7, 16, 20, tzinfo=UTC)


def test_friday_to_sunday_go_to_monday_and_winter_uses_est():
    """Fri 2025-01-10, Sat and Sun all -> Monday 2025-01-13 16:00 EST = 21:00 UTC."""
    for day in (10, 11, 12):
        assert pjm_power_meter_deadline_utc(date(2025, 1, day)) == datetime(2025, 1, 13, 21, tzinfo=UTC)


def test_holidays_are_skipped():
    """Wednesday 2025-11-26 -> Thanksgiving Thu 27th is skipped -> Friday 28th 16:00 EST; 2025-07-03 -> July 4th
    skipped -> Monday 2025-07-07."""
    assert pjm_power_meter_deadline_utc(date(2025, 11, 26)) == datetime(2025, 11, 28, 21, tzinfo=UTC)
    assert pjm_power_meter_deadline_utc(date(2025, 7, 3)) == datetime(2025, 7, 7, 20, tzinfo=UTC)


def test_nerc_holidays_2022_observe_sunday_christmas_on_monday():
    """2022: Memorial May 30, Labor Sep 5, Thanksgiving Nov 24, Christmas (Sunday) observed Dec 26."""
    assert nerc_holidays(2022) == {date(2022, 1, 1), date(2022, 5, 30), date(2022, 7, 4), date(2022, 9, 5),
                                   date(2022, 11, 24), date(2022, 12, 26)}
