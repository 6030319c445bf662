"""The storage VEE rules with a reported state of charge, on hand-worked hours (meterdata.storage_checks): bounds,
the stored change across each hour, discharge from the first reported level, efficiency between reported levels;
each finding names the meter, the interval and the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from campus import StorageAsset
from meterdata.readings import micros_from_datetime
from meterdata.storage_checks import (
    RULE_DISCHARGE_EXCEEDS_STORED,
    RULE_ROUND_TRIP_EFFICIENCY,
    RULE_STATE_OF_CHARGE_BOUNDS,
    RULE_STATE_OF_CHARGE_CHANGE,
    StateOfChargeSeries,
    StorageCheckLimits,
    storage_checks,
    stored_change_bounds,
)
from meterdata.vee_storage import findings_report

ASSET = StorageAsset(asset_id="bess1", charge_meter_id="BESS-CHG", discharge_meter_id="BESS-DIS",
                     capacity_wh_usable=10_000_000, power_kw_rated=2_000, round_trip_efficiency_permille_min=850,
                     round_trip_efficiency_permille_max=900, state_of_charge_wh_min=1_000_000,
                     state_of_charge_channel="soc")
LIMITS = StorageCheckLimits()
START_UTC = datetime(2026, 9, 1, tzinfo=UTC)
START_US = micros_from_datetime(START_UTC)


def _wh(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _hourly_levels(*stored_wh: int) -> StateOfChargeSeries:
    """Readings of 60-minute intervals from the period's start: the level at the end of hour 0, 1, ..."""
    starts = [START_US + hour * 3_600_000_000 for hour in range(len(stored_wh))]
    return StateOfChargeSeries(_wh(*starts), 60, _wh(*stored_wh))


def test_the_stored_change_of_each_hour_must_fit_what_went_in_and_out() -> None:
    """Levels 5 000 000 / 5 850 000 / 5 000 000 / 3 000 000 at the hour ends; charge 1 000 000 in hour 1, discharge
    800 000 in hour 2 and 1 000 000 in hour 3. Margin = 1 % of capacity + 1 000 = 101 000 Wh.
    Hour 1: +850 000 in [850 000 - 111 000, 1 000 000 + 111 000] (tolerance 101 000 + 1 % of 1 000 000): passes.
    Hour 2: -850 000 in [-ceil(800 000 / 0.85) - 109 000, -800 000 + 109 000] = [-1 050 177, -691 000]: passes.
    Hour 3: -2 000 000 below -ceil(1 000 000 / 0.85) - 111 000 = -1 287 471: fails (its value is the change).
    Efficiency between the first and last level: 1 800 000 out of 1 000 000 in while the store fell by 2 000 000
    is 1 800 000 / 3 000 000 = 60 %: low. Discharge from the first level (5 000 000, floor 1 000 000) never runs
    short: at most 1 800 000 out against 4 000 000 + 1 000 000 available."""
    charge, discharge = _wh(0, 1_000_000, 0, 0), _wh(0, 0, 800_000, 1_000_000)
    low, high = stored_change_bounds(charge, discharge, ASSET, LIMITS)
    assert low.tolist() == [-101_000, 739_000, -1_050_177, -1_287_471]
    assert high.tolist() == [101_000, 1_111_000, -691_000, -889_000]
    result = storage_checks({"BESS-CHG": charge, "BESS-DIS": discharge}, [ASSET], LIMITS, START_US,
                            {"bess1": _hourly_levels(5_000_000, 5_850_000, 5_000_000, 3_000_000)})
    assert result.counts[RULE_STATE_OF_CHARGE_CHANGE] == {"BESS-DIS": 1}
    assert result.counts[RULE_STATE_OF_CHARGE_BOUNDS] == {"BESS-DIS": 0}
    assert result.counts[RULE_DISCHARGE_EXCEEDS_STORED] == {"BESS-DIS": 0}
    assert result.counts[RULE_ROUND_TRIP_EFFICIENCY] == {"BESS-DIS": 1}
    change = [f for f in findings_report(result.findings) if f["rule"] == RULE_STATE_OF_CHARGE_CHANGE]
    assert change == [{"rule": RULE_STATE_OF_CHARGE_CHANGE, "meter_id": "BESS-DIS",
                       "interval_start_utc": "2026-09-01T03:00:00+00:00", "interval_minutes": 60,
                       "value_wh": -2_000_000, "reason": change[0]["reason"]}]
    assert "plausible [-1287471, -889000] Wh" in str(change[0]["reason"])
    efficiency = [f for f in result.findings if f.rule == RULE_ROUND_TRIP_EFFICIENCY]
    # Hours 1 to 3, after the first reported level: 180 minutes from 01:00, 1 800 000 Wh discharged.
    assert [(f.interval_start_us - START_US, f.interval_minutes, f.value_wh) for f in efficiency] == \
        [(3_600_000_000, 180, 1_800_000)]
    assert "too low" in efficiency[0].reason


def test_a_consistent_day_passes_every_rule() -> None:
    """The same hours with hour 3 ending at 3 850 000 (-1 150 000, inside [-1 287 471, -889 000]): 1 800 000 out of
    1 000 000 in while the store fell by 1 150 000 is 1 800 000 / 2 150 000 = 83.7 %, below 85 % by every reading:
    still low. Ending at 4 000 000 instead: -1 000 000, and 1 800 000 / 2 000 000 = 90 %: every rule passes."""
    charge, discharge = _wh(0, 1_000_000, 0, 0), _wh(0, 0, 800_000, 1_000_000)
    hourly = {"BESS-CHG": charge, "BESS-DIS": discharge}
    lower = storage_checks(hourly, [ASSET], LIMITS, START_US,
                           {"bess1": _hourly_levels(5_000_000, 5_850_000, 5_000_000, 3_850_000)})
    assert lower.counts[RULE_STATE_OF_CHARGE_CHANGE] == {"BESS-DIS": 0}
    assert lower.counts[RULE_ROUND_TRIP_EFFICIENCY] == {"BESS-DIS": 1}
    good = storage_checks(hourly, [ASSET], LIMITS, START_US,
                          {"bess1": _hourly_levels(5_000_000, 5_850_000, 5_000_000, 4_000_000)})
    assert all(counts == {"BESS-DIS": 0} for counts in good.counts.values())
    assert good.findings == []


def test_discharge_starts_from_the_reported_level_not_a_full_battery() -> None:
    """One reading: 1 200 000 Wh at the end of hour 0 (floor 1 000 000: 200 000 Wh available). Hour 1 discharges
    300 000 with no charge: allowed 200 000 + 1 % of 300 000 + 1 000 = 204 000, so it fails, with the 300 000 Wh
    named. Without the reading the rule assumes a full battery (9 000 000 Wh available) and finds nothing."""
    hourly = {"BESS-CHG": _wh(0, 0), "BESS-DIS": _wh(0, 300_000)}
    reported = storage_checks(hourly, [ASSET], LIMITS, START_US, {"bess1": _hourly_levels(1_200_000)})
    assert reported.counts[RULE_DISCHARGE_EXCEEDS_STORED] == {"BESS-DIS": 1}
    [finding] = [f for f in reported.findings if f.rule == RULE_DISCHARGE_EXCEEDS_STORED]
    assert (finding.meter_id, finding.interval_start_us - START_US, finding.value_wh) == \
        ("BESS-DIS", 3_600_000_000, 300_000)
    assert "more than the 204000 Wh available" in finding.reason
    unknown = storage_checks(hourly, [ASSET], LIMITS, START_US, {})
    assert unknown.counts[RULE_DISCHARGE_EXCEEDS_STORED] == {"BESS-DIS": 0}


def test_levels_outside_floor_and_capacity_are_named_with_their_interval() -> None:
    """15-minute readings; margin 101 000 Wh: 899 000 passes, 898 999 and 10 101 001 fail. Their hour-end level
    (the fourth reading, 10 101 001) is also the only one on an hour end, so no hour has two levels to compare."""
    starts = [START_US + index * 900_000_000 for index in range(4)]
    series = StateOfChargeSeries(_wh(*starts), 15, _wh(899_000, 898_999, 5_000_000, 10_101_001))
    result = storage_checks({"BESS-CHG": _wh(0), "BESS-DIS": _wh(0)}, [ASSET], LIMITS, START_US, {"bess1": series})
    assert result.counts[RULE_STATE_OF_CHARGE_BOUNDS] == {"BESS-DIS": 2}
    bounds = [f for f in findings_report(result.findings) if f["rule"] == RULE_STATE_OF_CHARGE_BOUNDS]
    assert [(f["interval_start_utc"], f["interval_minutes"], f["value_wh"]) for f in bounds] == [
        ((START_UTC + timedelta(minutes=15)).isoformat(), 15, 898_999),
        ((START_UTC + timedelta(minutes=45)).isoformat(), 15, 10_101_001)]
    assert series.levels_at_hour_ends(START_US, 1).tolist() == [10_101_001]
