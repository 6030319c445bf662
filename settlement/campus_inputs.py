"""What the campus engine needs, already loaded and aggregated: plain values and integer arrays, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from settlement.campus import ContractV0, MeterRef
from settlement.contracts import ContractVersion
from settlement.prices import PriceSeries

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
class CampusInputs:
    campus_id: str
    time_zone: ZoneInfo
    period_start_utc: datetime
    period_end_utc: datetime
    meters: list[MeterRef]
    meter_totals_wh: dict[str, int]
    tenant_ids: list[str]
    series: dict[str, Series]
    contracts_v0: dict[str, ContractV0]
    contracts: list[ContractVersion]
    prices: dict[tuple[str, str], PriceSeries]
    intervals_sha256_hex: str
