"""Ingest: received files in, one normalized Parquet file (INTERVAL_SCHEMA) out. Pure: no database.

The format is chosen by file name: `.csv`/`.txt` with the declared `CsvMapping`, `.parquet`, and `.xml`
(Green Button ESPI). The first bad value stops the run with `BadInput(file, line, field, reason)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow.parquet as pq

from common.errors import BadInput
from common.timeutil import require_utc
from meterdata.csv_mapping import CsvMapping
from meterdata.csv_reader import read_csv
from meterdata.fsutil import base_name, ensure_parent, read_bytes, resolve, sha256_hex_of_bytes
from meterdata.greenbutton import read_greenbutton
from meterdata.parquet_reader import read_parquet
from meterdata.readings import ReadingColumns, ReadingWindow
from meterdata.specs import MeterSpec

PARQUET_ROW_GROUP_ROWS = 1 << 20


@dataclass(frozen=True)
class IngestedFile:
    name: str
    sha256_hex: str
    row_count: int
    size_bytes: int


@dataclass(frozen=True)
class IngestResult:
    intervals_uri: str
    files: list[IngestedFile] = field(default_factory=list)
    reading_count: int = 0


def read_file_bytes(
    data: bytes, name: str, sha256_hex: str, meters: Mapping[str, MeterSpec], mapping: CsvMapping,
    window: ReadingWindow, out: ReadingColumns,
) -> int:
    """Append one received file's readings to `out`; returns its data row count."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("csv", "txt"):
        return read_csv(data, name, sha256_hex, mapping, meters, window, out)
    if suffix == "parquet":
        return read_parquet(data, name, sha256_hex, meters, window, out)
    if suffix == "xml":
        return read_greenbutton(data, name, sha256_hex, meters, window, out)
    raise BadInput(name, None, None, f"unknown file type {suffix!r}: expected csv, txt, parquet or xml")


def ingest_files(
    paths: Sequence[str], meters: Mapping[str, MeterSpec], mapping: CsvMapping, out_uri: str,
    period_start_utc: datetime, period_end_utc: datetime, now_utc: datetime | None = None,
) -> IngestResult:
    """Read `paths`, write their readings sorted by meter, channel and interval start to `out_uri`.

    Readings must start in [period_start_utc, period_end_utc) and have ended by `now_utc` (default: now).
    """
    window = ReadingWindow(
        require_utc(period_start_utc, "period_start_utc"),
        require_utc(period_end_utc, "period_end_utc"),
        require_utc(now_utc or datetime.now(UTC), "now_utc"),
    )
    columns = ReadingColumns()
    files: list[IngestedFile] = []
    for path in paths:
        data = read_bytes(path)
        name = base_name(path)
        sha256_hex = sha256_hex_of_bytes(data)
        row_count = read_file_bytes(data, name, sha256_hex, meters, mapping, window, columns)
        files.append(IngestedFile(name, sha256_hex, row_count, len(data)))
    write_intervals(columns, out_uri)
    return IngestResult(intervals_uri=out_uri, files=files, reading_count=len(columns))


def write_intervals(columns: ReadingColumns, out_uri: str) -> None:
    table = columns.to_table()
    # Sorted by series so VEE can stream it one meter group at a time.
    table = table.sort_by([("meter_id", "ascending"), ("channel", "ascending"), ("interval_start_utc", "ascending")])
    filesystem, path = resolve(out_uri)
    ensure_parent(filesystem, path)
    pq.write_table(table, path, filesystem=filesystem, row_group_size=PARQUET_ROW_GROUP_ROWS, compression="zstd")
