"""A campus battery valued as an ISO energy storage resource in the shadow run (docs/storage.md): arbitrage against
the node's prices, peak shaving against the demand charge, and discharge in coincident peaks, under the guardrails.

Guardrails: the energy reserved by storage services for tenants' backup is never offered (R-RESERVE: the stored
energy stays at or above floor + reserved), the battery makes at most `cycles_per_day_max` full cycles of its
market range per local day (R-CYCLES), and it charges or discharges at most its rated power.

Arbitrage, exactly: on a grid of whole intervals at rated power, one interval of charge draws `power x interval` Wh
and stores `power x interval x efficiency` Wh (all losses counted on the way in, at the middle of the asset's
range), one interval of discharge delivers that stored amount. Each local day starts and ends at the bottom of the
market range (energy bought is never left in the battery), and a dynamic programme over (stored steps, steps
discharged so far) picks the most valuable schedule of the day. Integer micro-USD throughout (amounts rounded once
per interval, half to even).

Peak shaving: the lowest demand level the battery could have held the site's grid draw to, where in every run of
intervals above it the excess fits the power rating and the market range (recharged between runs), and the demand
charge saved. Coincident peaks: discharge at rated power (no more than the site's draw) in each system peak
interval, and the transmission charge saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import numpy as np

from settlement.money import energy_amount_usd_micros, usd_to_micros

UNREACHABLE = -(2**62)


@dataclass(frozen=True)
class StorageResource:
    """The battery as the market sees it; energies in Wh, power in kW, efficiency in per mille."""

    asset_id: str
    capacity_wh_usable: int
    power_kw_rated: int
    round_trip_efficiency_permille: int
    stored_wh_floor: int = 0
    reserved_wh: int = 0
    """Backup energy of storage services: kept stored at all times (R-RESERVE)."""
    cycles_per_day_max: int = 1

    @property
    def market_wh(self) -> int:
        return max(self.capacity_wh_usable - self.stored_wh_floor - self.reserved_wh, 0)


@dataclass(frozen=True)
class ArbitrageResult:
    value_usd_micros: int
    charge_wh: int
    discharge_wh: int
    schedule: tuple[int, ...]
    """Per interval: +1 charge, -1 discharge, 0 idle."""


def step_wh(resource: StorageResource, interval: timedelta) -> tuple[int, int]:
    """(grid Wh one interval of charge draws, Wh it stores and one interval of discharge delivers)."""
    draw_wh = resource.power_kw_rated * int(interval.total_seconds()) * 1000 // 3600
    stored_wh = draw_wh * resource.round_trip_efficiency_permille // 1000
    return draw_wh, stored_wh


def arbitrage_day(resource: StorageResource, interval: timedelta,
                  prices_usd_per_mwh: Sequence[Decimal]) -> ArbitrageResult:
    """The most valuable schedule of one day's prices; see the module doc."""
    draw_wh, stored_wh = step_wh(resource, interval)
    steps = resource.market_wh // stored_wh if stored_wh else 0
    if steps == 0 or not prices_usd_per_mwh:
        return ArbitrageResult(0, 0, 0, tuple(0 for _ in prices_usd_per_mwh))
    discharged_max = steps * resource.cycles_per_day_max
    # value[s, d]: best value with s steps stored and d steps discharged so far.
    value = np.full((steps + 1, discharged_max + 1), UNREACHABLE, dtype=np.int64)
    value[0, 0] = 0
    choices = []
    for price in prices_usd_per_mwh:
        cost = energy_amount_usd_micros(draw_wh, price)
        revenue = energy_amount_usd_micros(stored_wh, price)
        idle = value
        charge = np.full_like(value, UNREACHABLE)
        charge[1:, :] = np.where(value[:-1, :] > UNREACHABLE, value[:-1, :] - cost, UNREACHABLE)
        discharge = np.full_like(value, UNREACHABLE)
        discharge[:-1, 1:] = np.where(value[1:, :-1] > UNREACHABLE, value[1:, :-1] + revenue, UNREACHABLE)
        stacked = np.stack([idle, charge, discharge])
        # Ties go to idle, then charge: the schedule does nothing it need not.
        choice = np.argmax(stacked, axis=0)
        value = np.take_along_axis(stacked, choice[None], axis=0)[0]
        choices.append(choice)
    best_d = int(np.argmax(value[0, :]))
    schedule: list[int] = []
    state_s, state_d = 0, best_d
    for choice in reversed(choices):
        action = int(choice[state_s, state_d])
        if action == 1:
            schedule.append(1)
            state_s -= 1
        elif action == 2:
            schedule.append(-1)
            state_s += 1
            state_d -= 1
        else:
            schedule.append(0)
    schedule.reverse()
    charge_wh = draw_wh * schedule.count(1)
    discharge_wh = stored_wh * schedule.count(-1)
    return ArbitrageResult(int(value[0, best_d]), charge_wh, discharge_wh, tuple(schedule))


def arbitrage_period(resource: StorageResource, interval: timedelta, starts_utc: Sequence[datetime],
                     prices_usd_per_mwh: Sequence[Decimal], time_zone: str) -> ArbitrageResult:
    """Arbitrage day by local day (the cycle limit is per day) over the period's intervals."""
    assert len(starts_utc) == len(prices_usd_per_mwh), "one price per interval"
    zone = ZoneInfo(time_zone)
    days: dict[date, list[int]] = {}
    for index, start in enumerate(starts_utc):
        days.setdefault(start.astimezone(zone).date(), []).append(index)
    total, charge_wh, discharge_wh = 0, 0, 0
    schedule = [0] * len(starts_utc)
    for indices in days.values():
        day = arbitrage_day(resource, interval, [prices_usd_per_mwh[index] for index in indices])
        total += day.value_usd_micros
        charge_wh += day.charge_wh
        discharge_wh += day.discharge_wh
        for index, action in zip(indices, day.schedule, strict=True):
            schedule[index] = action
    return ArbitrageResult(total, charge_wh, discharge_wh, tuple(schedule))


@dataclass(frozen=True)
class PeakShaving:
    demand_kw_max_before: int
    demand_kw_max_after: int
    avoided_usd_micros: int


def shaved_peak_kw(resource: StorageResource, interval: timedelta, grid_import_wh: Sequence[int]) -> int:
    """The lowest whole kW level the site's draw could have been held to (see the module doc)."""
    seconds = int(interval.total_seconds())
    demand_kw = [energy_wh * 3600 // (seconds * 1000) for energy_wh in grid_import_wh]
    if not demand_kw:
        return 0

    def holds(level_kw: int) -> bool:
        run_wh = 0
        for kw in demand_kw:
            excess_kw = kw - level_kw
            if excess_kw > resource.power_kw_rated:
                return False
            if excess_kw > 0:
                run_wh += excess_kw * seconds * 1000 // 3600
                if run_wh > resource.market_wh:
                    return False
            else:
                run_wh = 0
        return True

    low, high = max(max(demand_kw) - resource.power_kw_rated, 0), max(demand_kw)
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def peak_shaving(resource: StorageResource, interval: timedelta, grid_import_wh: Sequence[int],
                 demand_rate_usd_per_kw: Decimal) -> PeakShaving:
    seconds = int(interval.total_seconds())
    before_kw = max((energy_wh * 3600 // (seconds * 1000) for energy_wh in grid_import_wh), default=0)
    after_kw = shaved_peak_kw(resource, interval, grid_import_wh)
    return PeakShaving(before_kw, after_kw, usd_to_micros((before_kw - after_kw) * demand_rate_usd_per_kw))


def coincident_peak_avoided_usd_micros(resource: StorageResource, interval: timedelta,
                                       grid_import_wh_at_peaks: Sequence[int], peak_count: int,
                                       transmission_rate_usd_per_kw_year: Decimal) -> int:
    """Discharge at rated power (no more than the draw) in each system peak interval: the kW saved, averaged over
    the `peak_count` peaks that set the charge, times the annual rate (ERCOT 4CP: one of four)."""
    if peak_count <= 0:
        return 0
    seconds = int(interval.total_seconds())
    reduced_kw = sum(min(resource.power_kw_rated, energy_wh * 3600 // (seconds * 1000))
                     for energy_wh in grid_import_wh_at_peaks)
    exact = Decimal(reduced_kw) / peak_count * transmission_rate_usd_per_kw_year
    return usd_to_micros(exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))
