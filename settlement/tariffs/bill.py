"""Bill one load series against a URDB tariff, month by month (pure; exact Decimal, one rounding per line).

Conventions, written down:
- A month is a local calendar month of the tariff's zone; hours and weekends are local wall-clock time, so DST
  needs no special case (see `settlement.tariffs.calendar`). Holidays count as weekend when `holidays_as_weekend`.
- Demand is the highest average kW over the tariff's demand window (`demandwindow`, minutes) in each period and
  month; without a window, over the data's own intervals (energy / interval length). The window must be a
  multiple of the data's interval (30 or 60 minutes on 15- or 5-minute data; 15 minutes on hourly data is
  refused when the tariff bills demand: the data cannot show a 15-minute peak; a tariff without demand charges,
  ratchet or kWh/kW tiers bills the same either way, and then reports demand on the data's intervals). Two ways to measure it (`BillOptions.demand_window_kind`):
  "block" (the default): fixed blocks aligned to the local clock (a 30-minute window is :00-:30 and :30-:00),
  demand = the block's energy / the window's length, a missing interval counting as no energy; the block's TOU
  period is that of its clock hour (a window divides the hour, so it lies in one). "rolling": a window ending at
  every interval of the month (the interval and the ones before it within the window), its period that of the
  interval it ends with; energy before the month's first interval does not count. Integer arithmetic throughout:
  demand in load units per hour = the window's energy x (60 / window minutes), exact.
- Energy tiers (default "shared"): the month's total fills the tiers, and each TOU period takes the tier mix in
  proportion to its energy. "chronological": intervals fill the tiers in time order, each at its own period's
  rates. Tier bounds in `kWh daily` units scale by the days billed; `kWh/kW` by the month's peak kW.
- Days billed = local dates with data in the month (scales $/day charges and daily tiers).
- Proration (`BillOptions.month_days`, settlement only): a month billed for fewer days than the billing month
  has (a tenant moving in or out, a contract segment) gets its $/month and $/year fixed charge, its monthly
  minimum and every demand charge multiplied by days billed / days in the month, exactly, before their one
  rounding; demand is the peak within the days billed. Without `month_days` (the calculator) nothing is
  prorated.
- Ratchet: flat billing demand = max(month peak, lookbackPercent x highest peak of the look-back months).
- Minimum charge: a monthly minimum tops the month's energy + demand + fixed charges up to it; an annual
  minimum tops up the last billed month of each calendar year.
- Export (`LoadSeries.export_units`) is billed by the tariff's metering option (`settlement.tariffs.export_credit`): net
  metering nets it per period and month, net billing and buy-all-sell-all credit it at `sell`; credits are
  `export_credit` lines with negative amounts. A month without export is billed exactly as without the option.
  A monthly or annual minimum tops up the net of charges and credits.
- Rounding: each determinant line (energy per TOU period, demand per period, fixed, minimum) is computed exactly,
  then rounded once to micro-USD with ROUND_HALF_EVEN; component and month totals are sums of those lines.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from typing import TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from common.errors import BadInput
from settlement.money import usd_to_micros
from settlement.tariffs.calendar import LocalCalendar, local_calendar, month_key_label
from settlement.tariffs.charges import Proration
from settlement.tariffs.export_credit import (
    METERING_NET_METERING,
    METERING_NONE,
    US_PER_HOUR,
    hour_keys,
    interval_flows,
    net_by_period,
)
from settlement.tariffs.tiers import overlap_in_tiers, tier_segments, tiered_amount_usd
from settlement.tariffs.urdb import Tier, UrdbTariff

TIER_FILL_SHARED = "shared"
TIER_FILL_CHRONOLOGICAL = "chronological"
DEMAND_WINDOW_BLOCK = "block"
DEMAND_WINDOW_ROLLING = "rolling"
DEMAND_WINDOW_KINDS = (DEMAND_WINDOW_BLOCK, DEMAND_WINDOW_ROLLING)
_US_PER_MINUTE = 60_000_000
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class LoadSeries:
    """Sorted, unique interval starts (µs since epoch, UTC), integer energy in 1/`units_per_kwh` kWh, and each
    interval's length in minutes (a divisor of 60). `energy_units` is imported from the grid; `export_units`
    (same unit, same intervals) is exported to it, or None when nothing is exported."""

    starts_utc_us: npt.NDArray[np.int64]
    energy_units: npt.NDArray[np.int64]
    interval_minutes: npt.NDArray[np.int64]
    units_per_kwh: int
    export_units: npt.NDArray[np.int64] | None = None


@dataclass(frozen=True)
class BillOptions:
    time_zone: ZoneInfo
    holidays: Collection[date] = ()
    holidays_as_weekend: bool = True
    tier_fill: str = TIER_FILL_SHARED
    history_peaks_kw: Mapping[int, Decimal] = field(default_factory=dict)  # month_key -> peak before the data
    month_days: Mapping[int, int] = field(default_factory=dict)  # month_key -> days of the billing month
    demand_window_kind: str = DEMAND_WINDOW_BLOCK  # how a tariff's demandwindow is measured (module docstring)


@dataclass(frozen=True)
class Determinant:
    """One billed determinant of a month, rounded once (ROUND_HALF_EVEN) to micro-USD.

    component: energy | export_credit | demand_tou | demand_flat | demand_coincident | fixed | minimum. `period` is
    the TOU period (-1 when none); `quantity` is kWh (energy billed, export credited), kW (demand), days or 1
    (fixed, unit "day"/"month"/"year"), or 1 (minimum, unit "USD"). An export credit's amount is negative.
    `proration` is set on a monthly charge billed for part of its month (see the module docstring)."""

    component: str
    period: int
    quantity: Decimal
    unit: str
    amount_usd_micros: int
    proration: Proration | None = None


@dataclass(frozen=True)
class MonthBill:
    month: str
    month_key: int
    days_billed: int
    energy_kwh: Decimal
    peak_kw: Decimal
    billing_demand_kw: Decimal
    energy_kwh_by_period: dict[int, Decimal]
    demand_kw_by_period: dict[int, Decimal]
    determinants: tuple[Determinant, ...]
    export_kwh: Decimal = Decimal(0)

    def component_usd_micros(self, component: str) -> int:
        return sum(line.amount_usd_micros for line in self.determinants if line.component == component)

    @property
    def energy_charge_usd_micros(self) -> int:
        return self.component_usd_micros("energy")

    @property
    def export_credit_usd_micros(self) -> int:
        """Zero or negative."""
        return self.component_usd_micros("export_credit")

    @property
    def demand_tou_charge_usd_micros(self) -> int:
        return self.component_usd_micros("demand_tou")

    @property
    def demand_flat_charge_usd_micros(self) -> int:
        return self.component_usd_micros("demand_flat")

    @property
    def demand_coincident_charge_usd_micros(self) -> int:
        return self.component_usd_micros("demand_coincident")

    @property
    def fixed_charge_usd_micros(self) -> int:
        return self.component_usd_micros("fixed")

    @property
    def minimum_charge_usd_micros(self) -> int:
        return self.component_usd_micros("minimum")

    @property
    def total_usd_micros(self) -> int:
        return sum(line.amount_usd_micros for line in self.determinants)


def bill_load(tariff: UrdbTariff, load: LoadSeries, options: BillOptions) -> list[MonthBill]:
    """One bill per local month present in the load, in time order."""
    calendar = local_calendar(load.starts_utc_us, options.time_zone, options.holidays, options.holidays_as_weekend)
    peaks: dict[int, Decimal] = dict(options.history_peaks_kw)
    export = load.export_units if load.export_units is not None else np.zeros_like(load.energy_units)
    assert export.shape == load.energy_units.shape, "export must be on the import's intervals"
    offset_us = _offset_us(load.starts_utc_us, options.time_zone)
    hour_key = hour_keys(load.starts_utc_us, offset_us)
    window_minutes = _demand_window(tariff, load, options.demand_window_kind)
    bills: list[MonthBill] = []
    with localcontext() as context:
        context.prec = 50  # tier shares divide; 50 digits keep the error far below the micro-USD rounding
        for month_key, mask in _month_rows(calendar.month_key):
            demand = _month_demand(window_minutes, options.demand_window_kind, load, calendar, mask, offset_us)
            bill = _bill_month(tariff, load, _MonthFlows(export[mask], hour_key[mask], demand), calendar, mask,
                               month_key, peaks, options.tier_fill, options.month_days.get(month_key))
            peaks[month_key] = bill.peak_kw
            bills.append(bill)
    return _apply_annual_minimum(tariff, bills)


_Rows: TypeAlias = "slice | npt.NDArray[np.bool_]"
"""A month's intervals: a slice when the local months follow each other in time (the usual case), else a mask."""


def _month_rows(month_key: npt.NDArray[np.int32]) -> list[tuple[int, _Rows]]:
    """Each local month present, in order, with its intervals. Months run back only where a zone sets its clock
    back across midnight at a month's end; then each month is picked out by a mask."""
    steps = np.diff(month_key)
    if (steps < 0).any():
        return [(key, month_key == key) for key in sorted(set(month_key.tolist()))]
    bounds = [0, *(np.flatnonzero(steps) + 1).tolist(), month_key.size]
    return [(int(month_key[first]), slice(first, end)) for first, end in itertools.pairwise(bounds) if end > first]


def _offset_us(starts_utc_us: npt.NDArray[np.int64], time_zone: ZoneInfo) -> int:
    if starts_utc_us.size == 0:
        return 0
    # Only the sub-hour part of the offset is used (see `hour_keys`), and no zone has changed that part in decades.
    first = datetime(1970, 1, 1, tzinfo=UTC) + int(starts_utc_us[0]) * _ONE_US
    offset = time_zone.utcoffset(first)
    return 0 if offset is None else offset // _ONE_US


@dataclass(frozen=True)
class _Demand:
    """A month's demand measurements: load units per hour, and the local hour and weekend flag each is billed at."""

    units_per_hour: npt.NDArray[np.int64]
    hour: npt.NDArray[np.int64]
    is_weekend: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _MonthFlows:
    """The month's export (load units) and local-hour keys, aligned with its import intervals, and its demand."""

    export_units: npt.NDArray[np.int64]
    hour_key: npt.NDArray[np.int64]
    demand: _Demand


def _demand_window(tariff: UrdbTariff, load: LoadSeries, kind: str) -> int | None:
    """The window demand is measured over: the tariff's, when the load's intervals divide it. A window the data
    cannot show is refused when the tariff bills demand (demand charges, a ratchet, kWh/kW tiers); otherwise it
    changes no charge, and demand is reported on the data's own intervals."""
    window = tariff.demand_window_minutes
    if kind not in DEMAND_WINDOW_KINDS:
        raise BadInput("demand_window", None, "demand_window", f"{kind!r} is not one of {DEMAND_WINDOW_KINDS}")
    if window is None or load.interval_minutes.size == 0:
        return window
    lengths = sorted(set(load.interval_minutes.tolist()))
    record = f"rate {tariff.label or tariff.name or '(no label)'}"
    bills_demand = bool(tariff.demand_periods or tariff.flat_demand_periods or tariff.coincident_periods) or \
        any(tier.unit.startswith("kWh/kW") for tiers in tariff.energy_periods for tier in tiers)
    for minutes in lengths:
        if window % minutes:
            if not bills_demand:
                return None
            raise BadInput(record, None, "demandwindow", f"a {window}-minute demand window is not a multiple of the "
                           f"load's {minutes}-minute intervals: the data cannot show the tariff's demand")
    if kind == DEMAND_WINDOW_ROLLING and len(lengths) > 1:
        raise BadInput(record, None, "demandwindow", f"a rolling demand window needs one interval length, the load "
                       f"has {lengths} minutes")
    return window


def _month_demand(window_minutes: int | None, kind: str, load: LoadSeries, calendar: LocalCalendar,
                  mask: _Rows, offset_us: int) -> _Demand:
    energy = load.energy_units[mask]
    minutes = load.interval_minutes[mask]
    hours, weekend = calendar.hour[mask].astype(np.int64), calendar.is_weekend[mask]
    if window_minutes is None or energy.size == 0:
        return _Demand(energy * (60 // minutes), hours, weekend)  # exact: minutes divide 60
    per_hour = 60 // window_minutes  # exact: the window divides 60
    starts = load.starts_utc_us[mask]
    if kind == DEMAND_WINDOW_ROLLING:
        step_us = int(minutes[0]) * _US_PER_MINUTE
        position = (starts - starts[0]) // step_us  # steps are whole intervals (one length, checked)
        dense = np.zeros(int(position[-1]) + 1, dtype=np.int64)
        dense[position] = energy
        cumulative = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(dense, dtype=np.int64)))
        span = window_minutes // int(minutes[0])
        # A window ending at a missing interval holds a subset of the one ending at the interval before it, so the
        # windows ending at present intervals contain every maximum.
        window_units = cumulative[position + 1] - cumulative[np.maximum(position + 1 - span, 0)]
        return _Demand(window_units * per_hour, hours, weekend)
    block = (starts + offset_us % US_PER_HOUR) // (window_minutes * _US_PER_MINUTE)
    first = np.flatnonzero(np.concatenate(([True], block[1:] != block[:-1])))
    window_units = np.add.reduceat(energy, first)
    return _Demand(window_units * per_hour, hours[first], weekend[first])


def _bill_month(tariff: UrdbTariff, load: LoadSeries, flows: _MonthFlows, calendar: LocalCalendar,
                mask: _Rows, month_key: int, peaks: Mapping[int, Decimal], tier_fill: str,
                month_days: int | None) -> MonthBill:
    energy = load.energy_units[mask]
    month0 = int(calendar.month0[mask][0])
    hours, weekend = calendar.hour[mask].astype(np.int64), calendar.is_weekend[mask]
    demand = flows.demand
    days = _distinct_count(calendar.day_ordinal[mask])
    proration = Proration(days, month_days) if month_days is not None and days < month_days else None
    scale = Decimal(load.units_per_kwh)
    peak_kw = Decimal(int(demand.units_per_hour.max())) / scale if energy.size else Decimal(0)
    energy_period = _periods(tariff.energy_weekday, tariff.energy_weekend, month0, hours, weekend)
    energy_by_period = _group_sums(energy_period, energy, scale)
    lines = _energy_lines(tariff, energy_period, energy, flows, scale, energy_by_period, days, peak_kw, tier_fill)
    demand_by_period = _group_max(_periods(tariff.demand_weekday, tariff.demand_weekend, month0, demand.hour,
                                           demand.is_weekend), demand.units_per_hour, scale)
    lines += _demand_lines("demand_tou", demand_by_period, tariff.demand_periods, proration)
    coincident_period = _periods(tariff.coincident_schedule, tariff.coincident_schedule, month0, demand.hour,
                                 demand.is_weekend)
    lines += _demand_lines("demand_coincident", _group_max(coincident_period, demand.units_per_hour, scale),
                           tariff.coincident_periods, proration)
    billing_kw = max(peak_kw, _ratchet_kw(tariff, month_key, peaks))
    flat_period = tariff.flat_demand_months[month0]
    if flat_period >= 0:
        lines += _demand_lines("demand_flat", {flat_period: billing_kw}, tariff.flat_demand_periods,
                               proration)
    lines += _fixed_and_minimum_lines(tariff, days, proration, sum(line.amount_usd_micros for line in lines))
    return MonthBill(month_key_label(month_key), month_key, days, sum(energy_by_period.values(), Decimal(0)),
                     peak_kw, billing_kw, energy_by_period, demand_by_period, tuple(lines),
                     Decimal(int(flows.export_units.sum(dtype=np.int64))) / scale)


def _energy_lines(tariff: UrdbTariff, period: npt.NDArray[np.int64], energy: npt.NDArray[np.int64],
                  flows: _MonthFlows, scale: Decimal, energy_by_period: Mapping[int, Decimal], days: int,
                  peak_kw: Decimal, tier_fill: str) -> list[Determinant]:
    """Energy charge lines per TOU period, then export credit lines per period (metering option decides)."""
    credited_by_period: dict[int, Decimal]
    if tariff.metering == METERING_NONE or not flows.export_units.any():
        billed, billed_by_period, credited_by_period = energy, dict(energy_by_period), {}
    elif tariff.metering == METERING_NET_METERING:
        # Netting is over the month, so there is no time order left to fill tiers by: shared fill, on net kWh.
        billed_by_period, credited_by_period = net_by_period(dict(energy_by_period),
                                                             _group_sums(period, flows.export_units, scale))
        billed, tier_fill = energy, TIER_FILL_SHARED
    else:
        billed, credited = interval_flows(tariff.metering, energy, flows.export_units, flows.hour_key)
        billed_by_period = _group_sums(period, billed, scale)
        credited_by_period = _group_sums(period, credited, scale)
    usd = _energy_charges(tariff, period, billed, scale, billed_by_period, days, peak_kw, tier_fill)
    lines = [Determinant("energy", p, billed_by_period[p], "kWh", usd_to_micros(amount)) for p, amount in usd.items()]
    for p, kwh in sorted(credited_by_period.items()):
        if kwh:
            credit_usd = _export_credit_usd(tariff, p, kwh, credited_by_period, days, peak_kw)
            lines.append(Determinant("export_credit", p, kwh, "kWh", -usd_to_micros(credit_usd)))
    return lines


def _export_credit_usd(tariff: UrdbTariff, period: int, period_kwh: Decimal,
                       credited_by_period: Mapping[int, Decimal], days: int, peak_kw: Decimal) -> Decimal:
    """Exact credit of one period's exported kWh at `sell`. Tiers work as on the buy side (shared fill): the
    month's credited total fills the tiers and each period takes the tier mix in proportion to its kWh. Most
    tariffs give one sell rate per period, so this is usually kWh x sell."""
    tiers = tariff.energy_periods[period]
    sell_tiers = tuple(replace(tier, rate_usd=tier.sell_usd) for tier in tiers)
    month_kwh = sum(credited_by_period.values(), Decimal(0))
    segments = tier_segments(month_kwh, sell_tiers, _bound_scale(tiers[0].unit, days, peak_kw))
    return sum((period_kwh * segment / month_kwh * tier.rate_usd for segment, tier in zip(segments, sell_tiers,
                                                                                       strict=True)), Decimal(0))


def _fixed_and_minimum_lines(tariff: UrdbTariff, days: int, proration: Proration | None,
                             charges_usd_micros: int) -> list[Determinant]:
    """The fixed charge, then the monthly minimum's top-up of everything billed before it. $/day amounts count
    the days billed, so only monthly amounts ($/month, $/year / 12) are prorated."""
    lines: list[Determinant] = []
    if tariff.fixed_charge_usd:
        amount_usd = _per_unit(tariff.fixed_charge_usd, tariff.fixed_charge_unit, days)
        if tariff.fixed_charge_unit == "$/day":
            lines.append(Determinant("fixed", -1, Decimal(days), "day", usd_to_micros(amount_usd)))
        else:
            unit = tariff.fixed_charge_unit.removeprefix("$/")
            amount_usd_micros = usd_to_micros(_prorated(amount_usd, proration))
            lines.append(Determinant("fixed", -1, Decimal(1), unit, amount_usd_micros, proration))
    if tariff.min_charge_unit != "$/year" and tariff.min_charge_usd:
        minimum_usd = _per_unit(tariff.min_charge_usd, tariff.min_charge_unit, days)
        monthly = tariff.min_charge_unit != "$/day"
        minimum_micros = usd_to_micros(_prorated(minimum_usd, proration) if monthly else minimum_usd)
        top_up = max(0, minimum_micros - charges_usd_micros - sum(line.amount_usd_micros for line in lines))
        if top_up:
            minimum_proration = proration if monthly else None
            lines.append(Determinant("minimum", -1, Decimal(1), "USD", top_up, minimum_proration))
    return lines


def _prorated(amount_usd: Decimal, proration: Proration | None) -> Decimal:
    return amount_usd if proration is None else proration.of(amount_usd)


def _demand_lines(component: str, kw_by_period: Mapping[int, Decimal],
                  structure: tuple[tuple[Tier, ...], ...], proration: Proration | None) -> list[Determinant]:
    return [Determinant(component, period, kw, "kW",
                        usd_to_micros(_prorated(tiered_amount_usd(kw, structure[period], Decimal(1)),
                                                proration)), proration)
            for period, kw in sorted(kw_by_period.items())]


def _periods(weekday: tuple[tuple[int, ...], ...], weekend: tuple[tuple[int, ...], ...], month0: int,
             hours: npt.NDArray[np.int64], is_weekend: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Period index per interval from the 12x24 schedules (-1 where the tariff has no such structure)."""
    weekday_row = _schedule(weekday)[month0]
    weekend_row = _schedule(weekend)[month0]
    period: npt.NDArray[np.int64] = np.where(is_weekend, weekend_row[hours], weekday_row[hours])
    return period


def _distinct_count(values: npt.NDArray[np.int32]) -> int:
    if values.size == 0:
        return 0
    return int(np.count_nonzero(np.bincount(values - values.min())))


def _present(period: npt.NDArray[np.int64]) -> list[int]:
    """The periods (0 and up) that occur, ascending; -1 (no such structure) left out."""
    if period.size == 0:
        return []
    counts: list[int] = np.flatnonzero(np.bincount(period + 1)[1:]).tolist()
    return counts


@functools.lru_cache(maxsize=256)
def _schedule(rows: tuple[tuple[int, ...], ...]) -> npt.NDArray[np.int64]:
    """A 12 x 24 schedule as an array, made once per tariff (read only)."""
    table: npt.NDArray[np.int64] = np.asarray(rows, dtype=np.int64)
    return table


def _group_sums(period: npt.NDArray[np.int64], energy: npt.NDArray[np.int64], scale: Decimal) -> dict[int, Decimal]:
    sums: dict[int, Decimal] = {}
    for index in _present(period):
        if index >= 0:
            sums[index] = Decimal(int(energy[period == index].sum(dtype=np.int64))) / scale
    return sums


def _group_max(period: npt.NDArray[np.int64], values: npt.NDArray[np.int64], scale: Decimal) -> dict[int, Decimal]:
    maxima: dict[int, Decimal] = {}
    for index in _present(period):
        if index >= 0:
            maxima[index] = Decimal(int(values[period == index].max())) / scale
    return maxima


def _energy_charges(tariff: UrdbTariff, period: npt.NDArray[np.int64], energy: npt.NDArray[np.int64],
                    scale: Decimal, energy_by_period: Mapping[int, Decimal], days: int, peak_kw: Decimal,
                    tier_fill: str) -> dict[int, Decimal]:
    """Exact energy charge per TOU period (USD)."""
    if not tariff.energy_periods:
        return {}
    charges = {index: Decimal(0) for index in energy_by_period}
    if tier_fill == TIER_FILL_CHRONOLOGICAL:
        cumulative_kwh = Decimal(0)
        for index, units in zip(period.tolist(), energy.tolist(), strict=True):
            tiers = tariff.energy_periods[index]
            kwh = Decimal(units) / scale
            charges[index] += overlap_in_tiers(cumulative_kwh, kwh, tiers, _bound_scale(tiers[0].unit, days, peak_kw))
            cumulative_kwh += kwh
        return charges
    month_kwh = sum(energy_by_period.values(), Decimal(0))
    if month_kwh == 0:
        return charges
    for index, period_kwh in energy_by_period.items():
        tiers = tariff.energy_periods[index]
        segments = tier_segments(month_kwh, tiers, _bound_scale(tiers[0].unit, days, peak_kw))
        charges[index] = sum((period_kwh * segment / month_kwh * tier.rate_usd
                              for segment, tier in zip(segments, tiers, strict=True)), Decimal(0))
    return charges


def _bound_scale(unit: str, days: int, peak_kw: Decimal) -> Decimal:
    scale = Decimal(days) if unit.endswith("daily") else Decimal(1)
    return scale * peak_kw if unit.startswith("kWh/kW") else scale


def _per_unit(amount_usd: Decimal, unit: str, days: int) -> Decimal:
    if unit == "$/day":
        return amount_usd * days
    if unit == "$/year":
        return amount_usd / 12
    return amount_usd


def _ratchet_kw(tariff: UrdbTariff, month_key: int, peaks: Mapping[int, Decimal]) -> Decimal:
    if tariff.ratchet_percent == 0:
        return Decimal(0)
    if tariff.ratchet_range_months > 0:
        window = range(month_key - tariff.ratchet_range_months, month_key)
        eligible = [peaks[key] for key in window if key in peaks]
    else:
        eligible = [peak for key, peak in peaks.items()
                    if month_key - 12 <= key < month_key and tariff.ratchet_months[key % 12]]
    return tariff.ratchet_percent * max(eligible) if eligible else Decimal(0)


def _apply_annual_minimum(tariff: UrdbTariff, bills: list[MonthBill]) -> list[MonthBill]:
    if tariff.min_charge_unit != "$/year" or tariff.min_charge_usd == 0:
        return bills
    minimum_micros = usd_to_micros(tariff.min_charge_usd)
    result = list(bills)
    for year in sorted({bill.month_key // 12 for bill in bills}):
        indexes = [i for i, bill in enumerate(bills) if bill.month_key // 12 == year]
        year_total = sum(bills[i].total_usd_micros for i in indexes)
        last = indexes[-1]
        result[last] = _with_minimum(bills[last], max(0, minimum_micros - year_total))
    return result


def _with_minimum(bill: MonthBill, minimum_micros: int) -> MonthBill:
    if not minimum_micros:
        return bill
    return replace(bill, determinants=(*bill.determinants, Determinant("minimum", -1, Decimal(1), "USD",
                                                                        minimum_micros)))
