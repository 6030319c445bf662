"""Price series (PRICE_SCHEMA Parquet) -> one price per meter interval, exact, in micro-USD per MWh.

Corrections: rows for the same (node, market, interval) may come in several versions; the highest version wins
(the one the ISO settled with), and the earlier ones stay in the file. Alignment: when a price interval is at
least as long as the meter interval, the meter interval takes the price of the price interval containing its start
(an hourly day-ahead price applies to each 5-minute interval of its hour). When price intervals are shorter (5-minute
real-time prices, 15-minute meter data), the meter interval takes their time average, rounded ROUND_HALF_EVEN to
a micro-USD/MWh. A meter interval with no price raises PriceMissing (retryable: prices may not be published yet).
Currency: only USD prices price energy; a node and market whose prices are in another currency (IESO and AESO
publish CAD) is refused, while other rows of the same file (a campus's store holds every upload) are not read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from common.uri import read_uri_bytes
from market_adapters.prices import read_prices_parquet_bytes, require_usd
from settlement.errors import PriceMissing

US_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class PriceSeries:
    node: str
    market: str
    starts_utc_us: npt.NDArray[np.int64]
    interval_minutes: npt.NDArray[np.int64]
    lmp_usd_micros_per_mwh: npt.NDArray[np.int64]
    sha256_hex: str


def read_price_file(uri: str) -> tuple[pa.Table, str]:
    data = read_uri_bytes(uri)
    return read_prices_parquet_bytes(uri, data), hashlib.sha256(data).hexdigest()


def price_series(table: pa.Table, node: str, market: str, sha256_hex: str) -> PriceSeries:
    """The latest version of each interval's price at `node` in `market`, sorted by interval start."""
    mask = pc.and_(pc.equal(table.column("node"), node), pc.equal(table.column("market"), market))
    require_usd(table.filter(mask), f"{market} prices at {node}")
    rows = table.filter(mask).select(["interval_start_utc", "interval_minutes", "lmp_usd_per_mwh", "version"])
    latest: dict[int, tuple[int, int, int]] = {}
    starts = rows.column("interval_start_utc").cast(pa.int64()).to_pylist()
    for start_us, minutes, lmp, version in zip(starts, rows.column("interval_minutes").to_pylist(),
                                               rows.column("lmp_usd_per_mwh").to_pylist(),
                                               rows.column("version").to_pylist(), strict=True):
        if start_us not in latest or version > latest[start_us][0]:
            latest[start_us] = (version, minutes, int(lmp * 1_000_000))
    ordered = sorted(latest)
    return PriceSeries(node, market, np.array(ordered, dtype=np.int64),
                       np.array([latest[s][1] for s in ordered], dtype=np.int64),
                       np.array([latest[s][2] for s in ordered], dtype=np.int64), sha256_hex)


def prices_for_intervals(series: PriceSeries, starts_utc_us: npt.NDArray[np.int64],
                         interval_minutes: int) -> npt.NDArray[np.int64]:
    """Price (micro-USD/MWh) for each meter interval, by containment or time average (see module docstring)."""
    if series.starts_utc_us.size == 0:
        if starts_utc_us.size:
            raise PriceMissing(series.node, str(int(starts_utc_us[0])))
        return np.zeros(0, dtype=np.int64)
    ends = series.starts_utc_us + series.interval_minutes * US_PER_MINUTE
    position = np.searchsorted(series.starts_utc_us, starts_utc_us, side="right") - 1
    contained = (position >= 0) & (ends[np.clip(position, 0, None)] > starts_utc_us)
    result = series.lmp_usd_micros_per_mwh[np.clip(position, 0, None)].copy()
    shorter = contained & (series.interval_minutes[np.clip(position, 0, None)] < interval_minutes)
    for index in np.flatnonzero(shorter).tolist():
        result[index] = _time_average(series, int(starts_utc_us[index]), interval_minutes)
    missing = np.flatnonzero(~contained)
    if missing.size:
        raise PriceMissing(series.node, _iso(int(starts_utc_us[missing[0]])))
    return result


def _time_average(series: PriceSeries, start_us: int, interval_minutes: int) -> int:
    end_us = start_us + interval_minutes * US_PER_MINUTE
    first = int(np.searchsorted(series.starts_utc_us, start_us, side="left"))
    last = int(np.searchsorted(series.starts_utc_us, end_us, side="left"))
    weighted = sum(int(series.lmp_usd_micros_per_mwh[i]) * int(series.interval_minutes[i]) for i in range(first, last))
    covered = sum(int(series.interval_minutes[i]) for i in range(first, last))
    if covered != interval_minutes:
        raise PriceMissing(series.node, _iso(start_us))
    return int((Decimal(weighted) / Decimal(covered)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _iso(start_us: int) -> str:
    return str(np.datetime64(start_us, "us")) + "Z"
