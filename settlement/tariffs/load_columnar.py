"""The load CSV read columnar: pyarrow's CSV reader splits the file, numpy checks and converts whole columns.

Only plain files take this path, and it gives exactly what the row reader (`load_file.read_load_csv`) gives
them: the header names `interval_start` and `energy_kwh` (the last column of that name, as csv.DictReader keeps
it); no quote, NUL or lone carriage return, and no line longer than the csv module's field limit; every row has
the header's columns (a blank line is a row of empty fields, which the checks below refuse); every
`interval_start` is `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM`/`-HH:MM` (a real date and time, the local and the
UTC year within `common.bounds`); every `energy_kwh` is digits with at most one point, at most `decimals_max`
decimals and at most `energy_kwh_max`; starts strictly increase in whole minutes; the total fits in 64 bits.
Anything else returns None and the caller reads the file row by row, which refuses the first bad row naming
file, line and field as it always has (or reads a shape this path leaves out, such as a quoted field or `1e3`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from common.bounds import INT64_MAX, YEAR_MAX, YEAR_MIN
from settlement.tariffs.bill import LoadSeries

Array: TypeAlias = npt.NDArray[Any]

FIELD_CHARS_MAX = 131_072
"""Python's csv field limit: a longer line goes to the row reader, which refuses it as the csv module does."""
VALUE_CHARS_MAX = 18
"""A plain energy at most 1,000,000 kWh with 9 decimals has 17 characters; more means leading zeros or worse."""
US_PER_MINUTE = 60_000_000
US_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UTC_US_MIN = (datetime(YEAR_MIN, 1, 1, tzinfo=UTC) - _EPOCH).days * US_PER_DAY
UTC_US_END = (datetime(YEAR_MAX + 1, 1, 1, tzinfo=UTC) - _EPOCH).days * US_PER_DAY
BLOCK_ROWS = 16_384
"""Rows checked and converted at a time: the temporaries stay small enough for the allocator to reuse, where
whole-column ones would be fresh pages each time, which cost more than the arithmetic on them."""
POW10 = np.array([10**power for power in range(19)], dtype=np.int64)
_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]  # YYYY-MM-DDTHH:MM:SS
_SEPARATORS = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":")}
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def read_load_columnar(text: str, rows_max: int, decimals_max: int, energy_kwh_max: int) -> LoadSeries | None:
    """The load series of a plain file (see the module docstring), or None: read it row by row."""
    data = text.encode("utf-8")
    if not _plain_text(data):
        return None
    line_count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if line_count < 2 or line_count - 1 > rows_max:
        return None
    header = text[:text.index("\n")].removesuffix("\r").split(",")
    if "interval_start" not in header or "energy_kwh" not in header:
        return None
    start_column = len(header) - 1 - header[::-1].index("interval_start")
    energy_column = len(header) - 1 - header[::-1].index("energy_kwh")
    if len(header) > 2 and _longest_line(data) > FIELD_CHARS_MAX:
        return None  # only another column can hold a field that long
    table = _parse(data, len(header), (start_column, energy_column))
    if table is None or table.num_rows != line_count - 1:
        return None
    start_texts = table.column(f"c{start_column}").combine_chunks()
    start_blocks = [_starts(start_texts.slice(first, BLOCK_ROWS)) for first in range(0, len(start_texts), BLOCK_ROWS)]
    if any(block is None for block in start_blocks):
        return None
    starts_utc_us = np.concatenate([block for block in start_blocks if block is not None])
    steps_us = np.diff(starts_utc_us)
    if (steps_us <= 0).any() or (steps_us % US_PER_MINUTE).any():
        return None
    minutes = math.gcd(60, int(np.gcd.reduce(steps_us // US_PER_MINUTE)) if steps_us.size else 60)
    energy = _energy_units(table.column(f"c{energy_column}").combine_chunks(), decimals_max, energy_kwh_max)
    if energy is None:
        return None
    energy_units, units_per_kwh = energy
    return LoadSeries(starts_utc_us=starts_utc_us, energy_units=energy_units,
                      interval_minutes=np.full(starts_utc_us.size, minutes, dtype=np.int64),
                      units_per_kwh=units_per_kwh)


def _plain_text(data: bytes) -> bool:
    """No quote, NUL or lone carriage return: each line is one record of unquoted fields. (A blank line reads as
    a row of empty fields, which no timestamp check passes.)"""
    return not (b'"' in data or b"\0" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")))


def _longest_line(data: bytes) -> int:
    newline_at = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    ends = newline_at if data.endswith(b"\n") else np.append(newline_at, len(data))
    return int(np.diff(ends, prepend=-1).max())


def _parse(data: bytes, column_count: int, wanted: tuple[int, ...]) -> pa.Table | None:
    names = [f"c{index}" for index in range(column_count)]
    read = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=len(data) + 1, use_threads=False)
    parse = pacsv.ParseOptions(quote_char=False, escape_char=False, newlines_in_values=False,
                               ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types={names[index]: pa.string() for index in wanted},
                                   include_columns=[names[index] for index in sorted(set(wanted))],
                                   strings_can_be_null=False, check_utf8=False)
    try:
        return pacsv.read_csv(pa.py_buffer(data), read, parse, convert)
    except pa.ArrowInvalid:
        return None


def _buffers(array: pa.Array) -> tuple[Array, Array]:
    """Offsets (relative to the data) and bytes of a string array without nulls."""
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32)[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0]:]


def _starts(column: pa.Array) -> Array | None:
    """µs since the epoch (UTC) of each plain timestamp, or None when one is not plain."""
    offsets, data = _buffers(column)
    lengths = np.diff(offsets)
    if lengths.size == 0 or (lengths != lengths[0]).any() or int(lengths[0]) not in (20, 25):
        return None
    text = data[:offsets[-1]].reshape(lengths.size, int(lengths[0]))
    digits = text[:, _DIGITS] - np.uint8(48)  # a byte below '0' wraps above 9
    if (digits > 9).any() or any((text[:, at] != byte).any() for at, byte in _SEPARATORS.items()):
        return None
    value = digits.astype(np.int32)  # small: a wide copy of the whole matrix costs more than the arithmetic
    year = value[:, 0] * 1000 + value[:, 1] * 100 + value[:, 2] * 10 + value[:, 3]
    month, day = value[:, 4] * 10 + value[:, 5], value[:, 6] * 10 + value[:, 7]
    hour, minute = value[:, 8] * 10 + value[:, 9], value[:, 10] * 10 + value[:, 11]
    second = value[:, 12] * 10 + value[:, 13]
    if ((year < YEAR_MIN) | (year > YEAR_MAX) | (month < 1) | (month > 12) | (day < 1)).any():
        return None
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = _MONTH_DAYS[month - 1] + ((month == 2) & leap)
    if ((day > month_days) | (hour > 23) | (minute > 59) | (second > 59)).any():
        return None
    offset_minutes = _offset_minutes(text)
    if offset_minutes is None:
        return None
    days = _days_from_civil(year.astype(np.int64), month, day)
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60
    starts_utc_us: Array = seconds * 1_000_000
    if ((starts_utc_us < UTC_US_MIN) | (starts_utc_us >= UTC_US_END)).any():
        return None
    return starts_utc_us


def _offset_minutes(text: Array) -> Array | None:
    if text.shape[1] == 20:
        return np.zeros(text.shape[0], dtype=np.int64) if (text[:, 19] == ord("Z")).all() else None
    sign, colon = text[:, 19], text[:, 22]
    digits = text[:, [20, 21, 23, 24]] - np.uint8(48)
    if ((sign != ord("+")) & (sign != ord("-"))).any() or (colon != ord(":")).any() or (digits > 9).any():
        return None
    value = digits.astype(np.int32)
    hours, minutes = value[:, 0] * 10 + value[:, 1], value[:, 2] * 10 + value[:, 3]
    if ((hours > 23) | (minutes > 59)).any():
        return None
    offset: Array = np.where(sign == ord("-"), -1, 1) * (hours * 60 + minutes)
    return offset


def _days_from_civil(year: Array, month: Array, day: Array) -> Array:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm), vectorized."""
    y = np.where(month <= 2, year - 1, year)
    era = y // 400
    year_of_era = y - era * 400
    month_index = np.where(month > 2, month - 3, month + 9)
    day_of_year = (153 * month_index + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: Array = era * 146_097 + day_of_era - 719_468
    return days


def _energy_units(column: pa.Array, decimals_max: int, energy_kwh_max: int) -> tuple[Array, int] | None:
    """Integer energy in 1/10**decimals kWh (decimals: the most any value has, at least 3) and that unit count,
    or None when a value is not plain, has too many decimals, is too large, or the total overflows."""
    blocks = [_decimal_places(column.slice(first, BLOCK_ROWS), decimals_max)
              for first in range(0, len(column), BLOCK_ROWS)]
    if any(block is None for block in blocks):
        return None
    places = np.concatenate([block for block in blocks if block is not None])
    mantissa = pc.cast(pc.replace_substring(column, ".", ""), pa.int64()).to_numpy()  # digits only: exact
    if (mantissa > energy_kwh_max * POW10[places]).any():
        return None
    decimals = max(3, int(places.max()))
    energy_units: Array = mantissa * POW10[decimals - places]
    # The exact total in Python integers: each value is below 2**50, and 2,000,000 of them cannot overflow a half.
    total = (int((energy_units >> 32).sum()) << 32) + int((energy_units & 0xFFFF_FFFF).sum())
    if total > INT64_MAX:
        return None
    return energy_units, 10**decimals


def _decimal_places(column: pa.Array, decimals_max: int) -> Array | None:
    """Each value's decimal places, or None when one is not digits with at most one point and a digit, or has
    more than `decimals_max` decimals."""
    offsets, data = _buffers(column)
    lengths = np.diff(offsets)
    if (lengths == 0).any() or (lengths > VALUE_CHARS_MAX).any():
        return None
    body = data[:offsets[-1]]
    is_point = body == ord(".")
    if (((body < ord("0")) | (body > ord("9"))) & ~is_point).any():
        return None
    point_at = np.flatnonzero(is_point)
    row_of_point = np.searchsorted(offsets, point_at, side="right") - 1
    if (np.diff(row_of_point) == 0).any():
        return None  # two points in one value
    if (lengths[row_of_point] == 1).any():
        return None  # "." alone has no digit
    places = np.zeros(lengths.size, dtype=np.int64)
    places[row_of_point] = offsets[row_of_point + 1] - point_at - 1
    if int(places.max()) > decimals_max:
        return None
    return places
