"""Storage VEE rules on hand-worked figures (meterdata.storage_checks) and the campus balance with a battery."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from campus import MeterRole, StorageAsset
from meterdata.cross_checks import CrossCheckLimits, cross_check_counts
from meterdata.specs import MeterSpec
from meterdata.storage_checks import (
    RULE_DISCHARGE_EXCEEDS_STORED,
    RULE_ROUND_TRIP_EFFICIENCY,
    RULE_STATE_OF_CHARGE_BOUNDS,
    StorageCheckLimits,
    discharge_exceeds_stored_count,
    efficiency_out_of_range,
    implied_efficiency_range,
    state_of_charge_out_of_bounds_count,
    stored_change_range,
)

ASSET = StorageAsset(asset_id="bess1", charge_meter_id="BESS-CHG", discharge_meter_id="BESS-DIS",
                     capacity_wh_usable=10_000_000, power_kw_rated=2_000, round_trip_efficiency_permille_min=850,
                     round_trip_efficiency_permille_max=900, state_of_charge_wh_min=1_000_000)
LIMITS = StorageCheckLimits()


def _wh(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_discharge_beyond_the_stored_energy_is_flagged_once() -> None:
    """Start 2 000 000 Wh, floor 1 000 000: 1 000 000 Wh available. Cumulative charged 0/500k/500k/500k,
    discharged 600k/600k/1 400k/1 600k; allowed = available + charged + 1 % of throughput + 1 000 Wh =
    1 007 000 / 1 512 000 / 1 520 000 / 1 522 000. Only the last hour (1 600 000) is over."""
    charge, discharge = _wh(0, 500_000, 0, 0), _wh(600_000, 0, 800_000, 200_000)
    assert discharge_exceeds_stored_count(charge, discharge, 2_000_000, 1_000_000, LIMITS) == 1
    # 78 000 Wh more to start with covers the excess (1 600 000 <= 1 600 000).
    assert discharge_exceeds_stored_count(charge, discharge, 2_078_000, 1_000_000, LIMITS) == 0


def test_state_of_charge_outside_floor_and_capacity_is_flagged() -> None:
    """Margin = 1 % of 10 000 000 + 1 000 = 101 000 Wh: readings pass in [899 000, 10 101 000]."""
    stored = _wh(1_000_000, 899_000, 898_999, 10_101_000, 10_101_001)
    assert state_of_charge_out_of_bounds_count(stored, ASSET, LIMITS) == 2


def test_round_trip_efficiency_with_both_ends_read() -> None:
    """Stored change 0: 855 000 out of 1 000 000 in is 85.5 % (in range); 905 000 is 90.5 % (high); 845 000 is
    84.5 % (low). Kept energy is not lost: 800 000 out of 2 000 000 in while the store rose by 1 100 000 is
    800 000 / 900 000 = 88.9 % (in range); risen by 1 000 000 only, 80 % (low)."""
    same = stored_change_range(ASSET, 5_000_000, 5_000_000)
    assert same == (0, 0)
    assert efficiency_out_of_range(ASSET, 1_000_000, 855_000, same) is None
    assert efficiency_out_of_range(ASSET, 1_000_000, 905_000, same) == "high"
    assert efficiency_out_of_range(ASSET, 1_000_000, 845_000, same) == "low"
    assert efficiency_out_of_range(ASSET, 2_000_000, 800_000, stored_change_range(ASSET, 1_000_000, 2_100_000)) is None
    assert efficiency_out_of_range(ASSET, 2_000_000, 800_000, stored_change_range(ASSET, 1_000_000, 2_000_000)) == "low"


def test_without_state_of_charge_only_a_certain_breach_is_flagged() -> None:
    """Ends unknown: the stored change lies in [-9 000 000, 9 000 000]. 1 000 000 out of 2 000 000 in is
    anything from 1/11 up (the battery may have kept it): no finding. 9 500 000 out of 100 000 in is at least
    9 500 000 / 9 100 000 = 104 %: high."""
    unknown = stored_change_range(ASSET, None, None)
    assert unknown == (-9_000_000, 9_000_000)
    assert implied_efficiency_range(2_000_000, 1_000_000, *unknown) == (Fraction(1, 11), None)
    assert efficiency_out_of_range(ASSET, 2_000_000, 1_000_000, unknown) is None
    assert implied_efficiency_range(100_000, 9_500_000, *unknown) == (Fraction(95, 91), None)
    assert efficiency_out_of_range(ASSET, 100_000, 9_500_000, unknown) == "high"


def test_the_cycle_cross_checks_carry_the_storage_rules_and_balance_the_battery() -> None:
    """Hourly: import 1 000 000, tenant 900 000, charge 200 000, discharge 110 000. With the battery the residual
    is 1 000 000 + 110 000 - 900 000 - 200 000 = 10 000, less 1 % expected losses of 1 110 000 supply = -1 100,
    inside 3 % + 10 000. Reading the battery as nothing would leave 100 000 - 10 000 = 90 000 > 40 000."""
    meters = {
        "GRID": MeterSpec("GRID", MeterRole.GRID_IMPORT, "kWh", 60),
        "A": MeterSpec("A", MeterRole.TENANT, "kWh", 60, tenant_id="alpha"),
        "BESS-CHG": MeterSpec("BESS-CHG", MeterRole.STORAGE_CHARGE, "kWh", 60),
        "BESS-DIS": MeterSpec("BESS-DIS", MeterRole.STORAGE_DISCHARGE, "kWh", 60),
    }
    hourly = {"GRID": _wh(1_000_000, 1_000_000), "A": _wh(900_000, 900_000),
              "BESS-CHG": _wh(200_000, 200_000), "BESS-DIS": _wh(110_000, 110_000)}
    counts = cross_check_counts(hourly, meters, CrossCheckLimits(), [ASSET])
    assert counts["campus_balance"] == {"campus": 0}
    # Unknown start: up to 9 000 000 Wh above the floor, so 220 000 out is plausible; 400 000 in, 220 000 out is
    # 55 % if nothing was kept, but the battery may have kept 180 000 or more: no finding.
    assert counts[RULE_DISCHARGE_EXCEEDS_STORED] == {"BESS-DIS": 0}
    assert counts[RULE_ROUND_TRIP_EFFICIENCY] == {"BESS-DIS": 0}
    assert counts[RULE_STATE_OF_CHARGE_BOUNDS] == {}
    without_battery = {key: value for key, value in hourly.items() if not key.startswith("BESS")}
    assert cross_check_counts(without_battery, meters, CrossCheckLimits())["campus_balance"] == {"campus": 2}
