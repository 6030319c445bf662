"""Read a validated interval file (INTERVAL_SCHEMA Parquet, as meterdata's VEE writes it) once, into memory.

The bytes are read once from a local path or any pyarrow.fs URI (the claim-check URI a workflow passes), hashed,
and parsed with their schema checked. Every consumer (settlement, emissions, the ledger's energy legs, invoices'
daily usage, ISO submissions) starts from the `MeterIntervals` this returns, so a step that needs the intervals
several times reads the file once and passes the value down.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common.uri import read_uri_bytes
from intervals.parquet import read_parquet_bytes
from intervals.period import table_within_period
from meterdata.schema import INTERVAL_SCHEMA

ALL_COLUMNS: tuple[str, ...] = tuple(INTERVAL_SCHEMA.names)
ENERGY_COLUMNS: tuple[str, ...] = ("meter_id", "channel", "interval_start_utc", "energy_wh")
"""What an engine that only sums energy needs; a file read for it alone skips the other columns."""
DICTIONARY_COLUMNS: tuple[str, ...] = ("meter_id", "channel", "source_sha256")
"""Read as dictionaries: a few thousand distinct strings repeated over millions of rows (one sha256 per input
file: as plain strings they would take 64 bytes a reading, 1.1 GB at 17.9 M readings)."""


@dataclass(frozen=True)
class MeterIntervals:
    """Interval rows of INTERVAL_SCHEMA (the columns read; meter_id, channel and source_sha256 dictionary-encoded), the file
    they came from (`uri` names it in errors) and the sha256 of its bytes."""

    uri: str
    sha256_hex: str
    table: pa.Table

    @property
    def row_count(self) -> int:
        return int(self.table.num_rows)

    def within(self, period_start_utc: datetime, period_end_utc: datetime) -> MeterIntervals:
        """The rows whose interval starts in `[period_start_utc, period_end_utc)`; the same value when every
        row already does (no copy of a large file)."""
        table = table_within_period(self.table, period_start_utc, period_end_utc)
        return self if table is self.table else replace(self, table=table)

    def select(self, columns: Sequence[str]) -> MeterIntervals:
        """Only `columns` (no copy): an engine that filters rows then moves no column it does not use."""
        return replace(self, table=self.table.select(list(columns)))

    def of_meters(self, meter_ids: Collection[str]) -> MeterIntervals:
        """The rows of `meter_ids` only."""
        value_set = pa.array(sorted(meter_ids), pa.string())
        masks = [_member_rows(chunk, value_set) for chunk in self.table.column("meter_id").chunks]
        return replace(self, table=self.table.filter(pa.array(np.concatenate(masks) if masks else [], pa.bool_())))


def read_intervals(uri: str, columns: Sequence[str] = ALL_COLUMNS) -> MeterIntervals:
    """Read the interval file at `uri` once: `columns` of INTERVAL_SCHEMA, each required with its exact type.
    Raises BadInput naming the file when it cannot be read, is not Parquet or lacks a column."""
    data = read_uri_bytes(uri)
    sha256_hex = hashlib.sha256(data).hexdigest()
    # No name holds the parsed table: joining its columns frees each column's row-group chunks as it goes.
    return MeterIntervals(uri, sha256_hex, _one_chunk_per_column(read_parquet_bytes(
        uri, data, INTERVAL_SCHEMA, [c for c in DICTIONARY_COLUMNS if c in columns], columns)))


def intervals_of(source: str | MeterIntervals, columns: Sequence[str] = ALL_COLUMNS) -> MeterIntervals:
    """The intervals `source` names: read from its URI, or `source` itself when the caller has read it already
    (a step passes its one read down to every function that needs the intervals)."""
    return source if isinstance(source, MeterIntervals) else read_intervals(source, columns)


def _member_rows(chunk: pa.Array, value_set: pa.Array) -> np.ndarray:
    """bool per row: its meter id is in `value_set`. A dictionary column is tested once per distinct id and the
    answer looked up by each row's index (matching 17.9 M strings took seconds)."""
    if pa.types.is_dictionary(chunk.type):
        member = np.asarray(pc.is_in(chunk.dictionary, value_set=value_set).to_numpy(zero_copy_only=False), bool)
        return np.asarray(member[chunk.indices.to_numpy(zero_copy_only=False)], bool)
    return np.asarray(pc.is_in(chunk, value_set=value_set).to_numpy(zero_copy_only=False), bool)


def _one_chunk_per_column(table: pa.Table) -> pa.Table:
    """Each column as one contiguous array (Parquet gives one chunk per row group), so every consumer's numpy
    view of a column is free: otherwise each concatenates its own copy (8 bytes a row for each int64 column, and
    several consumers per step). Column by column, each one's row-group chunks freed as the next is joined, so
    the read peaks at one column more than the table."""
    schema = table.schema
    columns = []
    for name in schema.names:
        column = table.column(name)
        if column.num_chunks > 1 and pa.types.is_dictionary(column.type):
            column = column.unify_dictionaries()
        columns.append(column.combine_chunks() if column.num_chunks != 1 else column.chunk(0))
        table = table.drop_columns([name])
    return pa.Table.from_arrays(columns, schema=schema)
