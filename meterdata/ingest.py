"""Ingest: received files in, one normalized Parquet file (INTERVAL_SCHEMA) out. Pure: no database.

The format is chosen by the name a file was received under: `.csv`/`.txt` with the declared `CsvMapping`,
`.parquet`, and `.xml` (Green Button ESPI). The first bad value stops the run with `BadInput(file, line, field,
reason)` (an `InputFileRefused`, which also carries the file's sha256).

Inputs come in order of precedence: when several files carry readings for one (meter, channel, interval start),
only those of the last such file are kept, because a file received later is a correction. Two readings for one
interval inside one file are both kept, for VEE to flag as a duplicate.

Memory stays bounded for months of 5-minute data from tens of thousands of meters. CSV is parsed as it streams,
a block of lines at a time, into Arrow columns (meterdata.csv_reader); the other formats' readings are Python
values only `ROWS_PER_BATCH_MAX` at a time. Both are spilled to local Arrow files, one per bucket of meters
(contiguous meter ids, about `rows_per_bucket_max` expected readings each). Each bucket in turn is sorted,
thinned to its latest readings and appended to the output, so the output is sorted by meter, channel and
interval start and only one bucket is ever in memory.

The inputs are read FILE_WORKERS at a time (pyarrow and the numba kernel release the GIL); each input's readings
carry its position, so precedence does not depend on which finishes first, and a refusal is that of the first
refused input in order, as if they had been read one after another.
"""

from __future__ import annotations

import hashlib
import io
import math
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from campus import StorageAsset
from common import storage
from common.errors import BadInput
from common.timeutil import require_utc
from common.uri import resolve
from meterdata.csv_mapping import SITE_EXPORT_V1, CsvMapping
from meterdata.csv_reader import read_csv
from meterdata.fsutil import base_name
from meterdata.greenbutton import read_greenbutton
from meterdata.parquet_reader import read_parquet
from meterdata.readings import OutsidePeriod, ReadingColumns, ReadingSink, ReadingWindow, micros_from_datetime
from meterdata.schema import INTERVAL_SCHEMA
from meterdata.specs import MeterSpec
from meterdata.state_of_charge import ReadingFields, checked_sink

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

PARQUET_ROW_GROUP_ROWS = 1 << 20
ROWS_PER_BATCH_MAX = 1 << 18
"""Readings held as Python values before they become an Arrow batch (about 100 MB of lists)."""
ROWS_PER_BUCKET_MAX = 1 << 21
"""Expected readings per bucket, the most sorted in memory at once (about 100 MB as Arrow, twice that while
its latest readings are taken)."""
BUCKETS_MAX = 256
"""Open spill files at most; beyond it (30,000 5-minute meters over a month) buckets grow instead."""
READ_CHUNK_BYTES = 1 << 20
FILE_WORKERS = 2
INPUT_ORDER = "input_order"
# The spill keeps the input's position instead of its sha256 (one per input): 4 bytes a reading, not 68.
SPILL_SCHEMA = INTERVAL_SCHEMA.remove(INTERVAL_SCHEMA.get_field_index("source_sha256")).append(
    pa.field(INPUT_ORDER, pa.int32(), nullable=False))
LATEST_SCHEMA = INTERVAL_SCHEMA.set(
    INTERVAL_SCHEMA.get_field_index("source_sha256"),
    pa.field("source_sha256", pa.dictionary(pa.int32(), pa.string()), nullable=False))
"""INTERVAL_SCHEMA with the sha256 as a dictionary. Parquet stores it as the same string column, and the file is
written without the Arrow schema, so it reads back as INTERVAL_SCHEMA."""
SORT_KEYS = [("meter_id", "ascending"), ("channel", "ascending"), ("interval_start_utc", "ascending")]


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
    """Readings written: inside the period, latest of their interval."""
    reading_count_skipped: int = 0
    """Readings outside the period, left out (`outside_period="skip"`)."""
    reading_count_superseded: int = 0
    """Readings replaced by a later input's reading for the same meter, channel and interval."""


@dataclass(frozen=True)
class InputFile:
    """One file to ingest: where its bytes are, the name it was received under (its suffix picks the format,
    and BadInput names it), for a raw-store file its sha256 (the bytes read are checked against it), and the CSV
    mapping a CSV file is read with (a stored file's is the layout it was received with)."""

    uri: str
    name: str
    sha256_hex: str | None = None
    mapping: CsvMapping = SITE_EXPORT_V1


class InputFileRefused(BadInput):
    """BadInput from one input file, with that file's sha256, so the caller can quarantine exactly that file."""

    def __init__(self, error: BadInput, sha256_hex: str) -> None:
        super().__init__(error.source, error.line, error.field, error.reason)
        self.sha256_hex = sha256_hex


def read_file_bytes(
    data: bytes, name: str, sha256_hex: str, meters: Mapping[str, MeterSpec], mapping: CsvMapping,
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """Append one received file's readings to `out`; returns its data row count."""
    suffix = _suffix(name)
    if suffix in ("csv", "txt"):
        return read_csv(data, name, sha256_hex, mapping, meters, window, out)
    if suffix == "parquet":
        return read_parquet(data, name, sha256_hex, meters, window, out)
    if suffix == "xml":
        return read_greenbutton(data, name, sha256_hex, meters, window, out)
    raise BadInput(name, None, None, f"unknown file type {suffix!r}: expected csv, txt, parquet or xml")


def read_file_uri(
    uri: str, name: str, sha256_hex: str, meters: Mapping[str, MeterSpec], mapping: CsvMapping,
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """Append the readings of the file at `uri` to `out`, streamed in every format (memory does not grow with
    the file); returns its data row count."""
    suffix = _suffix(name)
    filesystem, path = resolve(uri)
    if suffix in ("csv", "txt"):
        with filesystem.open_input_stream(path) as stream:
            return read_csv(stream, name, sha256_hex, mapping, meters, window, out)
    if suffix == "parquet":
        with filesystem.open_input_file(path) as random_access:
            return read_parquet(random_access, name, sha256_hex, meters, window, out)
    if suffix == "xml":
        return read_greenbutton(lambda: filesystem.open_input_stream(path), name, sha256_hex, meters, window, out)
    raise BadInput(name, None, None, f"unknown file type {suffix!r}: expected csv, txt, parquet or xml")


def ingest_files(
    inputs: Sequence[str | InputFile], meters: Mapping[str, MeterSpec], mapping: CsvMapping, out_uri: str,
    period_start_utc: datetime, period_end_utc: datetime, now_utc: datetime | None = None,
    outside_period: OutsidePeriod = "refuse", rows_per_bucket_max: int = ROWS_PER_BUCKET_MAX,
    storage: Sequence[StorageAsset] = (),
) -> IngestResult:
    """Read `inputs` (paths, or InputFiles) in order of precedence and write the latest reading of each meter,
    channel and interval, sorted by meter, channel and interval start, to `out_uri`. CSV paths are read with
    `mapping`; an InputFile with its own.

    Readings must have ended by `now_utc` (default: now). One starting outside [period_start_utc,
    period_end_utc) is refused, or left out when `outside_period="skip"` (files from the meter-data store).
    `storage`: the campus's batteries; their state-of-charge channels are kept as levels and checked
    (meterdata.state_of_charge).
    """
    window = ReadingWindow(
        require_utc(period_start_utc, "period_start_utc"),
        require_utc(period_end_utc, "period_end_utc"),
        require_utc(now_utc or datetime.now(UTC), "now_utc"),
        outside_period,
    )
    files = [item if isinstance(item, InputFile) else InputFile(item, base_name(item), mapping=mapping)
             for item in inputs]
    bucket_of = meter_buckets(meters, window.period_start_utc, window.period_end_utc, rows_per_bucket_max)
    with tempfile.TemporaryDirectory(prefix="wattledger-ingest-") as spill_dir:
        spill = BucketSpill(Path(spill_dir), bucket_of)
        try:
            with ThreadPoolExecutor(min(FILE_WORKERS, max(1, len(files))), thread_name_prefix="ingest") as pool:
                reads = [pool.submit(_read_input, file, order, meters, window, spill, storage)
                         for order, file in enumerate(files)]
                # In input order: the first refused input is the one reported, as in a sequential read.
                ingested = [read.result() for read in reads]
        finally:
            spill.close()
        sha256_hex_by_input = [file.sha256_hex for file in ingested]
        reading_count, superseded_count = _write_latest(spill, sha256_hex_by_input, out_uri)
    return IngestResult(out_uri, ingested, reading_count, spill.skipped_count, superseded_count)


def meter_buckets(meters: Mapping[str, MeterSpec], period_start_utc: datetime, period_end_utc: datetime,
                  rows_per_bucket_max: int) -> dict[str, int]:
    """Meter id -> bucket: contiguous runs of meter ids, sized by the readings each meter should send over the
    period (one channel each), about `rows_per_bucket_max` per bucket and at most BUCKETS_MAX buckets."""
    assert rows_per_bucket_max > 0
    period_minutes = max(1, (period_end_utc - period_start_utc) // timedelta(minutes=1))
    meter_ids = sorted(meters)
    expected = [period_minutes // meters[meter_id].interval_minutes + 1 for meter_id in meter_ids]
    total = sum(expected)
    bucket_count = min(BUCKETS_MAX, max(1, math.ceil(total / rows_per_bucket_max)))
    buckets: dict[str, int] = {}
    before = 0
    for meter_id, count in zip(meter_ids, expected, strict=True):
        buckets[meter_id] = before * bucket_count // max(1, total)
        before += count
    return buckets


class BucketSpill:
    """Readings of every input, appended to one Arrow IPC file per bucket of meters, in `SPILL_SCHEMA`."""

    def __init__(self, folder: Path, bucket_of: Mapping[str, int]) -> None:
        self.folder = folder
        self.bucket_of = bucket_of
        self.bucket_count = max(bucket_of.values(), default=0) + 1
        self.writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        self.skipped_count = 0
        # Inputs are read on several threads; one spill file takes one writer at a time.
        self.lock = threading.Lock()

    def path(self, bucket: int) -> Path:
        return self.folder / f"bucket-{bucket:04d}.arrow"

    def write(self, table: pa.Table) -> None:
        meter = pc.dictionary_encode(table["meter_id"]).combine_chunks()
        names = meter.dictionary.to_pylist()
        unknown = [name for name in names if name not in self.bucket_of]
        assert not unknown, f"readers append only registered meters, got {unknown[:3]}"
        bucket_codes = np.array([self.bucket_of[name] for name in names], dtype=np.int32)
        row_bucket = bucket_codes[meter.indices.to_numpy()]
        if row_bucket.size and row_bucket.min() == row_bucket.max():
            parts = [(int(row_bucket[0]), table)]  # a block of a sorted export: mostly one bucket, no sort
        else:
            buckets = np.unique(row_bucket).tolist()
            parts = [(bucket, table.filter(pa.array(row_bucket == bucket))) for bucket in buckets]
        with self.lock:
            for bucket, part in parts:
                self._writer(bucket).write_table(part)

    def skip(self, count: int) -> None:
        with self.lock:
            self.skipped_count += count

    def _writer(self, bucket: int) -> pa.ipc.RecordBatchFileWriter:
        if bucket not in self.writers:
            # lz4: a fraction of the Arrow size on the worker's disk at several times the speed of zstd.
            options = pa.ipc.IpcWriteOptions(compression="lz4")
            self.writers[bucket] = pa.ipc.new_file(str(self.path(bucket)), SPILL_SCHEMA, options=options)
        return self.writers[bucket]

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def bucket_tables(self) -> Iterator[pa.Table]:
        for bucket in range(self.bucket_count):
            if bucket in self.writers:
                with pa.memory_map(str(self.path(bucket))) as source:
                    yield pa.ipc.open_file(source).read_all()


class SpillSink:
    """What the readers append to: leaves out readings the window does not hold, batches the rest for the
    spill, each batch tagged with the input's position (its precedence)."""

    def __init__(self, spill: BucketSpill, window: ReadingWindow, input_order: int) -> None:
        self.spill = spill
        self.window = window
        self.input_order = input_order
        self.columns = ReadingColumns()
        self.period_us = (micros_from_datetime(window.period_start_utc), micros_from_datetime(window.period_end_utc))

    def append(self, meter_id: str, channel: str, start_utc: datetime, interval_minutes: int, energy_wh: int,
               quality: int, source_sha256: str, source_row: int) -> None:
        if not self.window.holds(start_utc):
            self.spill.skip(1)
            return
        self.columns.append(meter_id, channel, start_utc, interval_minutes, energy_wh, quality, source_sha256,
                            source_row)
        if len(self.columns) >= ROWS_PER_BATCH_MAX:
            self.flush()

    def extend(self, batch: pa.Table, source_sha256: str) -> None:
        """A block of readings (READING_BATCH_SCHEMA) straight to the spill, without the window's outsiders."""
        start_us = batch["interval_start_utc"].cast(pa.int64()).to_numpy()
        holds = (start_us >= self.period_us[0]) & (start_us < self.period_us[1])
        if not holds.all():
            self.spill.skip(int(holds.size - np.count_nonzero(holds)))
            batch = batch.filter(pa.array(holds))
        order = pa.array(np.full(batch.num_rows, self.input_order, dtype=np.int32))
        self.spill.write(batch.append_column(SPILL_SCHEMA.field(INPUT_ORDER), order))

    def flush(self) -> None:
        if len(self.columns) == 0:
            return
        self.spill.write(spill_table(self.columns, self.input_order))
        self.columns = ReadingColumns()


def spill_table(columns: ReadingColumns, input_order: int) -> pa.Table:
    """One input's readings in SPILL_SCHEMA (their source_sha256 is the input's, kept once by the caller)."""
    table = columns.to_table().drop_columns(["source_sha256"])
    order = pa.array(np.full(table.num_rows, input_order, dtype=np.int32))
    return table.append_column(SPILL_SCHEMA.field(INPUT_ORDER), order)


def reading_fields(name: str, mapping: CsvMapping) -> ReadingFields:
    """The value and channel fields of a file of this name, as an error names them."""
    suffix = _suffix(name)
    if suffix in ("csv", "txt"):
        return ReadingFields(mapping.value_column, mapping.channel_column or "channel")
    if suffix == "parquet":
        return ReadingFields("energy_wh", "channel")
    return ReadingFields("value", "ReadingType")


def _read_input(file: InputFile, input_order: int, meters: Mapping[str, MeterSpec], window: ReadingWindow,
                spill: BucketSpill, assets: Sequence[StorageAsset]) -> IngestedFile:
    mapping = file.mapping
    spill_sink = SpillSink(spill, window, input_order)
    sink = checked_sink(spill_sink, assets, file.name, reading_fields(file.name, mapping))
    sha256_hex = file.sha256_hex or _sha256_hex_of_uri(file.uri)
    try:
        if _suffix(file.name) in ("csv", "txt"):
            row_count, size_bytes = _read_csv_streaming(file, sha256_hex, meters, mapping, window, sink)
        else:
            # Hashed in one streamed pass, then parsed in others: neither holds the file.
            _check_sha256(file.name, sha256_hex, _sha256_hex_of_uri(file.uri))
            filesystem, path = resolve(file.uri)
            size_bytes = filesystem.get_file_info(path).size or 0
            row_count = read_file_uri(file.uri, file.name, sha256_hex, meters, mapping, window, sink)
    except BadInput as error:
        raise InputFileRefused(error, sha256_hex) from error
    spill_sink.flush()
    return IngestedFile(file.name, sha256_hex, row_count, size_bytes)


def _read_csv_streaming(file: InputFile, sha256_hex: str, meters: Mapping[str, MeterSpec], mapping: CsvMapping,
                        window: ReadingWindow, sink: ReadingSink) -> tuple[int, int]:
    """Parse as the bytes stream in, hashing them on the way; the csv reader reads to the end of the file."""
    filesystem, path = resolve(file.uri)
    with filesystem.open_input_stream(path) as stream:
        hashing = HashingReader(stream)
        buffered = io.BufferedReader(hashing, READ_CHUNK_BYTES)
        row_count = read_csv(buffered, file.name, sha256_hex, mapping, meters, window, sink)
    _check_sha256(file.name, sha256_hex, hashing.digest.hexdigest())
    return row_count, hashing.size_bytes


class HashingReader(io.RawIOBase):
    """A readable stream that hashes what passes through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)
        chunk = self.stream.read(len(view))
        view[: len(chunk)] = chunk
        self.digest.update(chunk)
        self.size_bytes += len(chunk)
        return len(chunk)


def _sha256_hex_of_uri(uri: str) -> str:
    filesystem, path = resolve(uri)
    digest = hashlib.sha256()
    with filesystem.open_input_stream(path) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(name: str, expected_hex: str, read_hex: str) -> None:
    # Every reading names its file's hash; bytes that no longer match it must not be billed under that name.
    if read_hex != expected_hex:
        raise BadInput(name, None, None, f"bytes read have sha256 {read_hex}, the file was stored as {expected_hex}")


def _suffix(name: str) -> str:
    return name.lower().rsplit(".", 1)[-1] if "." in name else ""


def latest_readings(table: pa.Table, sha256_hex_by_input: Sequence[str]) -> pa.Table:
    """`table` (SPILL_SCHEMA) sorted by meter, channel and interval start, keeping for each interval only the
    readings of the last input that has one (highest `input_order`); returned in INTERVAL_SCHEMA, each reading
    with the sha256 of its input."""
    return _latest(table, sha256_hex_by_input).cast(INTERVAL_SCHEMA)


def _latest(table: pa.Table, sha256_hex_by_input: Sequence[str]) -> pa.Table:
    """latest_readings in LATEST_SCHEMA."""
    if table.num_rows == 0:
        return LATEST_SCHEMA.empty_table()
    table = table.combine_chunks()
    # Keys as integers: meter and channel as the rank of their text, so integer order is text order.
    meter = _text_ranks(table["meter_id"])
    channel = _text_ranks(table["channel"])
    start_us = table["interval_start_utc"].cast(pa.int64()).to_numpy()
    order = table[INPUT_ORDER].to_numpy()
    source_row = table["source_row"].to_numpy()
    keys = (meter, channel, start_us, order, source_row)
    # A site export sorted by meter and time arrives in order: then no sort and no copy.
    order_index = None if _is_sorted(keys) else np.lexsort(keys[::-1])
    if order_index is not None:
        meter, channel, start_us, order = (key[order_index] for key in keys[:4])
    new_key = np.ones(meter.size, dtype=bool)
    new_key[1:] = (meter[1:] != meter[:-1]) | (channel[1:] != channel[:-1]) | (start_us[1:] != start_us[:-1])
    key_index = np.cumsum(new_key) - 1
    key_last_row = np.append(np.flatnonzero(new_key)[1:] - 1, meter.size - 1)
    # Sorted by input order within a key, so a key's last row holds the latest input that carries it.
    keep = order == order[key_last_row][key_index]
    if order_index is None and keep.all():
        rows = table
    else:
        taken = np.flatnonzero(keep) if order_index is None else order_index[keep]
        rows = table.take(pa.array(taken))
    # The sha256 as a dictionary over the inputs: 4 bytes a reading instead of 64 until Parquet stores it.
    source_sha256 = pa.DictionaryArray.from_arrays(rows[INPUT_ORDER].combine_chunks(),
                                                   pa.array(sha256_hex_by_input, pa.string()))
    columns = [source_sha256 if name == "source_sha256" else rows[name] for name in INTERVAL_SCHEMA.names]
    return pa.Table.from_arrays(columns, schema=LATEST_SCHEMA)


def _text_ranks(column: pa.ChunkedArray) -> npt.NDArray[np.int64]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    rank = np.argsort(np.argsort(np.array(encoded.dictionary.to_pylist(), dtype=object)))
    ranks: npt.NDArray[np.int64] = np.asarray(rank, np.int64)[encoded.indices.to_numpy()]
    return ranks


def _is_sorted(keys: tuple[npt.NDArray[Any], ...]) -> bool:
    """True when rows are in ascending lexicographic order of `keys` (first key most significant)."""
    ordered = np.ones(keys[0].size - 1, dtype=bool)
    tied = np.ones(keys[0].size - 1, dtype=bool)
    ordered[:] = False
    for key in keys:
        step = key[1:].astype(np.int64) - key[:-1]
        ordered |= tied & (step > 0)
        tied &= step == 0
    return bool((ordered | tied).all())


def _write_latest(spill: BucketSpill, sha256_hex_by_input: Sequence[str], out_uri: str) -> tuple[int, int]:
    """Append each bucket's latest readings to `out_uri`; returns (readings written, readings superseded)."""
    written = superseded = 0
    # The next bucket's latest readings are taken while this one is compressed and written (both mostly outside
    # the GIL): two buckets in memory at most. The file appears whole or not at all (common.storage).
    with storage.atomic_output(out_uri) as stream, \
            pq.ParquetWriter(stream, LATEST_SCHEMA, compression="zstd", store_schema=False) as writer, \
            ThreadPoolExecutor(1, thread_name_prefix="latest") as pool:
        pending: Future[tuple[pa.Table, int]] | None = None
        for table in spill.bucket_tables():
            taking = pool.submit(lambda spilled: (_latest(spilled, sha256_hex_by_input), spilled.num_rows), table)
            if pending is not None:
                written, superseded = _write_bucket(writer, *pending.result(), written, superseded)
            pending = taking
        if pending is not None:
            written, superseded = _write_bucket(writer, *pending.result(), written, superseded)
    return written, superseded


def _write_bucket(writer: pq.ParquetWriter, latest: pa.Table, spilled_count: int, written: int,
                  superseded: int) -> tuple[int, int]:
    writer.write_table(latest, row_group_size=PARQUET_ROW_GROUP_ROWS)
    return written + latest.num_rows, superseded + spilled_count - latest.num_rows


def write_intervals(columns: ReadingColumns, out_uri: str) -> None:
    table = columns.to_table()
    # Sorted by series so VEE can stream it one meter group at a time.
    table = table.sort_by(SORT_KEYS)
    with storage.atomic_output(out_uri) as stream:
        pq.write_table(table, stream, row_group_size=PARQUET_ROW_GROUP_ROWS, compression="zstd")
