"""VEE rules for batteries (docs/storage.md): energy out never exceeds energy in plus what was stored, the state of
charge stays within the asset's bounds, and the implied round-trip efficiency lies in the asset's range.

Pure and integer: inputs are Wh per interval (or per hour: the rules hold on any common grid) of the asset's
charge and discharge meters, and, where the battery management system reports it, the stored energy at each
interval end (`StateOfChargeSeries`). Outputs are counts of failing intervals, keyed by the asset's discharge meter
so the VEE report shows them beside the meter, and findings naming the meter, the interval and the value
(`storage_checks`).

With a reported state of charge, the cycle's hourly grid carries it at each hour end (the reading whose interval ends
there). The stored change across each hour must lie between `charge x min efficiency - discharge / min efficiency`
(every loss of the round trip taken on whichever side the hour has) and `charge - discharge` (a battery creates no
energy), within the state-of-charge margin plus the throughput tolerance. The level at the period's start is the one
the previous period reported at its end, where given (`stored_wh_start_by_asset`): the first hour's change is
checked from it. The discharge rule starts from it (else from the first reported level; before that, a full
battery), and the efficiency rule reads the stored change between the first and the last known level exactly.

Two rules check the battery against the rest of the campus's metering in each hour (with the meters' roles): energy
discharged beyond every metered use of the hour (tenants, shared, export), and energy charged in an hour no source
(grid import, generation) was metered. Settlement does not fail on either (docs/storage.md): the first is counted
with the period's losses, the second is charging energy of unknown source at no cost; these findings show them.

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
RULE_STATE_OF_CHARGE_CHANGE = "storage_state_of_charge_change"
RULE_DISCHARGE_WITHOUT_USE = "storage_discharge_without_use"
RULE_CHARGE_WITHOUT_SUPPLY = "storage_charge_without_supply"
USE_ROLES = frozenset({"tenant_consumption", "shared_consumption", "export"})
SUPPLY_ROLES = frozenset({"grid_import", "generation"})
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
NOT_REPORTED = -1
"""An hour end without a reading (a reported level is never negative: ingest refuses one)."""


@dataclass(frozen=True)
class StorageCheckLimits:
    tolerance_floor_wh: int = 1000
    """Meter rounding and the two meters' clocks: an excess below this is not a finding."""
    tolerance_permille: int = 10
    """Meter accuracy class (0.5 % each for two meters): an excess below this share of throughput passes; a
    state of charge within this share of capacity (plus the floor) is read as right."""


@dataclass(frozen=True)
class StateOfChargeSeries:
    """One asset's reported levels in time order: each reading's interval start (us since the epoch, UTC) and the
    Wh stored at that interval's end."""

    interval_start_us: np.ndarray
    interval_minutes: int
    stored_wh: np.ndarray

    def levels_at_hour_ends(self, period_start_us: int, hours: int) -> np.ndarray:
        """Wh stored at the end of each hour of the period; NOT_REPORTED where no reading ends there."""
        levels = np.full(hours, NOT_REPORTED, np.int64)
        end_us = self.interval_start_us + self.interval_minutes * MICROS_PER_MINUTE - period_start_us
        on_hour = (end_us % MICROS_PER_HOUR == 0) & (end_us > 0) & (end_us <= hours * MICROS_PER_HOUR)
        levels[end_us[on_hour] // MICROS_PER_HOUR - 1] = self.stored_wh[on_hour]
        return levels


@dataclass(frozen=True)
class StorageFinding:
    """One failing interval: the rule, the asset's discharge meter, the interval (start, minutes) and the value."""

    rule: str
    meter_id: str
    interval_start_us: int
    interval_minutes: int
    value_wh: int
    reason: str


@dataclass(frozen=True)
class StorageCheckResult:
    counts: dict[str, dict[str, int]]
    findings: list[StorageFinding]


def discharge_excess(charge_wh: np.ndarray, discharge_wh: np.ndarray, stored_wh_start: int, stored_wh_floor: int,
                     limits: StorageCheckLimits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(failing mask, discharged so far, allowed so far) at each interval end: discharged so far may not exceed the
    stored energy above the floor at the start plus everything charged so far, beyond the tolerance."""
    charged_wh = np.cumsum(charge_wh, dtype=np.int64)
    discharged_wh = np.cumsum(discharge_wh, dtype=np.int64)
    available_wh = stored_wh_start - stored_wh_floor + charged_wh
    allowed_wh = available_wh + (charged_wh + discharged_wh) * limits.tolerance_permille // 1000 + \
        limits.tolerance_floor_wh
    return discharged_wh > allowed_wh, discharged_wh, allowed_wh


def discharge_exceeds_stored_count(charge_wh: np.ndarray, discharge_wh: np.ndarray, stored_wh_start: int,
                                   stored_wh_floor: int, limits: StorageCheckLimits) -> int:
    """Intervals at whose end the energy discharged so far exceeds what was available: the stored energy above
    the floor at the start plus everything charged so far."""
    return int(np.count_nonzero(discharge_excess(charge_wh, discharge_wh, stored_wh_start, stored_wh_floor,
                                                 limits)[0]))


def state_of_charge_margin_wh(asset: StorageAsset, limits: StorageCheckLimits) -> int:
    return asset.capacity_wh_usable * limits.tolerance_permille // 1000 + limits.tolerance_floor_wh


def state_of_charge_out_of_bounds(stored_wh: np.ndarray, asset: StorageAsset, limits: StorageCheckLimits) -> np.ndarray:
    """Mask of readings of stored energy below the floor or above the usable capacity, beyond the margin."""
    margin_wh = state_of_charge_margin_wh(asset, limits)
    low = stored_wh < asset.state_of_charge_wh_min - margin_wh
    high = stored_wh > asset.capacity_wh_usable + margin_wh
    return np.asarray(low | high)


def state_of_charge_out_of_bounds_count(stored_wh: np.ndarray, asset: StorageAsset,
                                        limits: StorageCheckLimits) -> int:
    """Interval-end readings of stored energy below the floor or above the usable capacity."""
    return int(np.count_nonzero(state_of_charge_out_of_bounds(stored_wh, asset, limits)))


def stored_change_bounds(charge_wh: np.ndarray, discharge_wh: np.ndarray, asset: StorageAsset,
                         limits: StorageCheckLimits) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) plausible change of stored energy in each interval, tolerance included: at least the
    charge at the lowest efficiency less the discharge grossed up by it (every loss on either side), at most the
    charge less the discharge (nothing created)."""
    efficiency_permille = asset.round_trip_efficiency_permille_min
    kept_wh_min = charge_wh * efficiency_permille // 1000
    # Ceiling division: the most the store can have lost to deliver the discharge.
    drawn_wh_max = -((-discharge_wh * 1000) // efficiency_permille)
    tolerance_wh = state_of_charge_margin_wh(asset, limits) + (charge_wh + discharge_wh) * limits.tolerance_permille \
        // 1000
    return kept_wh_min - drawn_wh_max - tolerance_wh, charge_wh - discharge_wh + tolerance_wh


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
                         stored_wh_start_by_asset: Mapping[str, int] | None = None) -> dict[str, dict[str, int]]:
    """Each rule's failing intervals per asset, without a reported state of charge (`storage_checks`)."""
    return storage_checks(hourly_wh, assets, limits, 0, {}, stored_wh_start_by_asset).counts


def storage_checks(hourly_wh: Mapping[str, np.ndarray], assets: Sequence[StorageAsset], limits: StorageCheckLimits,
                   period_start_us: int, state_of_charge: Mapping[str, StateOfChargeSeries],
                   stored_wh_start_by_asset: Mapping[str, int] | None = None,
                   roles: Mapping[str, str] | None = None) -> StorageCheckResult:
    """Each rule's failing intervals per asset (keyed by its discharge meter; the charge rule by its charge meter)
    and a finding for each. `hourly_wh` holds each meter's Wh per hour of the period starting at
    `period_start_us`; an asset whose meters sent nothing is left to the completeness rules.

    `state_of_charge`: asset id -> its reported levels, where reported; `stored_wh_start_by_asset`: the stored
    energy at the period's start where known otherwise (the previous period's last reported level, or the asset's
    declared initial state); `roles`: meter id -> role, for the rules against the campus's uses and supply."""
    starts = stored_wh_start_by_asset or {}
    counts: dict[str, dict[str, int]] = {RULE_DISCHARGE_EXCEEDS_STORED: {}, RULE_STATE_OF_CHARGE_BOUNDS: {},
                                         RULE_ROUND_TRIP_EFFICIENCY: {}, RULE_STATE_OF_CHARGE_CHANGE: {}}
    if roles is not None:
        counts |= {RULE_DISCHARGE_WITHOUT_USE: {}, RULE_CHARGE_WITHOUT_SUPPLY: {}}
    findings: list[StorageFinding] = []
    for asset in assets:
        charge = hourly_wh.get(asset.charge_meter_id)
        discharge = hourly_wh.get(asset.discharge_meter_id)
        if charge is None or discharge is None or len(charge) != len(discharge):
            continue
        checker = _AssetCheck(asset, limits, period_start_us, charge, discharge)
        series = state_of_charge.get(asset.asset_id)
        levels = np.full(len(charge), NOT_REPORTED, np.int64) if series is None else \
            series.levels_at_hour_ends(period_start_us, len(charge))
        if series is not None:
            checker.bounds(series)
            checker.changes(levels, starts.get(asset.asset_id))
        checker.discharge(levels, starts.get(asset.asset_id))
        checker.efficiency(levels, starts.get(asset.asset_id))
        if roles is not None:
            checker.campus_hours(_role_sum(hourly_wh, roles, USE_ROLES, charge.size),
                                 _role_sum(hourly_wh, roles, SUPPLY_ROLES, charge.size))
        for rule, count in checker.counts.items():
            meter_id = asset.charge_meter_id if rule == RULE_CHARGE_WITHOUT_SUPPLY else asset.discharge_meter_id
            counts[rule][meter_id] = count
        findings += checker.findings
    return StorageCheckResult(counts, findings)


def _role_sum(hourly_wh: Mapping[str, np.ndarray], roles: Mapping[str, str], wanted: frozenset[str],
              hours: int) -> np.ndarray:
    """Wh per hour of the meters with a wanted role (a meter that sent nothing adds nothing)."""
    total = np.zeros(hours, np.int64)
    for meter_id, role in roles.items():
        series = hourly_wh.get(meter_id)
        if role in wanted and series is not None and series.size == hours:
            total += series.astype(np.int64)
    return total


class _AssetCheck:
    """The rules on one asset's hours; each rule notes its count and a finding per failing interval."""

    def __init__(self, asset: StorageAsset, limits: StorageCheckLimits, period_start_us: int, charge: np.ndarray,
                 discharge: np.ndarray) -> None:
        self.asset = asset
        self.limits = limits
        self.period_start_us = period_start_us
        self.charge = charge
        self.discharge_wh = discharge
        self.counts: dict[str, int] = {}
        self.findings: list[StorageFinding] = []

    def _hour_finding(self, rule: str, hour: int, value_wh: int, reason: str, meter_id: str | None = None) -> None:
        start_us = self.period_start_us + hour * MICROS_PER_HOUR
        self.findings.append(StorageFinding(rule, meter_id or self.asset.discharge_meter_id, start_us, 60, value_wh,
                                            reason))

    def campus_hours(self, use_wh: np.ndarray, supply_wh: np.ndarray) -> None:
        """Discharge beyond the hour's metered uses (tenants, shared, export): settlement counts it with the
        losses; every Wh of an hour with no use at all is flagged, a small excess only beyond the tolerance.
        Charge in an hour with no metered supply: settlement keeps it as energy of unknown source."""
        unused_wh = np.maximum(self.discharge_wh - use_wh, 0)
        tolerance_wh = self.discharge_wh * self.limits.tolerance_permille // 1000 + self.limits.tolerance_floor_wh
        failing = np.flatnonzero((unused_wh > 0) & ((use_wh == 0) | (unused_wh > tolerance_wh)))
        self.counts[RULE_DISCHARGE_WITHOUT_USE] = int(failing.size)
        for hour in failing.tolist():
            self._hour_finding(RULE_DISCHARGE_WITHOUT_USE, hour, int(unused_wh[hour]),
                               f"{int(unused_wh[hour])} Wh of the {int(self.discharge_wh[hour])} Wh discharged had no "
                               f"metered use (tenants, shared and export metered {int(use_wh[hour])} Wh): "
                               "settlement counts it with the battery's losses")
        failing = np.flatnonzero((self.charge > 0) & (supply_wh == 0))
        self.counts[RULE_CHARGE_WITHOUT_SUPPLY] = int(failing.size)
        for hour in failing.tolist():
            self._hour_finding(RULE_CHARGE_WITHOUT_SUPPLY, hour, int(self.charge[hour]),
                               f"{int(self.charge[hour])} Wh charged in an hour with no metered grid import or "
                               "generation: settlement keeps it as energy of unknown source at no cost",
                               self.asset.charge_meter_id)

    def bounds(self, series: StateOfChargeSeries) -> None:
        failing = np.flatnonzero(state_of_charge_out_of_bounds(series.stored_wh, self.asset, self.limits))
        self.counts[RULE_STATE_OF_CHARGE_BOUNDS] = int(failing.size)
        floor_wh, capacity_wh = self.asset.state_of_charge_wh_min, self.asset.capacity_wh_usable
        for index in failing.tolist():
            stored_wh = int(series.stored_wh[index])
            self.findings.append(StorageFinding(
                RULE_STATE_OF_CHARGE_BOUNDS, self.asset.discharge_meter_id, int(series.interval_start_us[index]),
                series.interval_minutes, stored_wh,
                f"state of charge {stored_wh} Wh at the interval's end is outside [{floor_wh}, {capacity_wh}] Wh "
                f"(margin {state_of_charge_margin_wh(self.asset, self.limits)} Wh)"))

    def changes(self, levels: np.ndarray, start_wh: int | None) -> None:
        """Each hour whose start and end levels are both known (the first hour's start: the level at the period's
        start, where known)."""
        low_wh, high_wh = stored_change_bounds(self.charge, self.discharge_wh, self.asset, self.limits)
        before = np.empty(levels.size, np.int64)
        before[0] = NOT_REPORTED if start_wh is None else start_wh
        before[1:] = levels[:-1]
        change_wh = levels - before
        both = (levels != NOT_REPORTED) & (before != NOT_REPORTED)
        failing = np.flatnonzero(both & ((change_wh < low_wh) | (change_wh > high_wh)))
        self.counts[RULE_STATE_OF_CHARGE_CHANGE] = int(failing.size)
        for hour in failing.tolist():
            self._hour_finding(
                RULE_STATE_OF_CHARGE_CHANGE, hour, int(change_wh[hour]),
                f"stored energy changed by {int(change_wh[hour])} Wh while {int(self.charge[hour])} Wh were charged "
                f"and {int(self.discharge_wh[hour])} Wh discharged: plausible [{int(low_wh[hour])}, "
                f"{int(high_wh[hour])}] Wh")

    def discharge(self, levels: np.ndarray, start_wh: int | None) -> None:
        """From the period's start (declared start, else a full battery, so only a certain excess is flagged) up to
        the first reported level, and from that level on."""
        reported = np.flatnonzero(levels != NOT_REPORTED)
        first = int(reported[0]) if reported.size else levels.size - 1
        pieces = [(0, first + 1, self.asset.capacity_wh_usable if start_wh is None else start_wh)]
        if reported.size:
            pieces.append((first + 1, levels.size, int(levels[first])))
        count = 0
        for lo, hi, stored_wh_start in pieces:
            failing, discharged_wh, allowed_wh = discharge_excess(
                self.charge[lo:hi], self.discharge_wh[lo:hi], stored_wh_start, self.asset.state_of_charge_wh_min,
                self.limits)
            for index in np.flatnonzero(failing).tolist():
                self._hour_finding(RULE_DISCHARGE_EXCEEDS_STORED, lo + index, int(discharged_wh[index]),
                                   f"{int(discharged_wh[index])} Wh discharged since a stored {stored_wh_start} Wh, "
                                   f"more than the {int(allowed_wh[index])} Wh available")
            count += int(np.count_nonzero(failing))
        self.counts[RULE_DISCHARGE_EXCEEDS_STORED] = count

    def efficiency(self, levels: np.ndarray, start_wh: int | None) -> None:
        """Between the first and the last known level when there are two (the level at the period's start, where
        known, is the first: hour -1's end), else over the period."""
        reported = np.flatnonzero(levels != NOT_REPORTED)
        points = ([(-1, start_wh)] if start_wh is not None else []) + \
            [(int(index), int(levels[index])) for index in reported.tolist()]
        if len(points) >= 2:
            (first, first_wh), (last, last_wh) = points[0], points[-1]
            charge_wh, discharge_wh = int(self.charge[first + 1:last + 1].sum()), \
                int(self.discharge_wh[first + 1:last + 1].sum())
            change = stored_change_range(self.asset, first_wh, last_wh)
            hour, hours = first + 1, last - first
        else:
            end_wh = int(levels[reported[-1]]) if reported.size else None
            charge_wh, discharge_wh = int(self.charge.sum()), int(self.discharge_wh.sum())
            change = stored_change_range(self.asset, start_wh, end_wh)
            hour, hours = 0, levels.size
        verdict = efficiency_out_of_range(self.asset, charge_wh, discharge_wh, change)
        self.counts[RULE_ROUND_TRIP_EFFICIENCY] = 0 if verdict is None else 1
        if verdict is not None:
            start_us = self.period_start_us + hour * MICROS_PER_HOUR
            self.findings.append(StorageFinding(
                RULE_ROUND_TRIP_EFFICIENCY, self.asset.discharge_meter_id, start_us, hours * 60, discharge_wh,
                f"{discharge_wh} Wh out of {charge_wh} Wh in with a stored change in [{change[0]}, {change[1]}] Wh: "
                f"round-trip efficiency too {verdict} for [{self.asset.round_trip_efficiency_permille_min}, "
                f"{self.asset.round_trip_efficiency_permille_max}] permille"))
