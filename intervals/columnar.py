"""Sums over interval rows as arrays: Wh per meter and UTC hour (or local day), without a Python object per row.

A `MeterPeriodSums` holds one entry per meter and period (hour or day) that has rows: a meter index, a period
index and the exact int64 Wh sum. Meters are numbered by the order the caller asks for (or sorted), periods
ascend, so `dense()` gives a meters x periods matrix that numpy can sum per role, tenant or hour in one call.
Rows are keyed by integers (the meter's position in the column's dictionary and the hour number since 1970),
never by strings or datetimes, and summed in int64 by one compiled pass (`intervals.kernels`), so the sums are
exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from intervals.kernels import dense_sums, period_bounds

MICROS_PER_HOUR = 3_600_000_000
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
NOT_SELECTED = -1
DENSE_KEYS_PER_ROW_MAX = 4
DENSE_KEYS_MIN = 1 << 16


@dataclass(frozen=True)
class MeterPeriodSums:
    """Wh per meter and period, one entry per pair that has rows.

    `period_numbers` are hour numbers since 1970-01-01T00:00Z (UTC hours) or day numbers since 1970-01-01
    (local days), ascending; entry `i` is meter `meter_ids[meter_index[i]]` in period
    `period_numbers[period_index[i]]`, `energy_wh[i]` Wh.
    """

    meter_ids: tuple[str, ...]
    period_numbers: np.ndarray
    meter_index: np.ndarray
    period_index: np.ndarray
    energy_wh: np.ndarray

    def dense(self) -> np.ndarray:
        """int64 matrix meters x periods (0 where a meter has no rows in a period)."""
        matrix = np.zeros((len(self.meter_ids), len(self.period_numbers)), dtype=np.int64)
        matrix[self.meter_index, self.period_index] = self.energy_wh
        return matrix

    def hour_starts_utc(self) -> list[datetime]:
        """The periods as UTC hour starts (for sums by hour)."""
        return [EPOCH_UTC + timedelta(hours=int(number)) for number in self.period_numbers]

    def days(self) -> list[date]:
        """The periods as calendar days (for sums by local day)."""
        return [EPOCH_DATE + timedelta(days=int(number)) for number in self.period_numbers]

    def nested(self, periods: Sequence[object]) -> dict[str, dict[object, int]]:
        """`{meter_id: {period: Wh}}` for small tables and tests; `periods` labels `period_numbers`."""
        nested: dict[str, dict[object, int]] = {}
        for meter, period, energy_wh in zip(self.meter_index.tolist(), self.period_index.tolist(),
                                            self.energy_wh.tolist(), strict=True):
            nested.setdefault(self.meter_ids[meter], {})[periods[period]] = energy_wh
        return nested


def meter_hour_sums_from_mapping(energy_wh: Mapping[str, Mapping[datetime, int]]) -> MeterPeriodSums:
    """The arrays of `{meter_id: {UTC hour start: Wh}}`, meters sorted (for callers that build hours by hand)."""
    meter_ids = tuple(sorted(energy_wh))
    entries = [(index, (hour - EPOCH_UTC) // timedelta(hours=1), wh)
               for index, meter_id in enumerate(meter_ids) for hour, wh in energy_wh[meter_id].items()]
    numbers = np.array(sorted({number for _, number, _ in entries}), dtype=np.int64)
    return MeterPeriodSums(
        meter_ids,
        numbers,
        np.array([meter for meter, _, _ in entries], dtype=np.int64),
        np.searchsorted(numbers, np.array([number for _, number, _ in entries], dtype=np.int64)),
        np.array([wh for _, _, wh in entries], dtype=np.int64),
    )


def meter_codes(table: pa.Table) -> tuple[np.ndarray, list[str]]:
    """Per row, the index of its meter in the returned list of distinct meter ids (a dictionary column's own
    dictionary, unified across row groups; a plain column is encoded first)."""
    column = table.column("meter_id")
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    combined = column.unify_dictionaries().combine_chunks() if column.num_chunks else None
    if combined is None or len(combined) == 0:
        return np.zeros(0, dtype=np.int64), []
    # The dictionary's own indices (int32, a view): an int64 copy would be 8 bytes a row.
    indices = np.asarray(combined.indices.to_numpy(zero_copy_only=False))
    return indices, combined.dictionary.to_pylist()


@dataclass(frozen=True)
class MeterRows:
    """Per row of a table, the index of its meter in `meter_ids` (int32; NOT_SELECTED for a meter not asked for), and
    every distinct meter id that has rows (`seen_meter_ids`). Computed once, shared by every sum of a read."""

    meter_of_row: np.ndarray
    meter_ids: tuple[str, ...]
    seen_meter_ids: tuple[str, ...]

    def selected(self) -> np.ndarray:
        """bool per row: its meter was asked for."""
        return np.asarray(self.meter_of_row != NOT_SELECTED)


def meter_rows(table: pa.Table, meter_ids: Sequence[str] | None = None) -> MeterRows:
    """Number the rows' meters as `meter_ids` (every meter of the table, sorted, when None)."""
    codes, dictionary = meter_codes(table)
    present = np.bincount(codes, minlength=len(dictionary)) > 0
    seen = tuple(meter_id for meter_id, is_present in zip(dictionary, present.tolist(), strict=True) if is_present)
    numbered = tuple(sorted(seen)) if meter_ids is None else tuple(meter_ids)
    position = {meter_id: index for index, meter_id in enumerate(numbered)}
    lookup = np.array([position.get(meter_id, NOT_SELECTED) for meter_id in dictionary], dtype=np.int32)
    return MeterRows(lookup[codes] if codes.size else codes.astype(np.int32), numbered, seen)


def meter_hour_sums(table: pa.Table, meter_ids: Sequence[str] | None = None, rows: MeterRows | None = None
                    ) -> MeterPeriodSums:
    """Wh per meter and UTC hour (the hour each interval starts in); only `meter_ids` when given (or the
    meters `rows`, numbered already, asked for)."""
    starts_us = _int64(table.column("interval_start_utc"))
    return _sums(table, rows or meter_rows(table, meter_ids), starts_us, MICROS_PER_HOUR)


def meter_cell_sums(table: pa.Table, cell_minutes: int, meter_ids: Sequence[str] | None = None) -> MeterPeriodSums:
    """Wh per meter and UTC cell of `cell_minutes` (cell numbers since 1970-01-01T00:00Z): the cell each interval
    starts in, as `meter_hour_sums` does for hours."""
    starts_us = _int64(table.column("interval_start_utc"))
    return _sums(table, meter_rows(table, meter_ids), starts_us, cell_minutes * 60_000_000)


def meter_local_day_sums(table: pa.Table, time_zone: str, meter_ids: Sequence[str] | None = None,
                         rows: MeterRows | None = None) -> MeterPeriodSums:
    """Wh per meter and local calendar day of `time_zone` in which each interval begins (a day across a
    daylight-saving change has 23 or 25 hours of intervals); only `meter_ids` (or `rows`) as for hours."""
    starts_utc = table.column("interval_start_utc")
    local_days = pc.cast(pc.local_timestamp(pc.cast(starts_utc, pa.timestamp("us", tz=time_zone))), pa.date32())
    return _sums(table, rows or meter_rows(table, meter_ids), _int64(local_days), 1)


def _int64(column: pa.ChunkedArray) -> np.ndarray:
    if column.num_chunks == 0:
        return np.zeros(0, dtype=np.int64)
    values = column.combine_chunks().to_numpy(zero_copy_only=False)
    # Timestamps and dates as their integer counts: a view where the width is already 8 bytes, not a copy.
    if values.dtype.kind in "Mm":
        return np.asarray(values.view(np.int64))
    return np.asarray(values, dtype=np.int64)


def _sums(table: pa.Table, rows: MeterRows, period_key: np.ndarray, divisor: int) -> MeterPeriodSums:
    """Sum each selected row's Wh into its (meter, period) cell; a row's period is `period_key // divisor`."""
    empty = np.zeros(0, dtype=np.int64)
    first, last, selected = period_bounds(rows.meter_of_row, period_key, divisor)
    if selected == 0:
        return MeterPeriodSums(rows.meter_ids, empty, empty, empty, empty)
    span = last - first + 1
    energy_wh = _int64(table.column("energy_wh"))
    if len(rows.meter_ids) * span > DENSE_KEYS_PER_ROW_MAX * selected + DENSE_KEYS_MIN:
        return _sparse_sums(rows, period_key // divisor, energy_wh, first, span)
    sums, counts = dense_sums(rows.meter_of_row, period_key, divisor, energy_wh, first, span, len(rows.meter_ids))
    occurring = np.flatnonzero(counts)
    return _entries(rows.meter_ids, occurring.astype(np.int64), sums[occurring], first, span)


def _sparse_sums(rows: MeterRows, period_of_row: np.ndarray, energy_wh: np.ndarray, first: int, span: int
                 ) -> MeterPeriodSums:
    """Few rows over a wide grid (a few meters over years): sort the occurring cells instead of a dense grid."""
    keep = rows.selected()
    key = rows.meter_of_row[keep].astype(np.int64) * span + (period_of_row[keep] - first)
    order = np.argsort(key, kind="stable")
    key, energy_wh = key[order], energy_wh[keep][order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    return _entries(rows.meter_ids, key[starts], np.add.reduceat(energy_wh, starts).astype(np.int64), first, span)


def _entries(meter_ids: tuple[str, ...], cells: np.ndarray, energy_wh: np.ndarray, first: int, span: int
             ) -> MeterPeriodSums:
    offsets = cells % span
    period_numbers = np.unique(offsets)
    return MeterPeriodSums(meter_ids, period_numbers + first, cells // span, np.searchsorted(period_numbers, offsets),
                           energy_wh)


def meter_quality_bits(table: pa.Table, meter_ids: Sequence[str] | None = None, rows: MeterRows | None = None
                       ) -> tuple[tuple[str, ...], np.ndarray]:
    """The OR of every row's quality bits per meter (uint8; 0 for a meter whose every row is measured, or that
    has no rows), meters numbered as `meter_ids` (or sorted, or as `rows` numbered them)."""
    rows = rows or meter_rows(table, meter_ids)
    meter_of_row = rows.meter_of_row
    bits = np.zeros(len(rows.meter_ids), dtype=np.uint8)
    # uint8 as stored (a view): an int64 copy would be 8 bytes a row.
    quality = table.column("quality").combine_chunks().to_numpy(zero_copy_only=False) if table.num_rows else \
        np.zeros(0, dtype=np.uint8)
    selected = rows.selected()
    # A handful of distinct codes: one vectorised pass per code, not one Python step per row.
    for code in np.unique(quality[selected & (quality != 0)]).tolist():
        bits[np.unique(meter_of_row[selected & (quality == code)])] |= np.uint8(code)
    return rows.meter_ids, bits
