"""PJM's High 4 of 5 baseline with the symmetric additive adjustment, on a hand-worked event (HE15-HE16, SAA window
HE11-HE13), loads in MW-hours written as Wh."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from common.errors import BadInput
from participation import pjm_customer_baseline

MWH = 1_000_000  # Wh
EVENT_DAY = date(2026, 7, 15)  # a Wednesday
# The five most recent weekdays before the event: HE11, HE12, HE13, HE15, HE16 loads in MW.
HISTORY_MW = {
    date(2026, 7, 14): (50, 52, 54, 60, 62),  # D1, event-hour mean 61
    date(2026, 7, 13): (48, 50, 52, 58, 58),  # D2, 58
    date(2026, 7, 10): (40, 41, 42, 44, 46),  # D3, 45: the lowest, dropped
    date(2026, 7, 9): (51, 53, 55, 61, 63),  # D4, 62
    date(2026, 7, 8): (49, 51, 53, 59, 59),  # D5, 59
}
EVENT_MW = (52, 54, 56, 40, 41)
HOURS = (11, 12, 13, 15, 16)


def _day(loads_mw: tuple[int, ...]) -> dict[int, int]:
    """A day of 30 MW hours with the given hours set (HE14 is the skipped ramp hour)."""
    return {**{hour: 30 * MWH for hour in range(1, 25)}, **{h: mw * MWH for h, mw in zip(HOURS, loads_mw, strict=True)}}


def _load() -> dict[date, dict[int, int]]:
    load = {day: _day(mw) for day, mw in HISTORY_MW.items()}
    load[date(2026, 7, 11)] = _day((90, 90, 90, 90, 90))  # a Saturday: not a weekday candidate
    load[EVENT_DAY] = _day(EVENT_MW)
    return load


def test_worked_example_keeps_four_days_adjusts_by_plus_2_5_mw_and_reduces_22_mwh_each_hour() -> None:
    result = pjm_customer_baseline(EVENT_DAY, [15, 16], _load())
    assert result.kept_days == (date(2026, 7, 8), date(2026, 7, 9), date(2026, 7, 13), date(2026, 7, 14))
    assert result.baseline_wh_by_hour == {15: Fraction(59_500_000), 16: Fraction(60_500_000)}
    assert result.adjustment_wh == Fraction(2_500_000)  # mean(52, 54, 56) - mean(49.5, 51.5, 53.5) MW
    assert result.adjusted_wh_by_hour == {15: Fraction(62 * MWH), 16: Fraction(63 * MWH)}
    assert result.reduction_wh_by_hour == {15: 22 * MWH, 16: 22 * MWH}


def test_event_days_and_holidays_are_skipped_and_the_walk_goes_further_back() -> None:
    """With D1 an earlier event day and D2 a holiday, the next weekdays back (Jul 7, Jul 6) are candidates."""
    load = _load()
    load[date(2026, 7, 7)] = _day((50, 50, 50, 50, 50))
    load[date(2026, 7, 6)] = _day((10, 10, 10, 10, 10))  # under 25 % of the candidates' mean: a low-usage day
    result = pjm_customer_baseline(EVENT_DAY, [15, 16], load, holidays=frozenset({date(2026, 7, 13)}),
                                   event_days=frozenset({date(2026, 7, 14)}))
    assert result.candidate_days == (date(2026, 7, 10), date(2026, 7, 9), date(2026, 7, 8), date(2026, 7, 7))
    assert result.kept_days == (date(2026, 7, 7), date(2026, 7, 8), date(2026, 7, 9), date(2026, 7, 10))


def test_a_negative_adjustment_lowers_the_baseline_and_reductions_never_go_negative() -> None:
    load = _load()
    load[EVENT_DAY] = _day((40, 42, 44, 70, 41))  # SAA window 12 MW under the baseline's
    result = pjm_customer_baseline(EVENT_DAY, [15, 16], load)
    assert result.adjustment_wh == Fraction(42 * MWH) - Fraction(51_500_000)  # -9.5 MW
    assert result.reduction_wh_by_hour == {15: 0, 16: 60_500_000 - 9_500_000 - 41 * MWH}


def test_too_little_history_or_no_saa_window_is_refused_by_name() -> None:
    only_event = {EVENT_DAY: _day(EVENT_MW), date(2026, 7, 14): _day(HISTORY_MW[date(2026, 7, 14)])}
    with pytest.raises(BadInput, match="only 1 eligible weekday days"):
        pjm_customer_baseline(EVENT_DAY, [15, 16], only_event)
    with pytest.raises(BadInput, match="leaves no SAA window"):
        pjm_customer_baseline(EVENT_DAY, [3, 4], _load())
    with pytest.raises(BadInput, match="one run of hour-ending labels"):
        pjm_customer_baseline(EVENT_DAY, [15, 17], _load())
    with pytest.raises(BadInput, match="one run of hour-ending labels"):
        pjm_customer_baseline(EVENT_DAY + timedelta(days=0), [], _load())
