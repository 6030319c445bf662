"""Customer baselines: what a site would have drawn in an event's hours had it not responded.

PJM's default economic method (Manual 11 §10; OATT Attachment K-Appendix §3.3A): "High 4 of 5" on weekdays
(High 2 of 3 on Saturdays, and on Sundays and NERC holidays), with a Symmetric Additive Adjustment (SAA):
1. candidate days walk back from the day before the event over days of the event's type, skipping holidays
   (for weekdays), event days and low-usage days (event-hour mean under 25 % of the candidates' mean), within
   a 45-day lookback;
2. keep the days with the highest event-hour mean (4 of 5 or 2 of 3);
3. the raw baseline of each hour is the mean of that hour over the kept days;
4. the adjustment is mean(actual) - mean(baseline) over the 3 hours ending one hour before the event (event
   from HE15: HE11-HE13), positive or negative, added to every event hour;
5. the reduction of an hour is max(0, baseline + adjustment - actual).

Loads are hourly energy in Wh keyed by the local hour-ending label (1..24; on the fall-back day the repeated
hour is labelled 25, as ERCOT and NYISO do, and is never an SAA or event hour here). Arithmetic is exact
(Fraction) and each hour's reduction is rounded to a whole Wh once, half to even.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from common.errors import BadInput

HourlyLoad = Mapping[int, int]  # hour-ending label -> Wh


@dataclass(frozen=True)
class BaselineRule:
    """One day type's rule: keep the `kept` highest of the `candidates` most recent eligible days."""

    candidates: int
    kept: int


@dataclass(frozen=True)
class PjmCblParameters:
    """PJM's CBL parameters, dated and versioned (manuals change): the defaults are Manual 11's."""

    weekday: BaselineRule = BaselineRule(5, 4)
    saturday: BaselineRule = BaselineRule(3, 2)
    sunday_or_holiday: BaselineRule = BaselineRule(3, 2)
    lookback_days: int = 45
    low_usage_fraction: Fraction = Fraction(1, 4)
    saa_hours: int = 3
    saa_gap_hours: int = 1  # hours skipped between the SAA window and the event (pre-event ramping)
    version: str = "pjm-m11-cbl-high4of5-saa"


@dataclass(frozen=True)
class BaselineResult:
    """The baseline of one event: the days used, the raw and adjusted baseline and the reduction per hour."""

    kept_days: tuple[date, ...]
    candidate_days: tuple[date, ...]
    adjustment_wh: Fraction
    baseline_wh_by_hour: dict[int, Fraction]  # raw CBL
    adjusted_wh_by_hour: dict[int, Fraction]
    reduction_wh_by_hour: dict[int, int]  # max(0, adjusted - actual), rounded half-even once per hour

    @property
    def reduction_wh(self) -> int:
        return sum(self.reduction_wh_by_hour.values())


def day_type(day: date, holidays: frozenset[date]) -> str:
    if day in holidays or day.weekday() == 6:
        return "sunday_or_holiday"
    return "saturday" if day.weekday() == 5 else "weekday"


def pjm_customer_baseline(
    event_day: date,
    event_hours: Sequence[int],
    load_wh_by_day: Mapping[date, HourlyLoad],
    *,
    holidays: frozenset[date] = frozenset(),
    event_days: frozenset[date] = frozenset(),
    parameters: PjmCblParameters = PjmCblParameters(),
) -> BaselineResult:
    """PJM's High-N-of-M baseline with the symmetric additive adjustment for one event (hours as HE labels)."""
    hours = sorted(set(event_hours))
    if not hours or hours[0] < 1 or hours[-1] > 24 or hours != list(range(hours[0], hours[-1] + 1)):
        raise BadInput("event", None, "hours", f"event hours must be one run of hour-ending labels 1..24, not {hours}")
    saa_last = hours[0] - 1 - parameters.saa_gap_hours
    saa_hours = list(range(saa_last - parameters.saa_hours + 1, saa_last + 1))
    if not saa_hours or saa_hours[0] < 1:
        raise BadInput("event", None, "hours", f"an event from HE{hours[0]} leaves no SAA window before it")
    kind = day_type(event_day, holidays)
    rule: BaselineRule = getattr(parameters, kind)
    candidates = _candidate_days(event_day, kind, hours, load_wh_by_day, holidays, event_days, rule, parameters)
    if len(candidates) < rule.kept:
        raise BadInput("baseline", None, "history",
                       f"{event_day}: only {len(candidates)} eligible {kind} days in the {parameters.lookback_days}-day"
                       f" lookback; the {rule.kept}-of-{rule.candidates} rule needs {rule.kept}")
    ranked = sorted(candidates, key=lambda day: (_mean(load_wh_by_day[day], hours), day), reverse=True)
    kept = tuple(sorted(ranked[: rule.kept]))
    needed = [*saa_hours, *hours]
    actual = load_wh_by_day.get(event_day, {})
    missing = [hour for hour in needed if hour not in actual]
    if missing:
        raise BadInput("baseline", None, "load", f"{event_day}: no metered load for HE{missing}")
    baseline = {hour: Fraction(sum(load_wh_by_day[day][hour] for day in kept), len(kept)) for hour in needed}
    adjustment = _mean(actual, saa_hours) - Fraction(sum(baseline[hour] for hour in saa_hours), len(saa_hours))
    adjusted = {hour: baseline[hour] + adjustment for hour in hours}
    reduction = {hour: round(max(Fraction(0), adjusted[hour] - actual[hour])) for hour in hours}
    return BaselineResult(kept, tuple(candidates), adjustment, {h: baseline[h] for h in hours}, adjusted, reduction)


def _candidate_days(event_day: date, kind: str, hours: Sequence[int], load_wh_by_day: Mapping[date, HourlyLoad],
                    holidays: frozenset[date], event_days: frozenset[date], rule: BaselineRule,
                    parameters: PjmCblParameters) -> list[date]:
    """The most recent days of the event's type with full metered event hours, minus event and low-usage days."""
    found: list[date] = []
    for back in range(1, parameters.lookback_days + 1):
        day = event_day - timedelta(days=back)
        load = load_wh_by_day.get(day)
        if day_type(day, holidays) != kind or day in event_days or load is None or any(h not in load for h in hours):
            continue
        found.append(day)
        if len(found) == rule.candidates:
            break
    if not found:
        return found
    # Low-usage days are dropped against the mean of the candidates found (Manual 11's 25 % screen).
    overall = sum((_mean(load_wh_by_day[day], hours) for day in found), Fraction(0)) / len(found)
    return [day for day in found if _mean(load_wh_by_day[day], hours) >= parameters.low_usage_fraction * overall]


def _mean(load: HourlyLoad, hours: Sequence[int]) -> Fraction:
    return Fraction(sum(load[hour] for hour in hours), len(hours))
