"""A Parquet file's own quality bits (the live connectors' estimated and suspect flags) are kept for VEE; a value
that is not a quality bit set is refused naming the line and field (pure)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from meterdata.parquet_reader import read_parquet
from meterdata.readings import ReadingColumns, ReadingWindow
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_MEASURED, QUALITY_SUSPECT
from meterdata.specs import MeterSpec

START = datetime(2026, 11, 3, 10, tzinfo=UTC)
WINDOW = ReadingWindow(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
                       datetime(2026, 11, 4, tzinfo=UTC))
METERS = {"M1": MeterSpec("M1", "generation", "kWh", 15)}


def parquet_bytes(qualities: list[int] | None) -> bytes:
    columns: dict[str, object] = {
        "meter_id": ["M1", "M1", "M1"],
        "interval_start_utc": pa.array([START.replace(minute=15 * n) for n in range(3)], pa.timestamp("us", "UTC")),
        "energy_wh": [1_000, 1_500, 1_500],
    }
    if qualities is not None:
        columns["quality"] = pa.array(qualities, pa.uint8())
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def test_the_quality_column_is_kept_and_its_absence_means_measured() -> None:
    out = ReadingColumns()
    read_parquet(parquet_bytes([0, QUALITY_ESTIMATED, QUALITY_ESTIMATED | QUALITY_SUSPECT]), "d.parquet", "0" * 64,
                 METERS, WINDOW, out)
    assert out.quality == [QUALITY_MEASURED, QUALITY_ESTIMATED, QUALITY_ESTIMATED | QUALITY_SUSPECT]
    plain = ReadingColumns()
    read_parquet(parquet_bytes(None), "p.parquet", "0" * 64, METERS, WINDOW, plain)
    assert plain.quality == [QUALITY_MEASURED] * 3


def test_a_quality_that_is_not_a_bit_set_is_refused_with_line_and_field() -> None:
    with pytest.raises(BadInput) as caught:
        read_parquet(parquet_bytes([0, 0, 16]), "d.parquet", "0" * 64, METERS, WINDOW, ReadingColumns())
    assert (caught.value.line, caught.value.field) == (3, "quality")
