"""Small validated interval files, written as meterdata's VEE writes them (VALIDATED_WRITE_SCHEMA, zstd, no
stored Arrow schema: the file reads back as INTERVAL_SCHEMA)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from meterdata.grid import VALIDATED_WRITE_SCHEMA

Row = tuple[str, str, datetime, int, int, int]  # meter_id, channel, interval_start_utc, minutes, energy_wh, quality


def write_validated(path: Path, rows: Sequence[Row], rows_per_group: int = 3) -> str:
    """Rows in row groups of `rows_per_group`, so dictionaries differ from one group to the next."""
    with pq.ParquetWriter(path, VALIDATED_WRITE_SCHEMA, compression="zstd", store_schema=False) as writer:
        for first in range(0, max(len(rows), 1), rows_per_group):
            group = rows[first:first + rows_per_group]
            table = pa.table({
                "meter_id": pa.array([r[0] for r in group], pa.string()).dictionary_encode(),
                "channel": pa.array([r[1] for r in group], pa.string()).dictionary_encode(),
                "interval_start_utc": pa.array([r[2] for r in group], pa.timestamp("us", tz="UTC")),
                "interval_minutes": pa.array([r[3] for r in group], pa.int16()),
                "energy_wh": pa.array([r[4] for r in group], pa.int64()),
                "quality": pa.array([r[5] for r in group], pa.uint8()),
                "source_sha256": pa.array(["ab" * 32] * len(group), pa.string()).dictionary_encode(),
                "source_row": pa.array(range(first + 2, first + 2 + len(group)), pa.int32()),
            })
            writer.write_table(table.cast(VALIDATED_WRITE_SCHEMA))
    return str(path)


@pytest.fixture
def validated_file(tmp_path: Path) -> Callable[[Sequence[Row]], str]:
    counter = iter(range(1_000_000))

    def write(rows: Sequence[Row]) -> str:
        return write_validated(tmp_path / f"validated_{next(counter)}.parquet", rows)

    return write
