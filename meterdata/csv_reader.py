"""Read one CSV file with a declared `CsvMapping` into normalized readings.

Quoted fields, a byte-order mark, thousands separators and a comma decimal mark are handled by the
mapping; anything else that does not fit is refused with file, line and field. A blank value is a
missing interval (the ERCOT convention: missing is blank, never 0) and is left for VEE to estimate.

The meter column names a metering point or the serial of one of its devices (see meterdata.specs); either
way the reading is written under the point's id, times the multiplier in force for it, and refused when the
point or the named device was not in service for its interval.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, DecimalException, InvalidOperation
from typing import BinaryIO
from zoneinfo import ZoneInfo

from common.errors import BadInput
from meterdata.csv_mapping import CsvMapping
from meterdata.readings import ReadingSink, ReadingWindow
from meterdata.schema import QUALITY_MEASURED
from meterdata.specs import MeterSpec, ReadingNames, ReadingOutsideService
from meterdata.units import energy_wh_from_value, is_known_unit, unit_fits_role

ROWS_PER_FILE_MAX = 50_000_000


def read_csv(
    data: bytes | BinaryIO, source: str, sha256_hex: str, mapping: CsvMapping, meters: Mapping[str, MeterSpec],
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """Append the file's readings to `out`; returns how many data lines were read.

    `data` may be the bytes or a binary stream; a stream is decoded and parsed as it is read.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    text = io.TextIOWrapper(stream, encoding=mapping.encoding, newline="")
    rows = csv.reader(text, delimiter=mapping.delimiter, strict=True)
    header = _read_header(rows, source, mapping)
    parser = _RowParser(source, sha256_hex, mapping, meters, window, header)
    count = 0
    for fields in _records(rows, source):
        count += 1
        assert count <= ROWS_PER_FILE_MAX, "file exceeds ROWS_PER_FILE_MAX"
        if fields == [] or fields == [""]:
            continue
        parser.parse(fields, rows.line_num, out)
    return count


def _records(rows: Iterator[list[str]], source: str) -> Iterator[list[str]]:
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise BadInput(source, getattr(rows, "line_num", None), None, f"malformed CSV: {error}") from error
        except UnicodeDecodeError as error:
            raise BadInput(source, getattr(rows, "line_num", 0) + 1, None, f"not valid text: {error.reason}") from error


def _read_header(rows: Iterator[list[str]], source: str, mapping: CsvMapping) -> dict[str, int]:
    try:
        names = [name.strip() for name in next(rows)]
    except StopIteration:
        raise BadInput(source, 1, None, "empty file, no header line") from None
    except csv.Error as error:
        raise BadInput(source, 1, None, f"malformed CSV header: {error}") from error
    except UnicodeDecodeError as error:
        raise BadInput(source, 1, None, f"not valid text: {error.reason}") from error
    header = {name: index for index, name in enumerate(names)}
    wanted = [mapping.meter_column, mapping.time_column, mapping.value_column]
    wanted += [c for c in (mapping.unit_column, mapping.channel_column, mapping.interval_minutes_column) if c is not None]
    for column in wanted:
        if column not in header:
            raise BadInput(source, 1, column, f"column missing from header {names}")
    return header


ENERGY_WH_ABS_MAX = 2**63 - 1


def parse_decimal(text: str, mapping: CsvMapping) -> Decimal:
    """Parse a number written with the mapping's decimal mark and thousands separator."""
    cleaned = text.strip()
    if mapping.thousands_separator:
        cleaned = cleaned.replace(mapping.thousands_separator, "")
    if mapping.decimal_mark != ".":
        if "." in cleaned:
            raise ValueError(f"'.' in a number whose decimal mark is {mapping.decimal_mark!r}")
        cleaned = cleaned.replace(mapping.decimal_mark, ".")
    value = Decimal(cleaned)
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


class _RowParser:
    def __init__(
        self, source: str, sha256_hex: str, mapping: CsvMapping, meters: Mapping[str, MeterSpec],
        window: ReadingWindow, header: dict[str, int],
    ) -> None:
        self.source = source
        self.sha256_hex = sha256_hex
        self.mapping = mapping
        self.names = ReadingNames(meters)
        self.window = window
        self.header = header
        self.zone = ZoneInfo(mapping.time_zone) if mapping.time_zone else None
        # Naive local times repeat in the fall-back hour: the second sighting is the later instant.
        self.ambiguous_seen: set[tuple[str, datetime]] = set()

    def field(self, fields: list[str], column: str, line: int) -> str:
        index = self.header[column]
        if index >= len(fields):
            raise BadInput(self.source, line, column, f"row has {len(fields)} fields, no {column!r}")
        return fields[index].strip()

    def parse(self, fields: list[str], line: int, out: ReadingSink) -> None:
        mapping = self.mapping
        name = self.field(fields, mapping.meter_column, line)
        named = self.names.by_name.get(name)
        if named is None:
            raise BadInput(self.source, line, mapping.meter_column, self.names.unknown_reason(name))
        spec, serial = named
        meter_id = spec.meter_id
        unit = mapping.unit or self.field(fields, mapping.unit_column or "", line)
        unit_column = mapping.unit_column or mapping.value_column
        if not is_known_unit(unit) or not unit_fits_role(unit, spec.role):
            reason = f"unit {unit!r} does not fit meter {meter_id} (role {spec.role}, unit {spec.unit})"
            raise BadInput(self.source, line, unit_column, reason)
        value_text = self.field(fields, mapping.value_column, line)
        if value_text == "":
            return
        try:
            value = parse_decimal(value_text, mapping)
        except (InvalidOperation, ValueError) as error:
            raise BadInput(self.source, line, mapping.value_column, f"not a number: {value_text!r}") from error
        if mapping.interval_minutes_column is not None:
            self.check_interval(self.field(fields, mapping.interval_minutes_column, line), spec, line)
        start_utc = self.interval_start(self.field(fields, mapping.time_column, line), meter_id, spec, line)
        self.window.check(start_utc, spec.interval_minutes, self.source, line, mapping.time_column)
        try:
            multiplier = spec.reading_multiplier(serial, start_utc)
        except ReadingOutsideService as error:
            raise BadInput(self.source, line, mapping.time_column, error.reason) from error
        channel = self.field(fields, mapping.channel_column, line) if mapping.channel_column else None
        try:
            energy_wh = energy_wh_from_value(value, unit, spec.interval_minutes, multiplier)
        except DecimalException as error:  # more digits than an exact product holds
            raise BadInput(self.source, line, mapping.value_column, f"out of range: {value_text[:40]!r}") from error
        if not -ENERGY_WH_ABS_MAX <= energy_wh <= ENERGY_WH_ABS_MAX:  # the Parquet column is int64
            raise BadInput(self.source, line, mapping.value_column, f"out of range: {value_text[:40]!r}")
        out.append(
            meter_id, channel or mapping.channel_default, start_utc, spec.interval_minutes, energy_wh,
            QUALITY_MEASURED, self.sha256_hex, line,
        )

    def check_interval(self, text: str, spec: MeterSpec, line: int) -> None:
        column = self.mapping.interval_minutes_column
        if text != str(spec.interval_minutes):
            reason = f"interval {text!r} min, meter {spec.meter_id} is registered at {spec.interval_minutes}"
            raise BadInput(self.source, line, column, reason)

    def interval_start(self, text: str, meter_id: str, spec: MeterSpec, line: int) -> datetime:
        column = self.mapping.time_column
        try:
            if self.mapping.time_format:
                stamp = datetime.strptime(text, self.mapping.time_format)
            else:
                stamp = datetime.fromisoformat(text)
        except ValueError as error:
            raise BadInput(self.source, line, column, f"not a timestamp: {text!r}") from error
        if stamp.tzinfo is None:
            stamp = self.localize(stamp, meter_id, line)
        stamp_utc = stamp.astimezone(UTC)
        if self.mapping.time_label == "ending":
            stamp_utc -= timedelta(minutes=spec.interval_minutes)
        return stamp_utc

    def localize(self, naive: datetime, meter_id: str, line: int) -> datetime:
        column = self.mapping.time_column
        if self.zone is None:
            raise BadInput(self.source, line, column, "timestamp has no offset and the mapping declares no zone")
        early = naive.replace(tzinfo=self.zone, fold=0)
        late = naive.replace(tzinfo=self.zone, fold=1)
        if not (_round_trips(early, naive) or _round_trips(late, naive)):
            raise BadInput(self.source, line, column, f"{naive} does not exist in {self.zone.key}")
        if early.utcoffset() == late.utcoffset():
            return early
        key = (meter_id, naive)
        if key in self.ambiguous_seen:
            return late
        self.ambiguous_seen.add(key)
        return early


def _round_trips(local: datetime, naive: datetime) -> bool:
    """False for wall times skipped by a spring-forward change: they come back as another hour."""
    assert local.tzinfo is not None
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == naive
