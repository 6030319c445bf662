"""What the campus engine needs, already loaded and aggregated: plain values and integer arrays, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from settlement.contracts import ContractVersion, FixedPriceContract
from settlement.engine.meters import MeterRef
from settlement.engine.prices import PriceSeries

SERIES_SHARED = "shared"
SERIES_GRID_IMPORT = "grid_import"
SERIES_EXPORT = "export"


def tenant_series_key(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"


def meter_series_key(meter_id: str) -> str:
    return f"meter:{meter_id}"


@dataclass(frozen=True)
class Series:
    """Energy per interval on a regular grid from the period start: `energy_wh[i]` covers
    [period_start + i x interval, period_start + (i + 1) x interval)."""

    starts_utc_us: npt.NDArray[np.int64]
    energy_wh: npt.NDArray[np.int64]
    interval_minutes: int


@dataclass(frozen=True)
class TenantWindow:
    """The part [start_utc, end_utc) of a segment that a tenant occupies: `days` local days."""

    start_utc: datetime
    end_utc: datetime
    days: int


@dataclass(frozen=True)
class CampusInputs:
    """One segment of a billing period (the whole period when no contract changes inside it).

    `tenant_ids` are the tenants billed (occupying at least one day of the segment); `windows` the part of
    the segment each of them occupies when that is not all of it; `absent_tenant_ids` the campus tenants
    occupying no day of it (their names in allocation terms are skipped, not refused). `month_days` counts the
    local days of the whole billing period per month key: the denominator of every proration (empty: nothing
    is prorated). `period_series` is each tenant's load over the whole period when it is settled in segments
    (named system peaks are instants of the period, wherever the segment lies); empty: `series` is the whole
    period. `segment_days` are the local days of each segment of the period, in order, and `segment_index` this
    segment's place among them: a monthly quantity (a take-or-pay minimum) is split across the segments by their
    days with largest remainder, so the parts add up to it (empty: one segment, nothing to split)."""

    campus_id: str
    time_zone: ZoneInfo
    period_start_utc: datetime
    period_end_utc: datetime
    meters: list[MeterRef]
    meter_totals_wh: dict[str, int]
    tenant_ids: list[str]
    series: dict[str, Series]
    fixed_prices: dict[str, FixedPriceContract]
    contracts: list[ContractVersion]
    prices: dict[tuple[str, str], PriceSeries]
    intervals_sha256_hex: str
    windows: dict[str, TenantWindow] = field(default_factory=dict)
    absent_tenant_ids: tuple[str, ...] = ()
    month_days: dict[int, int] = field(default_factory=dict)
    period_series: dict[str, Series] = field(default_factory=dict)
    segment_days: tuple[int, ...] = ()
    segment_index: int = 0
