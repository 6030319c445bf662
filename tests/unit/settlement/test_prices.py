"""Price series in PRICE_SCHEMA: a corrected version supersedes the first, hourly prices apply to each 15-minute
interval, 5-minute prices average into a 15-minute interval (half-even), and a gap raises PriceMissing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from market_adapters.prices import PRICE_SCHEMA
from settlement.engine import PriceSeries, price_series, prices_for_intervals, read_price_file
from settlement.errors import PriceMissing
from settlement.tariffs import datetime_to_utc_us

T0 = datetime(2026, 3, 10, 6, tzinfo=UTC)


def _row(start: datetime, minutes: int, lmp: str, version: int = 1, market: str = "DA") -> dict[str, object]:
    return {"iso": "ERCOT", "market": market, "node": "HB_NORTH", "interval_start_utc": start,
            "interval_minutes": minutes, "lmp_usd_per_mwh": Decimal(lmp), "energy_usd_per_mwh": None,
            "congestion_usd_per_mwh": None, "loss_usd_per_mwh": None, "publish_time_utc": None, "version": version}


def _series(tmp_path: Path, rows: list[dict[str, object]], market: str) -> PriceSeries:
    path = tmp_path / "prices.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=PRICE_SCHEMA), path)
    table, sha = read_price_file(str(path))
    return price_series(table, "HB_NORTH", market, sha)


def _starts(count: int, minutes: int) -> np.ndarray:
    return np.array([datetime_to_utc_us(T0 + timedelta(minutes=minutes * i)) for i in range(count)], dtype=np.int64)


def test_hourly_price_applies_to_each_quarter_hour_and_corrections_win(tmp_path: Path) -> None:
    """Hour 1 published at 41.27 then corrected to 39.00 (version 2); hour 2 at 52.18. Eight quarter-hours get
    39.00 x 4 then 52.18 x 4 (micro-USD/MWh)."""
    rows = [_row(T0, 60, "41.27"), _row(T0, 60, "39.00", version=2), _row(T0 + timedelta(hours=1), 60, "52.18")]
    series = _series(tmp_path, rows, "DA")
    got = prices_for_intervals(series, _starts(8, 15), 15).tolist()
    assert got == [39_000_000] * 4 + [52_180_000] * 4
    assert len(series.sha256_hex) == 64


def test_five_minute_prices_average_into_a_quarter_hour(tmp_path: Path) -> None:
    """(10.000001 + 10.000001 + 10.000002) / 3 = 10.00000133.. -> 10.000001; (1 + 2 + 2) / 3 = 1.666666.. ->
    1.666667 (half-even to the micro-dollar)."""
    values = ["10.000001", "10.000001", "10.000002", "1", "2", "2"]
    rows = [_row(T0 + timedelta(minutes=5 * i), 5, v, market="RT5") for i, v in enumerate(values)]
    got = prices_for_intervals(_series(tmp_path, rows, "RT5"), _starts(2, 15), 15).tolist()
    assert got == [10_000_001, 1_666_667]


def test_an_interval_without_a_price_raises_a_retryable_error(tmp_path: Path) -> None:
    """Prices for hour 1 only; the fifth quarter-hour has none -> PriceMissing, which a retry may cure."""
    series = _series(tmp_path, [_row(T0, 60, "30")], "DA")
    with pytest.raises(PriceMissing) as caught:
        prices_for_intervals(series, _starts(5, 15), 15)
    assert caught.value.retryable
