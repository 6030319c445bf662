"""The storage VEE rules against the campus's other meters, on hand-worked hours: discharge beyond every metered use
of the hour and charge with no metered supply are findings naming meter, hour and Wh (settlement counts the first
with the losses and keeps the second as energy of unknown source); and the level the previous period reported at
its end is where the rules start."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from campus import StorageAsset
from meterdata.readings import micros_from_datetime
from meterdata.storage_checks import (
    RULE_CHARGE_WITHOUT_SUPPLY,
    RULE_DISCHARGE_EXCEEDS_STORED,
    RULE_DISCHARGE_WITHOUT_USE,
    RULE_STATE_OF_CHARGE_CHANGE,
    StateOfChargeSeries,
    StorageCheckLimits,
    storage_checks,
)
from meterdata.vee_storage import findings_report

ASSET = StorageAsset(asset_id="bess1", charge_meter_id="BESS-CHG", discharge_meter_id="BESS-DIS",
                     capacity_wh_usable=10_000_000, power_kw_rated=2_000, round_trip_efficiency_permille_min=850,
                     round_trip_efficiency_permille_max=900, state_of_charge_wh_min=1_000_000,
                     state_of_charge_channel="soc")
LIMITS = StorageCheckLimits()
START_US = micros_from_datetime(datetime(2026, 9, 1, tzinfo=UTC))
ROLES = {"BESS-CHG": "storage_charge", "BESS-DIS": "storage_discharge", "A": "tenant_consumption",
         "S": "shared_consumption", "X": "export", "G": "grid_import", "PV": "generation"}


def _wh(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_discharge_beyond_the_hours_uses_and_charge_without_supply_are_findings() -> None:
    """Hour 0: 500 000 Wh out, nothing used: all 500 000 flagged. Hour 1: 400 000 out, alpha 300 000 + export
    90 000: 10 000 unused, beyond the tolerance 1 % x 400 000 + 1 000 = 5 000: flagged. Hour 2: 300 000 out,
    alpha 200 000 + shared 60 000 + export 40 000: all used. Hour 3: 200 000 in with no grid and no generation:
    flagged on the charge meter. Hour 4: 100 000 in from 100 000 of solar: fine."""
    hourly = {"BESS-CHG": _wh(0, 0, 0, 200_000, 100_000), "BESS-DIS": _wh(500_000, 400_000, 300_000, 0, 0),
              "A": _wh(0, 300_000, 200_000, 0, 0), "S": _wh(0, 0, 60_000, 0, 0), "X": _wh(0, 90_000, 40_000, 0, 0),
              "G": _wh(0, 0, 0, 0, 0), "PV": _wh(0, 0, 0, 0, 100_000)}
    result = storage_checks(hourly, [ASSET], LIMITS, START_US, {}, None, ROLES)
    assert result.counts[RULE_DISCHARGE_WITHOUT_USE] == {"BESS-DIS": 2}
    assert result.counts[RULE_CHARGE_WITHOUT_SUPPLY] == {"BESS-CHG": 1}
    listed = [(f["rule"], f["meter_id"], f["interval_start_utc"], f["value_wh"])
              for f in findings_report(result.findings)
              if f["rule"] in (RULE_DISCHARGE_WITHOUT_USE, RULE_CHARGE_WITHOUT_SUPPLY)]
    assert listed == [
        (RULE_DISCHARGE_WITHOUT_USE, "BESS-DIS", "2026-09-01T00:00:00+00:00", 500_000),
        (RULE_DISCHARGE_WITHOUT_USE, "BESS-DIS", "2026-09-01T01:00:00+00:00", 10_000),
        (RULE_CHARGE_WITHOUT_SUPPLY, "BESS-CHG", "2026-09-01T03:00:00+00:00", 200_000),
    ]
    first = next(f for f in result.findings if f.rule == RULE_DISCHARGE_WITHOUT_USE)
    assert first.reason.startswith("500000 Wh of the 500000 Wh discharged had no metered use (tenants, shared and "
                                   "export metered 0 Wh)")


def test_a_small_excess_within_the_tolerance_passes_and_no_roles_no_campus_rules() -> None:
    """400 000 out, 396 000 used: 4 000 unused, within 5 000. Without roles the two rules are not run."""
    hourly = {"BESS-CHG": _wh(0), "BESS-DIS": _wh(400_000), "A": _wh(396_000), "G": _wh(0), "PV": _wh(0),
              "S": _wh(0), "X": _wh(0)}
    assert storage_checks(hourly, [ASSET], LIMITS, START_US, {}, None, ROLES).counts[RULE_DISCHARGE_WITHOUT_USE] \
        == {"BESS-DIS": 0}
    assert RULE_DISCHARGE_WITHOUT_USE not in storage_checks(hourly, [ASSET], LIMITS, START_US, {}).counts


def test_the_rules_start_from_the_level_the_previous_period_reported() -> None:
    """Previous period's last level 5 000 000; the first hour moves nothing and reports 3 000 000: a change of
    -2 000 000 beyond the margin (1 % of capacity + 1 000 = 101 000), flagged only with the start known. From a
    start of 1 200 000 (floor 1 000 000) 500 000 out is more than 200 000 + 1 % x 500 000 + 1 000 = 206 000
    available; assuming a full battery (no start) it passes."""
    series = StateOfChargeSeries(_wh(START_US), 60, _wh(3_000_000))
    hourly = {"BESS-CHG": _wh(0), "BESS-DIS": _wh(0)}
    with_start = storage_checks(hourly, [ASSET], LIMITS, START_US, {"bess1": series}, {"bess1": 5_000_000})
    without = storage_checks(hourly, [ASSET], LIMITS, START_US, {"bess1": series})
    assert (with_start.counts[RULE_STATE_OF_CHARGE_CHANGE], without.counts[RULE_STATE_OF_CHARGE_CHANGE]) == \
        ({"BESS-DIS": 1}, {"BESS-DIS": 0})
    assert [f.value_wh for f in with_start.findings if f.rule == RULE_STATE_OF_CHARGE_CHANGE] == [-2_000_000]
    out = {"BESS-CHG": _wh(0), "BESS-DIS": _wh(500_000)}
    assert storage_checks(out, [ASSET], LIMITS, START_US, {}, {"bess1": 1_200_000}).counts[
        RULE_DISCHARGE_EXCEEDS_STORED] == {"BESS-DIS": 1}
    assert storage_checks(out, [ASSET], LIMITS, START_US, {}).counts[RULE_DISCHARGE_EXCEEDS_STORED] == \
        {"BESS-DIS": 0}
