"""Read the validated interval Parquet (INTERVAL_SCHEMA) once: its bytes are hashed, then parsed.

The hash is over the exact bytes read, so the `intervals_sha256_hex` on every line names the file that was priced.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from common.errors import BadInput
from common.timeutil import require_utc
from meterdata.schema import INTERVAL_SCHEMA


def read_uri_bytes(uri: str) -> bytes:
    """Bytes of a local path or any pyarrow.fs URI (file://, s3://, ...)."""
    try:
        if "://" in uri:
            filesystem, path = pafs.FileSystem.from_uri(uri)
        else:
            filesystem, path = pafs.LocalFileSystem(), uri
        with filesystem.open_input_stream(path) as stream:
            return bytes(stream.read())
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(uri, None, None, f"cannot read file: {error}") from error


def read_parquet_bytes(source: str, data: bytes, schema: pa.Schema,
                       dictionary_columns: tuple[str, ...] = ()) -> pa.Table:
    """Parse Parquet bytes and check every column of `schema` is present with its exact type. String columns in
    `dictionary_columns` come back dictionary-encoded (cheap: Parquet stores them that way)."""
    try:
        table = pq.read_table(pa.BufferReader(data), read_dictionary=list(dictionary_columns) or None)
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(source, None, None, f"not a readable Parquet file: {error}") from error
    for expected in schema:
        if expected.name not in table.column_names:
            raise BadInput(source, None, expected.name, "column missing")
        actual_type = table.schema.field(expected.name).type
        if pa.types.is_dictionary(actual_type) and expected.name in dictionary_columns:
            actual_type = actual_type.value_type
        if actual_type != expected.type:
            raise BadInput(source, None, expected.name, f"type {actual_type}, expected {expected.type}")
    return table.select(schema.names)


def read_interval_file(uri: str) -> tuple[pa.Table, str]:
    """The interval table (INTERVAL_SCHEMA columns) and the sha256 hex of the file's bytes."""
    data = read_uri_bytes(uri)
    return read_parquet_bytes(uri, data, INTERVAL_SCHEMA), hashlib.sha256(data).hexdigest()


def within_period(table: pa.Table, period_start_utc: datetime, period_end_utc: datetime) -> pa.Table:
    """Rows whose interval starts in the half-open period [start, end)."""
    start = pa.scalar(require_utc(period_start_utc, "period_start_utc"), pa.timestamp("us", tz="UTC"))
    end = pa.scalar(require_utc(period_end_utc, "period_end_utc"), pa.timestamp("us", tz="UTC"))
    column = table.column("interval_start_utc")
    mask = pc.and_(pc.greater_equal(column, start), pc.less(column, end))
    return table.filter(mask)


def energy_wh_by_meter(source: str, table: pa.Table) -> dict[str, int]:
    """Total energy_wh per meter. A meter must carry one channel: summing two channels (delivered and
    received, say) would silently net or double its energy, so more than one is refused."""
    if table.num_rows == 0:
        return {}
    channels = table.group_by("meter_id").aggregate([("channel", "count_distinct")])
    for meter_id, channel_count in zip(
        channels.column("meter_id").to_pylist(), channels.column("channel_count_distinct").to_pylist(), strict=True
    ):
        if channel_count != 1:
            raise BadInput(source, None, "channel", f"meter {meter_id!r} has {channel_count} channels, expected 1")
    sums = table.group_by("meter_id").aggregate([("energy_wh", "sum")])
    return dict(
        zip(sums.column("meter_id").to_pylist(), sums.column("energy_wh_sum").to_pylist(), strict=True)
    )
