"""Parquet reading for settlement: bytes from any pyarrow.fs URI, schema-checked parsing, the period filter.

Callers hash the exact bytes read, so the `intervals_sha256_hex` on every line names the file that was priced.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.errors import BadInput
from common.timeutil import require_utc


def read_parquet_bytes(source: str, data: bytes, schema: pa.Schema, dictionary_columns: tuple[str, ...] = (),
                       columns: tuple[str, ...] | None = None) -> pa.Table:
    """Parse Parquet bytes and check the columns of `schema` (or just `columns` of it) are present with their exact
    types. Columns in `dictionary_columns` come back dictionary-encoded (cheap: Parquet stores strings that way);
    a dictionary-encoded column of the expected value type is accepted as that type."""
    names = list(columns) if columns is not None else schema.names
    try:
        present = pq.read_schema(pa.BufferReader(data)).names
        for name in names:
            if name not in present:
                raise BadInput(source, None, name, "column missing")
        table = pq.read_table(pa.BufferReader(data), columns=names,
                              read_dictionary=list(dictionary_columns) or None)
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(source, None, None, f"not a readable Parquet file: {error}") from error
    for name in names:
        expected = schema.field(name)
        actual_type = table.schema.field(name).type
        if pa.types.is_dictionary(actual_type):
            if name not in dictionary_columns:
                table = table.set_column(table.column_names.index(name), name,
                                         table.column(name).cast(actual_type.value_type))
            actual_type = actual_type.value_type
        if actual_type != expected.type:
            raise BadInput(source, None, name, f"type {actual_type}, expected {expected.type}")
    return table.select(names)


def within_period(table: pa.Table, period_start_utc: datetime, period_end_utc: datetime) -> pa.Table:
    """Rows whose interval starts in the half-open period [start, end)."""
    start = pa.scalar(require_utc(period_start_utc, "period_start_utc"), pa.timestamp("us", tz="UTC"))
    end = pa.scalar(require_utc(period_end_utc, "period_end_utc"), pa.timestamp("us", tz="UTC"))
    column = table.column("interval_start_utc")
    mask = pc.and_(pc.greater_equal(column, start), pc.less(column, end))
    return table.filter(mask)
