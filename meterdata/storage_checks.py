"""VEE rules for batteries (docs/storage.md): energy out never exceeds energy in plus what was stored, the state of
charge stays within the asset's bounds, and the implied round-trip efficiency lies in the asset's range.

Pure and integer: inputs are Wh per interval (or per hour: the rules hold on any common grid) of the asset's
charge and discharge meters, and, where the battery management system reports it, the stored energy at each
interval end. Outputs are counts of failing intervals, keyed by the asset's discharge meter so the VEE report
shows them beside the meter.

The round-trip efficiency of a period is `discharge / (charge - stored_change)`: energy still in the battery at the
end is not lost. Without a state-of-charge series the stored change is only known to lie within
[floor - start, capacity - start] (start unknown: anywhere in [floor, capacity]), so the rule flags a period
only when no stored change in that range brings the efficiency into the asset's range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from campus import StorageAsset

RULE_DISCHARGE_EXCEEDS_STORED = "storage_discharge_exceeds_stored"
RULE_STATE_OF_CHARGE_BOUNDS = "storage_state_of_charge_bounds"
RULE_ROUND_TRIP_EFFICIENCY = "storage_round_trip_efficiency"


@dataclass(frozen=True)
class StorageCheckLimits:
    tolerance_floor_wh: int = 1000
    """Meter rounding and the two meters' clocks: an excess below this is not a finding."""
    tolerance_permille: int = 10
    """Meter accuracy class (0.5 % each for two meters): an excess below this share of throughput passes."""


def discharge_exceeds_stored_count(charge_wh: np.ndarray, discharge_wh: np.ndarray, stored_wh_start: int,
                                   stored_wh_floor: int, limits: StorageCheckLimits) -> int:
    """Intervals at whose end the energy discharged so far exceeds what was available: the stored energy above
    the floor at the start plus everything charged so far."""
    charged_wh = np.cumsum(charge_wh, dtype=np.int64)
    discharged_wh = np.cumsum(discharge_wh, dtype=np.int64)
    available_wh = stored_wh_start - stored_wh_floor + charged_wh
    allowed_wh = available_wh + (charged_wh + discharged_wh) * limits.tolerance_permille // 1000 + \
        limits.tolerance_floor_wh
    return int(np.count_nonzero(discharged_wh > allowed_wh))


def state_of_charge_out_of_bounds_count(stored_wh: np.ndarray, asset: StorageAsset,
                                        limits: StorageCheckLimits) -> int:
    """Interval-end readings of stored energy below the floor or above the usable capacity."""
    margin_wh = asset.capacity_wh_usable * limits.tolerance_permille // 1000 + limits.tolerance_floor_wh
    low = stored_wh < asset.state_of_charge_wh_min - margin_wh
    high = stored_wh > asset.capacity_wh_usable + margin_wh
    return int(np.count_nonzero(low | high))


def implied_efficiency_range(charge_wh_total: int, discharge_wh_total: int, stored_change_wh_min: int,
                             stored_change_wh_max: int) -> tuple[Fraction, Fraction | None] | None:
    """(lowest, highest) round-trip efficiency the period's totals allow as the stored change ranges over
    [min, max]; highest None when the battery may have kept all it took (unbounded); None when nothing went in
    or out at all."""
    if charge_wh_total == 0 and discharge_wh_total == 0:
        return None
    # discharge / (charge - change) grows with the change, so the ends of the range give the ends of the answer.
    net_in_wh_max = charge_wh_total - stored_change_wh_min
    net_in_wh_min = charge_wh_total - stored_change_wh_max
    if net_in_wh_max <= 0:
        return None
    lowest = Fraction(discharge_wh_total, net_in_wh_max)
    highest = Fraction(discharge_wh_total, net_in_wh_min) if net_in_wh_min > 0 else None
    return lowest, highest


def efficiency_out_of_range(asset: StorageAsset, charge_wh_total: int, discharge_wh_total: int,
                            stored_change_wh: tuple[int, int]) -> str | None:
    """"low" or "high" when every stored change in the range puts the efficiency outside the asset's range."""
    implied = implied_efficiency_range(charge_wh_total, discharge_wh_total, *stored_change_wh)
    if implied is None:
        return None
    lowest, highest = implied
    if lowest > Fraction(asset.round_trip_efficiency_permille_max, 1000):
        return "high"
    if highest is not None and highest < Fraction(asset.round_trip_efficiency_permille_min, 1000):
        return "low"
    return None


def stored_change_range(asset: StorageAsset, stored_wh_start: int | None, stored_wh_end: int | None) -> tuple[int, int]:
    """The stored change over the period: exact when both ends are read, else the range the bounds allow."""
    floor_wh, capacity_wh = asset.state_of_charge_wh_min, asset.capacity_wh_usable
    starts = (floor_wh, capacity_wh) if stored_wh_start is None else (stored_wh_start, stored_wh_start)
    ends = (floor_wh, capacity_wh) if stored_wh_end is None else (stored_wh_end, stored_wh_end)
    return ends[0] - starts[1], ends[1] - starts[0]


def storage_check_counts(hourly_wh: Mapping[str, np.ndarray], assets: Sequence[StorageAsset],
                         limits: StorageCheckLimits,
                         stored_wh_by_asset: Mapping[str, np.ndarray] | None = None,
                         stored_wh_start_by_asset: Mapping[str, int] | None = None) -> dict[str, dict[str, int]]:
    """Each rule's failing intervals per asset (keyed by its discharge meter). An asset whose meters sent nothing
    is left to the completeness rules.

    `stored_wh_by_asset`: the state-of-charge series (Wh at each interval end) where reported;
    `stored_wh_start_by_asset`: the stored energy at the period's start where known (the previous period's last
    reading, or the asset's declared initial state in its first period)."""
    stored_series = stored_wh_by_asset or {}
    starts = stored_wh_start_by_asset or {}
    counts: dict[str, dict[str, int]] = {RULE_DISCHARGE_EXCEEDS_STORED: {}, RULE_STATE_OF_CHARGE_BOUNDS: {},
                                         RULE_ROUND_TRIP_EFFICIENCY: {}}
    for asset in assets:
        charge = hourly_wh.get(asset.charge_meter_id)
        discharge = hourly_wh.get(asset.discharge_meter_id)
        if charge is None or discharge is None or len(charge) != len(discharge):
            continue
        key = asset.discharge_meter_id
        start_wh = starts.get(asset.asset_id)
        # Unknown start: the most the battery could have held, so only a certain excess is flagged.
        counts[RULE_DISCHARGE_EXCEEDS_STORED][key] = discharge_exceeds_stored_count(
            charge, discharge, asset.capacity_wh_usable if start_wh is None else start_wh,
            asset.state_of_charge_wh_min, limits)
        stored = stored_series.get(asset.asset_id)
        end_wh = None
        if stored is not None and len(stored):
            counts[RULE_STATE_OF_CHARGE_BOUNDS][key] = state_of_charge_out_of_bounds_count(stored, asset, limits)
            end_wh = int(stored[-1])
        verdict = efficiency_out_of_range(asset, int(charge.sum()), int(discharge.sum()),
                                          stored_change_range(asset, start_wh, end_wh))
        counts[RULE_ROUND_TRIP_EFFICIENCY][key] = 0 if verdict is None else 1
    return counts
