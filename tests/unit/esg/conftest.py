"""Helpers for ESG unit tests: write small interval Parquet files in INTERVAL_SCHEMA."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from meterdata.schema import INTERVAL_SCHEMA

IntervalRow = tuple[str, datetime, int, int, int]  # meter_id, interval_start_utc, minutes, energy_wh, quality


def write_interval_parquet(path: Path, rows: Sequence[IntervalRow]) -> str:
    table = pa.Table.from_pylist(
        [
            {
                "meter_id": meter_id,
                "channel": "main",
                "interval_start_utc": start,
                "interval_minutes": minutes,
                "energy_wh": energy_wh,
                "quality": quality,
                "source_sha256": "ab" * 32,
                "source_row": index + 2,
            }
            for index, (meter_id, start, minutes, energy_wh, quality) in enumerate(rows)
        ],
        schema=INTERVAL_SCHEMA,
    )
    pq.write_table(table, path)
    return str(path)


@pytest.fixture
def intervals_file(tmp_path: Path) -> Callable[[Sequence[IntervalRow]], str]:
    counter = iter(range(1_000_000))

    def write(rows: Sequence[IntervalRow]) -> str:
        return write_interval_parquet(tmp_path / f"intervals_{next(counter)}.parquet", rows)

    return write
