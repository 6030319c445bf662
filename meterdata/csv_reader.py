"""Read one CSV file with a declared `CsvMapping` into normalized readings.

Quoted fields, a byte-order mark, thousands separators and a comma decimal mark are handled by the
mapping; anything else that does not fit is refused with file, line and field. A blank value is a
missing interval (the ERCOT convention: missing is blank, never 0) and is left for VEE to estimate.

The meter column names a metering point or the serial of one of its devices (see meterdata.specs); either
way the reading is written under the point's id, times the multiplier in force for it, and refused when the
point or the named device was not in service for its interval.

The file streams in blocks of whole lines (BLOCK_BYTES). Each block is first read column by column
(meterdata.csv_columnar), BLOCK_WORKERS blocks at a time; a block holding anything but plain rows is read row
by row here instead, which names the first bad row's line and field. From the first quote on, the rest of the
file is read row by row (a quoted field may hold a line break, so lines are no longer records). A line that is
not valid text is refused at that line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal, DecimalException, InvalidOperation
from itertools import chain
from typing import BinaryIO
from zoneinfo import ZoneInfo

import pyarrow as pa

from common.errors import BadInput
from meterdata.csv_columnar import ColumnarPlan, mapping_is_columnar
from meterdata.csv_mapping import CsvMapping
from meterdata.readings import ReadingSink, ReadingWindow, shown, shown_names
from meterdata.schema import QUALITY_MEASURED
from meterdata.specs import MeterSpec, ReadingNames, ReadingOutsideService
from meterdata.units import energy_wh_from_value, is_known_unit, unit_fits_role, unit_refusal

ROWS_PER_FILE_MAX = 50_000_000
BLOCK_BYTES = 1 << 22
"""About 90,000 site-export lines: large enough that per-block Python work is noise, small enough that a few
blocks in flight stay a few tens of MB whatever the file's size."""
BLOCK_WORKERS = 2
# One line the way io.TextIOWrapper(newline="") splits text: at \r\n, \r or \n, the ending kept.
LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def read_csv(
    data: bytes | BinaryIO, source: str, sha256_hex: str, mapping: CsvMapping, meters: Mapping[str, MeterSpec],
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """Give the file's readings to `out`; returns how many data lines (records) were read.

    `data` may be the bytes or a binary stream; a stream is parsed as it is read."""
    if not mapping_is_columnar(mapping):
        return read_csv_rows(data, source, sha256_hex, mapping, meters, window, out)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    reader = _FileReader(source, sha256_hex, mapping, meters, window, out)
    blocks = line_blocks(stream, BLOCK_BYTES)
    first = next(blocks, b"")
    header_end = first.find(b"\n") + 1 or len(first)
    header_line = first[:header_end]
    # A carriage return inside the header line (one ending taken off) means lines end at \r alone: row by row.
    if not header_line or b'"' in header_line or b"\r" in _without_line_ending(header_line):
        return reader.rows(reader.text_lines(chain([first], blocks), 1), 1, header=True)
    header = _read_header_line(header_line, source, mapping)
    # The last of the header's fields is always kept (a repeated name keeps its last position): one more is
    # the number of fields a plain line has.
    plan = ColumnarPlan(mapping, meters, window, header, max(header.values()) + 1)
    reader.parser = _RowParser(source, sha256_hex, mapping, meters, window, header)
    return reader.blocks(plan, chain([first[header_end:]], blocks))


def read_csv_rows(
    data: bytes | BinaryIO, source: str, sha256_hex: str, mapping: CsvMapping, meters: Mapping[str, MeterSpec],
    window: ReadingWindow, out: ReadingSink,
) -> int:
    """The whole file row by row: for mappings the columnar path does not read (another encoding, a strptime
    format), and the reference the columnar path is tested against."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    reader = _FileReader(source, sha256_hex, mapping, meters, window, out)
    if not _is_utf8(mapping.encoding):
        return reader.rows(iter(io.TextIOWrapper(stream, encoding=mapping.encoding, newline="")), 1, header=True)
    return reader.rows(reader.text_lines(line_blocks(stream, BLOCK_BYTES), 1), 1, header=True)


def line_blocks(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The stream in blocks that end at a line feed (the last one may not)."""
    carry = b""
    while chunk := stream.read(block_bytes):
        buffer = carry + chunk
        cut = buffer.rfind(b"\n") + 1
        if cut == 0:
            carry = buffer
            continue
        carry = buffer[cut:]
        yield buffer[:cut]
    if carry:
        yield carry


def _without_line_ending(line: bytes) -> bytes:
    for ending in (b"\r\n", b"\n", b"\r"):
        if line.endswith(ending):
            return line[: -len(ending)]
    return line


def line_count(block: bytes) -> int:
    """Lines in a block as the row reader counts them (\r\n, \r and \n each end one)."""
    ends = block.count(b"\n")
    if b"\r" in block:  # most exports end lines with \n alone: one pass over the block, not three
        ends += block.count(b"\r") - block.count(b"\r\n")
    return ends + (1 if block and not block.endswith((b"\n", b"\r")) else 0)


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _read_header_line(line: bytes, source: str, mapping: CsvMapping) -> dict[str, int]:
    try:
        text = line.decode(mapping.encoding)
    except UnicodeDecodeError as error:
        raise BadInput(source, 1, None, f"not valid text: {error.reason}") from error
    rows = csv.reader([text], delimiter=mapping.delimiter, strict=True)
    return _read_header(rows, source, mapping)


class _FileReader:
    """One file: its blocks read by columns where they are plain, row by row where they are not."""

    def __init__(self, source: str, sha256_hex: str, mapping: CsvMapping, meters: Mapping[str, MeterSpec],
                 window: ReadingWindow, out: ReadingSink) -> None:
        self.source = source
        self.sha256_hex = sha256_hex
        self.mapping = mapping
        self.meters = meters
        self.window = window
        self.out = out
        self.parser: _RowParser | None = None
        self.count = 0

    def blocks(self, plan: ColumnarPlan, blocks: Iterator[bytes]) -> int:
        line = 2
        pending: deque[tuple[bytes, int, int, Future[pa.Table | None]]] = deque()
        with ThreadPoolExecutor(BLOCK_WORKERS, thread_name_prefix="csv-block") as pool:
            for block in blocks:
                if not block:
                    continue
                if b'"' in block:
                    while pending:
                        self._emit(*pending.popleft())
                    return self.rows(self.text_lines(chain([block], blocks), line), line, header=False)
                lines = line_count(block)
                pending.append((block, line, lines, pool.submit(plan.read_block, block, line)))
                line += lines
                if len(pending) > BLOCK_WORKERS:
                    self._emit(*pending.popleft())
            while pending:
                self._emit(*pending.popleft())
        return self.count

    def _emit(self, block: bytes, line: int, lines: int, result: Future[pa.Table | None]) -> None:
        table = result.result()
        if table is None:
            self.rows(self.text_lines([block], line), line, header=False)
            return
        self.count += lines
        if self.count > ROWS_PER_FILE_MAX:
            raise BadInput(self.source, line + lines - 1, None, f"more than {ROWS_PER_FILE_MAX} rows in one file")
        self.out.extend(table, self.sha256_hex)

    def text_lines(self, blocks: Iterable[bytes], first_line: int) -> Iterator[str]:
        """Decoded lines; a line that is not valid text is refused at its own line number."""
        line = first_line
        for block in blocks:
            for match in LINE.finditer(block):
                # Only the file's first line may begin with the byte-order mark utf-8-sig removes.
                encoding = self.mapping.encoding if line == 1 else "utf-8"
                try:
                    yield match.group().decode(encoding)
                except UnicodeDecodeError as error:
                    raise BadInput(self.source, line, None, f"not valid text: {error.reason}") from error
                line += 1

    def rows(self, lines: Iterator[str], first_line: int, header: bool) -> int:
        """Read records from `lines` (the first at `first_line`) row by row; with the header when `header`."""
        rows = csv.reader(lines, delimiter=self.mapping.delimiter, strict=True)
        offset = first_line - 1
        if header:
            columns = _read_header(rows, self.source, self.mapping)
            self.parser = _RowParser(self.source, self.sha256_hex, self.mapping, self.meters, self.window, columns)
        assert self.parser is not None
        for fields in _records(rows, self.source, offset):
            self.count += 1
            if self.count > ROWS_PER_FILE_MAX:
                raise BadInput(self.source, rows.line_num + offset, None, f"more than {ROWS_PER_FILE_MAX} rows in one file")
            if fields == [] or fields == [""]:
                continue
            self.parser.parse(fields, rows.line_num + offset, self.out)
        return self.count


def _records(rows: Iterator[list[str]], source: str, offset: int) -> Iterator[list[str]]:
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            line = getattr(rows, "line_num", None)
            raise BadInput(source, None if line is None else line + offset, None, f"malformed CSV: {error}") from error
        except UnicodeDecodeError as error:
            line = getattr(rows, "line_num", 0) + 1 + offset
            raise BadInput(source, line, None, f"not valid text: {error.reason}") from error


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
    channel_column = mapping.channel_column if mapping.channel_column_required else None
    wanted += [c for c in (mapping.unit_column, channel_column, mapping.interval_minutes_column) if c is not None]
    for column in wanted:
        if column not in header:
            raise BadInput(source, 1, column, f"column missing from header {shown_names(names)}")
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
            reason = f"meter {meter_id}: {unit_refusal(unit, spec.role)}" if len(unit) <= 16 else \
                f"unit {shown(unit)} does not fit meter {meter_id} (role {spec.role}, unit {spec.unit})"
            raise BadInput(self.source, line, unit_column, reason)
        value_text = self.field(fields, mapping.value_column, line)
        if value_text == "":
            return
        try:
            value = parse_decimal(value_text, mapping)
        except (InvalidOperation, ValueError) as error:
            raise BadInput(self.source, line, mapping.value_column, f"not a number: {shown(value_text)}") from error
        if mapping.interval_minutes_column is not None:
            self.check_interval(self.field(fields, mapping.interval_minutes_column, line), spec, line)
        start_utc = self.interval_start(self.field(fields, mapping.time_column, line), meter_id, spec, line)
        self.window.check(start_utc, spec.interval_minutes, self.source, line, mapping.time_column)
        try:
            multiplier = spec.reading_multiplier(serial, start_utc)
        except ReadingOutsideService as error:
            raise BadInput(self.source, line, mapping.time_column, error.reason) from error
        channel = self.field(fields, mapping.channel_column, line) \
            if mapping.channel_column and mapping.channel_column in self.header else None
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
            reason = f"interval {shown(text)} min, meter {spec.meter_id} is registered at {spec.interval_minutes}"
            raise BadInput(self.source, line, column, reason)

    def interval_start(self, text: str, meter_id: str, spec: MeterSpec, line: int) -> datetime:
        column = self.mapping.time_column
        try:
            if self.mapping.time_format:
                stamp = datetime.strptime(text, self.mapping.time_format)
            else:
                stamp = datetime.fromisoformat(text)
        except ValueError as error:
            raise BadInput(self.source, line, column, f"not a timestamp: {shown(text)}") from error
        try:
            if stamp.tzinfo is None:
                stamp = self.localize(stamp, meter_id, line)
            stamp_utc = stamp.astimezone(UTC)
            if self.mapping.time_label == "ending":
                stamp_utc -= timedelta(minutes=spec.interval_minutes)
        except OverflowError as error:  # the year 1 or 9999 moved by an offset leaves the representable range
            raise BadInput(self.source, line, column, f"{shown(text)} is outside the representable time range") from error
        return stamp_utc

    def localize(self, naive: datetime, meter_id: str, line: int) -> datetime:
        column = self.mapping.time_column
        if self.zone is None:
            local = naive.isoformat()
            raise BadInput(self.source, line, column,
                           f"timestamp {local!r} has no UTC offset: write the one in force at that instant "
                           f"({local}-HH:MM or +HH:MM) or Z for UTC; the mapping {self.mapping.name} declares no "
                           "time zone")
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
