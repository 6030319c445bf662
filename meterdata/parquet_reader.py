"""Read a received Parquet file of intervals: the normalized columns, checked like any other input.

Required columns: meter_id, interval_start_utc (timestamp with zone), energy_wh (integer). Optional:
channel, interval_minutes (must equal the registry's), quality (meterdata.schema's bits: kept, so VEE sees a
producer's estimated and suspect flags). Row numbers are 1-based.

The values are already energy in Wh (INTERVAL_SCHEMA), so no CT/PT multiplier is applied to them, and
`meter_id` must name the metering point, not a device serial. A reading the point was not in service for
(its service window, or a time no device served it) is refused as in the other formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.errors import BadInput
from meterdata.readings import ReadingSink, ReadingWindow
from meterdata.schema import (
    QUALITY_EDITED,
    QUALITY_ESTIMATED,
    QUALITY_MEASURED,
    QUALITY_MISSING,
    QUALITY_SUSPECT,
)
from meterdata.specs import MeterSpec, ReadingNames, ReadingOutsideService

REQUIRED_COLUMNS = ("meter_id", "interval_start_utc", "energy_wh")
ROWS_PER_BATCH = 1 << 16
"""Rows turned into Python values at once (a few MB), whatever the file's size."""
ROWS_PER_FILE_MAX = 50_000_000
READ_COLUMNS = (*REQUIRED_COLUMNS, "channel", "interval_minutes", "quality")
QUALITY_BITS_KNOWN = QUALITY_ESTIMATED | QUALITY_EDITED | QUALITY_SUSPECT | QUALITY_MISSING
"""Only these are decoded: a column the reader does not use may hold anything without costing memory."""
TEXT_COLUMNS = ("meter_id", "channel")
TEXT_CHARS_MAX = 256
"""Meter ids and channels are short. Read as dictionaries, a value repeated on every row (a small file that
decodes to gigabytes) is checked once, before any row becomes a Python value."""


def read_parquet(
    data: bytes | pa.NativeFile, source: str, sha256_hex: str, meters: Mapping[str, MeterSpec],
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """Give the file's readings to `out`, ROWS_PER_BATCH rows at a time; `data` is the bytes or a random-access
    file (pyarrow), so a large file is never held whole."""
    count = 0
    try:
        source_file = pa.BufferReader(data) if isinstance(data, bytes) else data
        names = pq.ParquetFile(source_file).schema_arrow.names
        parquet = pq.ParquetFile(source_file, read_dictionary=[name for name in TEXT_COLUMNS if name in names])
        if parquet.metadata.num_rows > ROWS_PER_FILE_MAX:
            raise BadInput(source, None, None, f"{parquet.metadata.num_rows} rows, more than {ROWS_PER_FILE_MAX}")
        schema = parquet.schema_arrow
        for column in REQUIRED_COLUMNS:
            if column not in schema.names:
                raise BadInput(source, None, column, "column missing")
        _check_types(schema, source)
        columns = [column for column in READ_COLUMNS if column in schema.names]
        for batch in parquet.iter_batches(batch_size=ROWS_PER_BATCH, columns=columns):
            _check_text_lengths(batch, source)
            for row in batch.to_pylist():
                count += 1
                _append_row(row, count, source, sha256_hex, meters, window, out)
    except (pa.ArrowException, OSError) as error:
        raise BadInput(source, None, None, f"not a readable Parquet file: {str(error)[:200]}") from error
    return count


def _check_text_lengths(batch: pa.RecordBatch, source: str) -> None:
    for name in TEXT_COLUMNS:
        if name not in batch.schema.names:
            continue
        column = batch.column(name)
        values = column.dictionary if pa.types.is_dictionary(column.type) else column
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            longest = pc.max(pc.utf8_length(values)).as_py()
            if longest is not None and longest > TEXT_CHARS_MAX:
                raise BadInput(source, None, name, f"a value of {longest} characters, more than {TEXT_CHARS_MAX}")


def _check_types(schema: pa.Schema, source: str) -> None:
    start_type = schema.field("interval_start_utc").type
    if not pa.types.is_timestamp(start_type) or start_type.tz is None:
        raise BadInput(source, None, "interval_start_utc", f"must be a timestamp with a zone, is {start_type}")
    if not pa.types.is_integer(schema.field("energy_wh").type):
        raise BadInput(source, None, "energy_wh", "must be integer Wh")


def _append_row(
    row: dict[str, object], line: int, source: str, sha256_hex: str, meters: Mapping[str, MeterSpec],
    window: ReadingWindow, out: ReadingSink,
) -> None:
    meter_id = row["meter_id"]
    spec = meters.get(meter_id) if isinstance(meter_id, str) else None
    if spec is None:
        raise BadInput(source, line, "meter_id", _unknown_reason(meter_id, meters))
    start = row["interval_start_utc"]
    energy_wh = row["energy_wh"]
    if not isinstance(start, datetime):
        raise BadInput(source, line, "interval_start_utc", "null timestamp")
    if not isinstance(energy_wh, int):
        raise BadInput(source, line, "energy_wh", "null value")
    minutes = row.get("interval_minutes", spec.interval_minutes)
    if minutes != spec.interval_minutes:
        reason = f"interval {minutes} min, meter {spec.meter_id} is registered at {spec.interval_minutes}"
        raise BadInput(source, line, "interval_minutes", reason)
    start_utc = start.astimezone(UTC)
    window.check(start_utc, spec.interval_minutes, source, line, "interval_start_utc")
    try:
        spec.reading_multiplier(None, start_utc)  # only its service checks: the energy is already in Wh
    except ReadingOutsideService as error:
        raise BadInput(source, line, "interval_start_utc", error.reason) from error
    channel = row.get("channel") or "main"
    assert isinstance(channel, str)
    # A producer's own flags (the live connectors' estimated-by-register, suspect) travel on into VEE.
    quality = row.get("quality")
    quality = QUALITY_MEASURED if quality is None else quality
    if not isinstance(quality, int) or quality < 0 or quality & ~QUALITY_BITS_KNOWN:
        raise BadInput(source, line, "quality", f"{quality!r} is not a quality bit set (meterdata.schema)")
    out.append(spec.meter_id, channel, start_utc, spec.interval_minutes, energy_wh, quality, sha256_hex, line)


def _unknown_reason(meter_id: object, meters: Mapping[str, MeterSpec]) -> str:
    named = ReadingNames(meters).by_name.get(meter_id) if isinstance(meter_id, str) else None
    if named is not None and named[1] is not None:
        return f"{meter_id!r} is a device of meter {named[0].meter_id}: Parquet readings name the point"
    return f"unknown meter {meter_id!r}"
