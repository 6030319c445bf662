"""Reading a validated file once: every column with its schema type, the bytes' hash, and bad files refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from intervals import ALL_COLUMNS, ENERGY_COLUMNS, intervals_of, read_intervals
from meterdata.schema import INTERVAL_SCHEMA

START = datetime(2026, 3, 1, 6, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def test_reads_every_column_and_hashes_the_bytes(validated_file) -> None:
    uri = validated_file([("M1", "main", START, 15, 5, 0), ("M2", "main", START, 15, 7, 1)])
    intervals = read_intervals(uri)
    assert intervals.uri == uri
    assert intervals.sha256_hex == hashlib.sha256(Path(uri).read_bytes()).hexdigest()
    assert tuple(intervals.table.column_names) == ALL_COLUMNS
    assert intervals.row_count == 2
    assert pa.types.is_dictionary(intervals.table.schema.field("meter_id").type)
    assert pa.types.is_dictionary(intervals.table.schema.field("source_sha256").type)  # one per input file
    assert intervals.table.column("energy_wh").to_pylist() == [5, 7]


def test_reads_only_the_columns_asked_for(validated_file) -> None:
    intervals = read_intervals(validated_file([("M1", "main", START, 15, 5, 0)]), ENERGY_COLUMNS)
    assert tuple(intervals.table.column_names) == ENERGY_COLUMNS


def test_within_keeps_the_half_open_period_and_does_not_copy_a_file_inside_it(validated_file) -> None:
    rows = [("M1", "main", START + n * QUARTER, 15, n, 0) for n in range(8)]
    intervals = read_intervals(validated_file(rows))
    assert intervals.within(START, START + 8 * QUARTER) is intervals
    cut = intervals.within(START + QUARTER, START + 3 * QUARTER)
    assert cut.table.column("energy_wh").to_pylist() == [1, 2]
    assert cut.sha256_hex == intervals.sha256_hex


def test_of_meters_keeps_the_meters_named(validated_file) -> None:
    intervals = read_intervals(validated_file([("M1", "main", START, 15, 5, 0), ("M2", "main", START, 15, 7, 0)]))
    assert intervals.of_meters({"M2"}).table.column("energy_wh").to_pylist() == [7]


def test_a_file_that_is_not_parquet_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "not.parquet"
    path.write_text("meter_id,energy_wh\n")
    with pytest.raises(BadInput, match="not a readable Parquet file"):
        read_intervals(str(path))


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read file"):
        read_intervals(str(tmp_path / "absent.parquet"))


def test_a_missing_column_or_a_wrong_type_is_bad_input(tmp_path: Path) -> None:
    table = pa.table({name: pa.array([], INTERVAL_SCHEMA.field(name).type) for name in ENERGY_COLUMNS})
    pq.write_table(table, tmp_path / "short.parquet")
    with pytest.raises(BadInput, match="field 'interval_minutes': column missing"):
        read_intervals(str(tmp_path / "short.parquet"))
    assert read_intervals(str(tmp_path / "short.parquet"), ENERGY_COLUMNS).row_count == 0
    pq.write_table(table.set_column(3, "energy_wh", pa.array([], pa.float64())), tmp_path / "float.parquet")
    with pytest.raises(BadInput, match="field 'energy_wh': type double, expected int64"):
        read_intervals(str(tmp_path / "float.parquet"), ENERGY_COLUMNS)


def test_intervals_of_reads_a_uri_and_passes_a_read_value_through(validated_file) -> None:
    intervals = intervals_of(validated_file([("M1", "main", START, 15, 5, 0)]))
    assert intervals_of(intervals) is intervals


def test_select_keeps_the_columns_named(validated_file) -> None:
    intervals = read_intervals(validated_file([("M1", "main", START, 15, 5, 0)]))
    assert tuple(intervals.select(ENERGY_COLUMNS).table.column_names) == ENERGY_COLUMNS
