"""The numba kernel of columnar CSV ingest: decimal values and ISO 8601 timestamps parsed straight from the
Arrow string buffers, one pass per block.

The kernel accepts only the plain shapes it can parse exactly, and says "not plain" for anything else; the
caller then reads that block row by row (meterdata.csv_reader), which either refuses the row with file, line
and field or reads a shape the kernel leaves out. So the kernel never needs to be as lenient as `Decimal` or
`datetime.fromisoformat`, only never more lenient.

Value states: VALUE_BLANK (empty field: a missing interval), VALUE_PLAIN (`[+-]digits[.digits]`, at most
VALUE_DIGITS_MAX digits, the thousands separator anywhere and the declared decimal mark), VALUE_OTHER.
A plain value is `mantissa / 10**scale` exactly.

Timestamps: plain is `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM`/`-HH:MM`, a real calendar date and time of a
year in [YEAR_MIN, YEAR_MAX], an offset under 24 hours; `start_us` is then microseconds since the Unix epoch.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from numba import njit

Array: TypeAlias = npt.NDArray[Any]

VALUE_BLANK = 0
VALUE_PLAIN = 1
VALUE_OTHER = 2
VALUE_DIGITS_MAX = 17
YEAR_MIN = 1971
YEAR_MAX = 9998
NO_BYTE = -1
"""`thousands_byte` when the mapping has no thousands separator."""


@njit(nogil=True, cache=True)
def parse_values(offsets: Array, data: Array, thousands_byte: int, decimal_byte: int,
                 state: Array, mantissa: Array, scale: Array) -> None:
    """Fill state, mantissa and scale for each string `data[offsets[i]:offsets[i + 1]]`."""
    dot = 46  # '.': refused in a number whose decimal mark is another character, as the row reader does
    for row in range(offsets.size - 1):
        begin = offsets[row]
        end = offsets[row + 1]
        mantissa[row] = 0
        scale[row] = 0
        if begin == end:
            state[row] = VALUE_BLANK
            continue
        negative = False
        signed = False
        seen_any = False
        point = False
        digits = 0
        total = 0
        decimals = 0
        ok = True
        for position in range(begin, end):
            byte = data[position]
            if byte == thousands_byte:
                continue
            if not seen_any and (byte == 45 or byte == 43) and not signed:  # '-' or '+' first
                negative = byte == 45
                signed = True
                seen_any = True
                continue
            seen_any = True
            if 48 <= byte <= 57:
                if digits > 0 or byte != 48:
                    digits += 1
                if digits > VALUE_DIGITS_MAX:
                    ok = False
                    break
                total = total * 10 + (byte - 48)
                if point:
                    decimals += 1
                    if decimals > VALUE_DIGITS_MAX:
                        ok = False
                        break
                continue
            if byte == decimal_byte and not point:
                point = True
                continue
            if byte == dot and decimal_byte != dot:
                ok = False
                break
            ok = False
            break
        # At least one digit somewhere: '-', '.' and '' are not numbers.
        has_digit = False
        for position in range(begin, end):
            if 48 <= data[position] <= 57:
                has_digit = True
                break
        if not ok or not has_digit:
            state[row] = VALUE_OTHER
            continue
        state[row] = VALUE_PLAIN
        mantissa[row] = -total if negative else total
        scale[row] = decimals


@njit(nogil=True, cache=True, inline="always")
def _digits(data: Array, at: int, count: int) -> int:
    value = 0
    for position in range(at, at + count):
        byte = data[position]
        if byte < 48 or byte > 57:
            return -1
        value = value * 10 + (byte - 48)
    return value


@njit(nogil=True, cache=True, inline="always")
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    month_index = month - 3 if month > 2 else month + 9
    day_of_year = (153 * month_index + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@njit(nogil=True, cache=True)
def parse_timestamps(offsets: Array, data: Array, plain: Array, start_us: Array) -> None:
    """Fill plain (True/False) and start_us (UTC) for each string."""
    days_in_month = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    for row in range(offsets.size - 1):
        begin = offsets[row]
        length = offsets[row + 1] - begin
        plain[row] = False
        start_us[row] = 0
        if length != 20 and length != 25:
            continue
        if data[begin + 4] != 45 or data[begin + 7] != 45 or data[begin + 10] != 84:  # '-', '-', 'T'
            continue
        if data[begin + 13] != 58 or data[begin + 16] != 58:  # ':'
            continue
        year = _digits(data, begin, 4)
        month = _digits(data, begin + 5, 2)
        day = _digits(data, begin + 8, 2)
        hour = _digits(data, begin + 11, 2)
        minute = _digits(data, begin + 14, 2)
        second = _digits(data, begin + 17, 2)
        if year < YEAR_MIN or year > YEAR_MAX or month < 1 or month > 12 or day < 1:
            continue
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        month_days = days_in_month[month - 1] + (1 if month == 2 and leap else 0)
        if day > month_days or hour < 0 or hour > 23 or minute < 0 or minute > 59 or second < 0 or second > 59:
            continue
        offset_minutes = 0
        if length == 20:
            if data[begin + 19] != 90:  # 'Z'
                continue
        else:
            sign = data[begin + 19]
            if (sign != 43 and sign != 45) or data[begin + 22] != 58:
                continue
            offset_hours = _digits(data, begin + 20, 2)
            offset_rest = _digits(data, begin + 23, 2)
            if offset_hours < 0 or offset_hours > 23 or offset_rest < 0 or offset_rest > 59:
                continue
            offset_minutes = offset_hours * 60 + offset_rest
            if sign == 45:
                offset_minutes = -offset_minutes
        days = _days_from_civil(year, month, day)
        seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60
        start_us[row] = seconds * 1_000_000
        plain[row] = True


def value_arrays(row_count: int) -> tuple[Array, Array, Array]:
    return (np.empty(row_count, np.int8), np.empty(row_count, np.int64), np.empty(row_count, np.int64))


def timestamp_arrays(row_count: int) -> tuple[Array, Array]:
    return np.empty(row_count, np.bool_), np.empty(row_count, np.int64)
