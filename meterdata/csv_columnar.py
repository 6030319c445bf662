"""Columnar CSV ingest: one block of lines at a time, parsed by pyarrow's CSV reader and checked and converted
with numpy and the numba kernel (meterdata.csv_kernel), never a Python object per reading.

`ColumnarPlan.read_block` gives a block's readings as an Arrow table (READING_BATCH_SCHEMA), or None when the
block holds anything but plain rows: a quote, a blank line, a lone carriage return, whitespace around a field,
a value or timestamp of another shape, an unknown meter or unit, a reading outside its window or service, a
value too long for exact int64 arithmetic. The caller then reads that block row by row (meterdata.csv_reader),
which refuses the first bad row naming file, line and field exactly as it always has, or reads the rare shape
the columnar path leaves out. A plain row gives exactly the row reader's reading: the value times the unit
factor and the multiplier in force, in integers, rounded half-even once; see `energy_wh`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from meterdata import csv_kernel as kernel
from meterdata.csv_mapping import CsvMapping
from meterdata.readings import READING_BATCH_SCHEMA, ReadingWindow, micros_from_datetime
from meterdata.schema import QUALITY_MEASURED
from meterdata.specs import MeterSpec, ReadingNames
from meterdata.units import HEAT_UNITS, W_PER_POWER_UNIT, WH_PER_UNIT

Array: TypeAlias = npt.NDArray[Any]

INTERVALS_MINUTES = (5, 15, 30, 60)
SCALE_MAX = 16
"""Decimals of value plus factor at most: 60 x 10**16 and twice the remainder stay inside int64."""
PRODUCT_ABS_MAX = 1 << 62
US_PER_MINUTE = 60_000_000
FIELD_CHARS_MAX = 131_072
"""Python's csv field limit: a longer line goes to the row reader, which refuses what it refuses."""
INT64_MIN = np.iinfo(np.int64).min
INT64_MAX = np.iinfo(np.int64).max
POW10 = np.array([10**power for power in range(SCALE_MAX + 1)], dtype=np.int64)
_WIDE = Context(prec=200)


def mapping_is_columnar(mapping: CsvMapping) -> bool:
    """Mappings whose plain rows the columnar path reads: UTF-8, one-byte ASCII delimiter and marks, ISO 8601."""
    single_ascii = all(len(mark) == 1 and mark.isascii() for mark in (mapping.delimiter, mapping.decimal_mark))
    thousands_ok = mapping.thousands_separator is None or (
        len(mapping.thousands_separator) == 1 and mapping.thousands_separator.isascii())
    return (single_ascii and thousands_ok and mapping.time_format is None and mapping.delimiter not in "\"\r\n"
            and mapping.encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8"))


@dataclass(frozen=True)
class _Conversion:
    factor: Array
    """[unit, multiplier, interval]: the exact factor's digits C (0: too large for int64)."""
    exponent: Array
    """[unit, multiplier, interval]: e in value x factor = mantissa x C / 10**(scale + e)."""
    power: Array
    """[unit]: the unit is average power, so the product is divided by 60 minutes as well."""


class ColumnarPlan:
    """What one file's blocks share: the header's column positions, the names a row may give, the units and
    multipliers as small tables the rows index into."""

    def __init__(self, mapping: CsvMapping, meters: Mapping[str, MeterSpec], window: ReadingWindow,
                 header: dict[str, int], column_count: int) -> None:
        self.mapping = mapping
        self.window = window
        self.column_count = column_count
        self.columns = {"meter": header[mapping.meter_column], "time": header[mapping.time_column],
                        "value": header[mapping.value_column]}
        for role, column in (("unit", mapping.unit_column), ("channel", mapping.channel_column),
                             ("interval", mapping.interval_minutes_column)):
            if column is not None and column in header:  # an optional channel column may be left out
                self.columns[role] = header[column]
        self.units = sorted([*WH_PER_UNIT, *W_PER_POWER_UNIT])
        self._plan_names(ReadingNames(meters))
        self.conversion = self._plan_conversion()
        self.period_us = (micros_from_datetime(window.period_start_utc), micros_from_datetime(window.period_end_utc))
        self.now_us = micros_from_datetime(window.now_utc)

    def _plan_names(self, names: ReadingNames) -> None:
        # Only names a stripped field can equal: a field is plain when it is exactly one of them.
        entries = [(name, spec, serial) for name, (spec, serial) in names.by_name.items() if name == name.strip()]
        self.name_index = {name: index for index, (name, _, _) in enumerate(entries)}
        self.point_ids = pa.array(sorted({spec.meter_id for _, spec, _ in entries}), pa.string())
        point_index = {meter_id: index for index, meter_id in enumerate(self.point_ids.to_pylist())}
        multipliers = sorted({spec.multiplier for _, spec, _ in entries}
                             | {device.multiplier for _, spec, _ in entries for device in spec.devices})
        self.multipliers = multipliers
        multiplier_index = {multiplier: index for index, multiplier in enumerate(multipliers)}
        count = len(entries)
        device_count_max = max((len(spec.devices) for _, spec, _ in entries), default=0)
        self.name_point = np.array([point_index[spec.meter_id] for _, spec, _ in entries], np.int32)
        self.name_fuel = np.array([spec.role == "fuel" for _, spec, _ in entries], np.bool_)
        self.name_interval = np.array([INTERVALS_MINUTES.index(spec.interval_minutes) for _, spec, _ in entries],
                                      np.int8)
        self.name_minutes = np.array([spec.interval_minutes for _, spec, _ in entries], np.int64)
        self.name_active_from = np.array([_us_or(spec.active_from_utc, INT64_MIN) for _, spec, _ in entries],
                                         np.int64)
        self.name_active_to = np.array([_us_or(spec.active_to_utc, INT64_MAX) for _, spec, _ in entries], np.int64)
        self.name_multiplier = np.array([multiplier_index[spec.multiplier] for _, spec, _ in entries], np.int32)
        self.name_device_count = np.array([len(spec.devices) for _, spec, _ in entries], np.int32)
        shape = (count, device_count_max)
        self.device_from = np.full(shape, INT64_MIN, np.int64)
        self.device_to = np.full(shape, INT64_MAX, np.int64)
        self.device_multiplier = np.zeros(shape, np.int32)
        self.device_match = np.zeros(shape, np.bool_)
        for row, (_, spec, serial) in enumerate(entries):
            for column, device in enumerate(spec.devices):
                self.device_from[row, column] = _us_or(device.installed_utc, INT64_MIN)
                self.device_to[row, column] = _us_or(device.removed_utc, INT64_MAX)
                self.device_multiplier[row, column] = multiplier_index[device.multiplier]
                self.device_match[row, column] = serial is None or device.serial == serial

    def _plan_conversion(self) -> _Conversion:
        shape = (len(self.units), len(self.multipliers), len(INTERVALS_MINUTES))
        factor = np.zeros(shape, np.int64)
        exponent = np.zeros(shape, np.int64)
        power = np.array([unit in W_PER_POWER_UNIT for unit in self.units], np.bool_)
        for u, unit in enumerate(self.units):
            for m, multiplier in enumerate(self.multipliers):
                for i, minutes in enumerate(INTERVALS_MINUTES):
                    if unit in WH_PER_UNIT:
                        exact = _WIDE.multiply(WH_PER_UNIT[unit], multiplier)
                    else:
                        exact = _WIDE.multiply(_WIDE.multiply(W_PER_POWER_UNIT[unit], multiplier), minutes)
                    digits, power_of_ten = _digits_and_exponent(exact)
                    if digits < PRODUCT_ABS_MAX and power_of_ten <= SCALE_MAX:
                        factor[u, m, i] = digits
                        exponent[u, m, i] = power_of_ten
        return _Conversion(factor, exponent, power)

    def read_block(self, block: bytes, first_line: int) -> pa.Table | None:
        """The block's readings (`source_row` from `first_line`), or None: read this block row by row."""
        line_count = _plain_line_count(block)
        if line_count is None:
            return None
        table = self._parse(block)
        if table is None or table.num_rows != line_count:
            return None
        return self._readings(table, first_line)

    def _parse(self, block: bytes) -> pa.Table | None:
        names = [f"c{index}" for index in range(self.column_count)]
        wanted = sorted(set(self.columns.values()))
        read = pacsv.ReadOptions(column_names=names, block_size=max(len(block) + 1, 1 << 20), use_threads=False)
        parse = pacsv.ParseOptions(delimiter=self.mapping.delimiter, quote_char=False, escape_char=False,
                                   newlines_in_values=False, ignore_empty_lines=False)
        convert = pacsv.ConvertOptions(column_types={names[index]: pa.string() for index in wanted},
                                       include_columns=[names[index] for index in wanted],
                                       strings_can_be_null=False, check_utf8=False)
        try:
            return pacsv.read_csv(pa.py_buffer(block), read, parse, convert)
        except pa.ArrowInvalid:
            return None

    def _column(self, table: pa.Table, role: str) -> pa.Array:
        return table.column(f"c{self.columns[role]}").combine_chunks()

    def _codes(self, table: pa.Table, role: str, index_of: Mapping[str, int]) -> Array:
        """Each row's position in `index_of` (-1 when absent), through the column's dictionary."""
        encoded = pc.dictionary_encode(self._column(table, role))
        lookup = np.array([index_of.get(text, -1) for text in encoded.dictionary.to_pylist()] + [-1], np.int64)
        codes: Array = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
        return codes

    def _readings(self, table: pa.Table, first_line: int) -> pa.Table | None:
        row_count = table.num_rows
        name = self._codes(table, "meter", self.name_index)
        if self.mapping.unit is not None:
            unit = np.full(row_count, self.units.index(self.mapping.unit) if self.mapping.unit in self.units else -1)
        else:
            unit = self._codes(table, "unit", {text: index for index, text in enumerate(self.units)})
        if (name < 0).any() or (unit < 0).any():
            return None
        heat = np.array([text in HEAT_UNITS for text in self.units], np.bool_)
        if (heat[unit] != self.name_fuel[name]).any():
            return None
        state, mantissa, scale = kernel.value_arrays(row_count)
        offsets, data = _string_buffers(self._column(table, "value"))
        thousands = ord(self.mapping.thousands_separator) if self.mapping.thousands_separator else kernel.NO_BYTE
        kernel.parse_values(offsets, data, thousands, ord(self.mapping.decimal_mark), state, mantissa, scale)
        if (state == kernel.VALUE_OTHER).any():
            return None
        keep = np.flatnonzero(state == kernel.VALUE_PLAIN)
        return self._convert(table, keep, name[keep], unit[keep], mantissa[keep], scale[keep], first_line)

    def _convert(self, table: pa.Table, keep: Array, name: Array, unit: Array, mantissa: Array, scale: Array,
                 first_line: int) -> pa.Table | None:
        if "interval" in self.columns:
            stated = self._codes(table, "interval", {str(minutes): minutes for minutes in INTERVALS_MINUTES})[keep]
            if (stated != self.name_minutes[name]).any():
                return None
        plain, start_us = kernel.timestamp_arrays(table.num_rows)
        offsets, data = _string_buffers(self._column(table, "time"))
        kernel.parse_timestamps(offsets, data, plain, start_us)
        plain, start_us = plain[keep], start_us[keep]
        if not plain.all():
            return None
        interval_us = self.name_minutes[name] * US_PER_MINUTE
        if self.mapping.time_label == "ending":
            start_us = start_us - interval_us
        if not self._in_window(start_us, interval_us):
            return None
        multiplier = self._multipliers(name, start_us, interval_us)
        if multiplier is None:
            return None
        energy_wh = self._energy_wh(unit, multiplier, self.name_interval[name], mantissa, scale)
        if energy_wh is None:
            return None
        channel = self._channels(table, keep)
        if channel is None:
            return None
        arrays = [
            pc.take(self.point_ids, pa.array(self.name_point[name])),
            channel,
            pa.array(start_us, pa.timestamp("us", tz="UTC")),
            pa.array(self.name_minutes[name].astype(np.int16)),
            pa.array(energy_wh),
            pa.array(np.full(keep.size, QUALITY_MEASURED, np.uint8)),
            pa.array((keep + first_line).astype(np.int32)),
        ]
        return pa.Table.from_arrays(arrays, schema=READING_BATCH_SCHEMA)

    def _in_window(self, start_us: Array, interval_us: Array) -> bool:
        # Both checks of ReadingWindow.check: inside the period (when it refuses), and ended by now.
        outside = (start_us < self.period_us[0]) | (start_us >= self.period_us[1])
        if self.window.outside_period == "refuse" and outside.any():
            return False
        return bool((start_us + interval_us <= self.now_us).all())

    def _multipliers(self, name: Array, start_us: Array, interval_us: Array) -> Array | None:
        """Each row's multiplier index, as MeterSpec.reading_multiplier picks it; None when a row has none."""
        in_service = (start_us >= self.name_active_from[name]) & (start_us + interval_us <= self.name_active_to[name])
        if not in_service.all():
            return None
        multiplier = self.name_multiplier[name].copy()
        device_count = self.name_device_count[name]
        with_devices = device_count > 0
        if not with_devices.any():
            return multiplier
        found = ~with_devices
        for column in range(self.device_from.shape[1]):
            serves = (~found & (column < device_count) & self.device_match[name, column]
                      & (self.device_from[name, column] <= start_us) & (start_us < self.device_to[name, column]))
            multiplier[serves] = self.device_multiplier[name, column][serves]
            found |= serves
        return multiplier if found.all() else None

    def _energy_wh(self, unit: Array, multiplier: Array, interval: Array, mantissa: Array,
                   scale: Array) -> Array | None:
        """round_half_even(mantissa x C / (10**(scale + e) x (60 for power))), in int64, or None when a row's
        product would not fit."""
        factor = self.conversion.factor[unit, multiplier, interval]
        total_scale = scale + self.conversion.exponent[unit, multiplier, interval]
        if (factor == 0).any() or (total_scale > SCALE_MAX).any():
            return None
        if (np.abs(mantissa) > PRODUCT_ABS_MAX // factor).any():
            return None
        numerator = mantissa * factor
        denominator = POW10[total_scale] * np.where(self.conversion.power[unit], 60, 1)
        quotient = np.floor_divide(numerator, denominator)
        twice_remainder = 2 * (numerator - quotient * denominator)
        up = (twice_remainder > denominator) | ((twice_remainder == denominator) & (quotient % 2 == 1))
        energy_wh: Array = quotient + up
        return energy_wh

    def _channels(self, table: pa.Table, keep: Array) -> pa.Array | None:
        default = self.mapping.channel_default
        if "channel" not in self.columns:
            return pa.array([default], pa.string()).take(pa.array(np.zeros(keep.size, np.int32)))
        channel = self._column(table, "channel").take(pa.array(keep))
        # Plain channel names only: the row reader strips a field, and Python's idea of whitespace is wide.
        if keep.size and not pc.all(pc.match_substring_regex(channel, r"^[A-Za-z0-9_.:/-]*$")).as_py():
            return None
        return pc.if_else(pc.equal(channel, ""), default, channel)


def _plain_line_count(block: bytes) -> int | None:
    """Lines in a block whose records are its lines, or None: quotes, NUL, lone CR, a line over the csv field
    limit, or not UTF-8."""
    if b'"' in block or b"\0" in block or (b"\r" in block and block.count(b"\r") != block.count(b"\r\n")):
        return None
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    newline_at = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
    if newline_at.size and int(np.diff(newline_at, prepend=-1).max()) > FIELD_CHARS_MAX:
        return None
    if not block.endswith(b"\n") and len(block) - (int(newline_at[-1]) + 1 if newline_at.size else 0) > FIELD_CHARS_MAX:
        return None
    return int(newline_at.size) + (0 if block.endswith(b"\n") or not block else 1)


def _string_buffers(array: pa.Array) -> tuple[Array, Array]:
    """Offsets (relative to the data) and bytes of a string array without nulls."""
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32)[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _digits_and_exponent(exact: Decimal) -> tuple[int, int]:
    """(C, e) with exact = C / 10**e, e >= 0 as small as it can be."""
    sign, digits, power = exact.normalize(_WIDE).as_tuple()
    assert sign == 0 and isinstance(power, int)
    value = int("".join(map(str, digits)) or "0")
    if power >= 0:
        return value * 10**power, 0
    return value, -power


def _us_or(instant: datetime | None, default: int) -> int:
    return default if instant is None else micros_from_datetime(instant)
