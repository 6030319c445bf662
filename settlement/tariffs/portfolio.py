"""Many meters' loads for one tariff, read one meter at a time: a folder of load CSVs (one meter per file, named
by the file's stem) or a Parquet file of meter x interval.

The Parquet file has the interval schema's columns `meter_id` (text), `interval_start_utc` (a timestamp with a
zone) and `energy_wh` (an integer), one row per meter and interval, each meter's rows together and in time order
(as `meterdata` writes them); other columns are ignored. It is read a batch at a time, so a portfolio of any
size is held one meter at a time. A bad row is refused naming the file, its row (1-based) and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.errors import BadInput
from settlement.tariffs.bill import LoadSeries
from settlement.tariffs.load_columnar import US_PER_MINUTE, UTC_US_END, UTC_US_MIN
from settlement.tariffs.load_file import ENERGY_KWH_PER_ROW_MAX, ROWS_MAX, read_load_csv

PARQUET_COLUMNS = ("meter_id", "interval_start_utc", "energy_wh")
WH_PER_KWH = 1000
BATCH_ROWS = 1 << 20


def meter_loads(path: Path) -> Iterator[tuple[str, LoadSeries]]:
    """(meter, load) for each meter under `path`: a folder of CSVs (by file name) or a Parquet file (in file
    order)."""
    if path.is_dir():
        return _folder_loads(path)
    return _parquet_loads(path)


def _folder_loads(folder: Path) -> Iterator[tuple[str, LoadSeries]]:
    files = sorted(path for path in folder.iterdir() if path.suffix.lower() == ".csv" and path.is_file())
    if not files:
        raise BadInput(str(folder), None, None, "no .csv load files in the folder")
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(str(path), None, None, f"cannot read: {error}") from error
        yield path.stem, read_load_csv(str(path), text)


def _parquet_loads(path: Path) -> Iterator[tuple[str, LoadSeries]]:
    source = str(path)
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise BadInput(source, None, None, f"not readable as Parquet: {error}") from error
    for column in PARQUET_COLUMNS:
        if column not in schema.names:
            raise BadInput(source, None, column, "column missing")
    _check_types(source, schema)
    parquet = pq.ParquetFile(path, read_dictionary=["meter_id"])  # meters as codes: compared as integers
    done: set[str] = set()
    meter: str | None = None
    parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    first_row = 1  # of the current meter, 1-based
    row = 1
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(PARQUET_COLUMNS)):
        codes, names, starts, energy = _batch_columns(source, batch, row)
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        for begin, end in zip([0, *change.tolist()], [*change.tolist(), codes.size], strict=True):
            name = names[int(codes[begin])]
            if name != meter:
                if meter is not None:
                    yield meter, _series(source, meter, first_row, parts)
                    done.add(meter)
                if name in done:
                    raise BadInput(source, row + begin, "meter_id", f"the rows of meter {name!r} are not together: "
                                   "sort the file by meter")
                meter, parts, first_row = name, [], row + begin
            parts.append((starts[begin:end], energy[begin:end]))
        row += batch.num_rows
    if meter is None:
        raise BadInput(source, None, None, "no data rows")
    yield meter, _series(source, meter, first_row, parts)


def _check_types(source: str, schema: pa.Schema) -> None:
    if not pa.types.is_string(schema.field("meter_id").type) and \
            not pa.types.is_large_string(schema.field("meter_id").type) and \
            not pa.types.is_dictionary(schema.field("meter_id").type):
        raise BadInput(source, None, "meter_id", f"{schema.field('meter_id').type} is not text")
    start_type = schema.field("interval_start_utc").type
    if not pa.types.is_timestamp(start_type) or start_type.tz is None:
        raise BadInput(source, None, "interval_start_utc", f"{start_type} is not a timestamp with a time zone")
    if not pa.types.is_integer(schema.field("energy_wh").type):
        raise BadInput(source, None, "energy_wh", f"{schema.field('energy_wh').type} is not an integer")


def _batch_columns(source: str, batch: pa.RecordBatch, first_row: int) -> tuple[
        npt.NDArray[np.int64], list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Meter codes and the names they index, starts (µs UTC) and energy (Wh) of a batch; a null, a start outside
    the years or an energy out of range is refused by row."""
    for column in PARQUET_COLUMNS:
        nulls = batch.column(column).is_null()
        if pc.any(nulls).as_py():
            raise BadInput(source, first_row + _first(nulls.to_numpy(zero_copy_only=False)), column, "empty")
    meters = batch.column("meter_id")
    encoded = meters if pa.types.is_dictionary(meters.type) else pc.dictionary_encode(meters)
    codes = encoded.indices.cast(pa.int64()).to_numpy()
    names = [str(name) for name in encoded.dictionary.cast(pa.string()).to_pylist()]
    starts = _cast(source, batch, "interval_start_utc", pa.timestamp("us", tz="UTC")).cast(pa.int64())
    starts = starts.to_numpy()
    outside = (starts < UTC_US_MIN) | (starts >= UTC_US_END)
    if outside.any():
        raise BadInput(source, first_row + _first(outside), "interval_start_utc", "the year must be 1900 to 2999")
    energy = _cast(source, batch, "energy_wh", pa.int64()).to_numpy()
    bad = (energy < 0) | (energy > ENERGY_KWH_PER_ROW_MAX * WH_PER_KWH)
    if bad.any():
        at = _first(bad)
        raise BadInput(source, first_row + at, "energy_wh", f"{int(energy[at])} is not an energy from 0 to "
                       f"{ENERGY_KWH_PER_ROW_MAX * WH_PER_KWH} Wh")
    return codes, names, starts, energy


def _cast(source: str, batch: pa.RecordBatch, field: str, to: pa.DataType) -> pa.Array:
    try:
        return batch.column(field).cast(to)
    except pa.ArrowInvalid as error:  # nanoseconds a microsecond cannot hold, an unsigned value over 2**63
        raise BadInput(source, None, field, f"cannot be read as {to}: {error}") from error


def _first(flags: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(flags)[0])


def _series(source: str, meter: str, first_row: int,
            parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]) -> LoadSeries:
    """One meter's rows as a load series: starts strictly increasing in whole minutes; the interval length is the
    largest divisor of an hour dividing every step (as for a CSV)."""
    starts = np.concatenate([part[0] for part in parts])
    energy = np.concatenate([part[1] for part in parts])
    if starts.size > ROWS_MAX:
        raise BadInput(source, first_row + ROWS_MAX, None, f"meter {meter!r} has more than {ROWS_MAX} rows")
    steps = np.diff(starts)
    if (steps <= 0).any():
        raise BadInput(source, first_row + 1 + _first(steps <= 0), "interval_start_utc",
                       f"not after meter {meter!r}'s previous row (duplicate or disorder)")
    if (steps % US_PER_MINUTE).any():
        raise BadInput(source, first_row + 1 + _first((steps % US_PER_MINUTE) != 0), "interval_start_utc",
                       "the step from the previous row is not a whole number of minutes")
    minutes = math.gcd(60, int(np.gcd.reduce(steps // US_PER_MINUTE)) if steps.size else 60)
    return LoadSeries(starts_utc_us=starts, energy_units=energy.astype(np.int64),
                      interval_minutes=np.full(starts.size, minutes, dtype=np.int64), units_per_kwh=WH_PER_KWH)
