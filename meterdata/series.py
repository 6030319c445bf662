"""Stream an interval Parquet file as chunks of whole series (meter, channel), with kernel arrays.

Input written by ingest is sorted by meter, channel, interval start; a chunk is cut only where the
series changes, so memory stays bounded by `rows_per_chunk_max` plus one series. A series met again after
its chunk was closed means the file is not grouped; `SeriesNotGrouped` lets the caller sort first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from common import storage
from common.uri import resolve

COLUMNS = ["meter_id", "channel", "interval_start_utc", "energy_wh", "quality", "source_sha256", "source_row"]
DICTIONARY_COLUMNS = ["meter_id", "channel", "source_sha256"]


class SeriesNotGrouped(Exception):
    pass


@dataclass
class SeriesChunk:
    """Rows of whole series; `keys[s]` = (meter_id, channel) for rows offsets[s]:offsets[s+1]."""

    table: pa.Table
    keys: list[tuple[str, str]]
    offsets: np.ndarray
    ts_us: np.ndarray
    energy_wh: np.ndarray


def open_parquet(uri: str) -> pq.ParquetFile:
    filesystem, path = resolve(uri)
    # Strings repeat (meter, channel, file hash): read them as dictionaries, decoded once per row group.
    return pq.ParquetFile(filesystem.open_input_file(path), read_dictionary=DICTIONARY_COLUMNS)


def iter_series_chunks(uri: str, rows_per_chunk_max: int) -> Iterator[SeriesChunk]:
    seen: set[tuple[str, str]] = set()
    pending: list[pa.Table] = []
    pending_rows = 0
    for piece in _row_groups(uri):
        pending.append(piece)
        pending_rows += piece.num_rows
        if pending_rows < rows_per_chunk_max:
            continue
        combined = pa.concat_tables(pending)
        cut = _last_series_start(combined)
        if cut == 0:
            # One series longer than the chunk: keep reading until it ends.
            pending = [combined]
            continue
        yield _chunk(combined.slice(0, cut), seen)
        pending = [combined.slice(cut)]
        pending_rows = combined.num_rows - cut
    if pending_rows > 0:
        yield _chunk(pa.concat_tables(pending), seen)


def _row_groups(uri: str) -> Iterator[pa.Table]:
    """Row group by row group: `iter_batches` kept memory growing over a long file, this stays flat.
    Memory is bounded by the largest row group (ingest writes 1M-row groups)."""
    parquet = open_parquet(uri)
    for index in range(parquet.num_row_groups):
        yield parquet.read_row_group(index, columns=COLUMNS)


def _last_series_start(table: pa.Table) -> int:
    code, _, _ = _series_codes(table)
    differs = np.flatnonzero(code != code[-1])
    return int(differs[-1]) + 1 if differs.size else 0


def _dictionary(column: pa.ChunkedArray) -> pa.DictionaryArray:
    array = column.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    return array


def _series_codes(table: pa.Table) -> tuple[np.ndarray, list[str], list[str]]:
    """One int64 code per row for its (meter, channel), plus the names behind the codes."""
    table = table.unify_dictionaries()
    meter = _dictionary(table["meter_id"])
    channel = _dictionary(table["channel"])
    channel_count = len(channel.dictionary)
    code = meter.indices.to_numpy().astype(np.int64) * channel_count + channel.indices.to_numpy()
    return code, meter.dictionary.to_pylist(), channel.dictionary.to_pylist()


def _chunk(table: pa.Table, seen: set[tuple[str, str]]) -> SeriesChunk:
    table = table.unify_dictionaries().combine_chunks()
    code, meter_names, channel_names = _series_codes(table)
    channel_count = len(channel_names)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(code)) + 1)).astype(np.int64)
    offsets = np.append(starts, table.num_rows).astype(np.int64)
    keys = [(meter_names[code[i] // channel_count], channel_names[code[i] % channel_count]) for i in starts]
    for key in keys:
        if key in seen:
            raise SeriesNotGrouped(f"series {key} appears in more than one run")
        seen.add(key)
    ts_us = table["interval_start_utc"].combine_chunks().cast(pa.int64()).to_numpy()
    energy_wh = table["energy_wh"].combine_chunks().to_numpy()
    return SeriesChunk(table, keys, offsets, ts_us, energy_wh)


def sort_intervals(source_uri: str, target_uri: str) -> None:
    """Rewrite an ungrouped interval file sorted by series; used only when the input was not grouped."""
    filesystem, path = resolve(source_uri)
    table = pq.read_table(path, filesystem=filesystem)
    table = table.sort_by([("meter_id", "ascending"), ("channel", "ascending"), ("interval_start_utc", "ascending")])
    with storage.atomic_output(target_uri) as stream:
        pq.write_table(table, stream)
