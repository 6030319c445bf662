"""Read an LSE-format file back into UTC quarter hours (the inverse of lse_format.py, same unconfirmed layout).

Used by round-trip tests and by operators checking an export before it leaves; every structural rule of
lse_format.py is checked and reported with its line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from common.errors import BadInput
from market_adapters.clock import operating_day_bounds_utc
from market_adapters.ercot.lse_format import KWH_QUANTUM, QUARTER_HOUR, WH_PER_KWH
from market_adapters.ercot.parse import CENTRAL

FILE_NAME = re.compile(r"^(?P<duns>\d{9}|\d{13})IntervalData(?P<stamp>\d{14})(?P<seq>\d{3})\.lse(\.[A-Za-z0-9]+)?$")
LINES_MAX = 2 + 62


@dataclass(frozen=True)
class LseInterval:
    interval_start_utc: datetime
    energy_wh: int | None


@dataclass(frozen=True)
class LseDocument:
    duns: str
    esi_id: str
    channel: int
    intervals: tuple[LseInterval, ...]


def parse_lse(file_name: str, text: str) -> LseDocument:
    match = FILE_NAME.match(file_name)
    if match is None or ".csv" in file_name.lower():
        raise BadInput(file_name, None, "file_name", "must be <DUNS>IntervalData<ccyymmddhhmmss><NNN>.lse, no .csv")
    lines = text.splitlines()
    if not 2 < len(lines) <= LINES_MAX:
        raise BadInput(file_name, None, None, f"expected 3..{LINES_MAX} lines, got {len(lines)}")
    header = lines[0].split(",")
    if len(header) != 7 or header[0] != "00000001" or header[5:] != ["Y", "N"]:
        raise BadInput(file_name, 1, "00000001", "header 1 must be 00000001,ESI,channel,start,stop,Y,N")
    if lines[1].split(",")[:3] != ["00000002", "15", "KWH"]:
        raise BadInput(file_name, 2, "00000002", "header 2 must be 00000002,15,KWH,<days>")
    intervals: list[LseInterval] = []
    for number, line in enumerate(lines[2:], start=3):
        intervals += _day(file_name, number, line)
    return LseDocument(match["duns"], header[1], int(header[2]), tuple(intervals))


def _day(file_name: str, number: int, line: str) -> list[LseInterval]:
    cells = line.split(",")
    if cells[0] != "00000003":
        raise BadInput(file_name, number, "sort code", f"expected 00000003, got {cells[0]!r}")
    try:
        day = datetime.strptime(cells[1], "%Y%m%d").date()
    except ValueError as error:
        raise BadInput(file_name, number, "date", f"not YYYYMMDD: {cells[1]!r}") from error
    start_utc, end_utc = operating_day_bounds_utc(day, CENTRAL)
    count = (end_utc - start_utc) // QUARTER_HOUR
    if cells[2] != str(count) or len(cells) != 3 + count:
        raise BadInput(file_name, number, "interval count", f"{day} has {count} intervals; row has {len(cells) - 3}")
    return [LseInterval(start_utc + index * QUARTER_HOUR, _wh(file_name, number, index, cell))
            for index, cell in enumerate(cells[3:])]


def _wh(file_name: str, number: int, index: int, cell: str) -> int | None:
    if cell == "":
        return None
    try:
        kwh = Decimal(cell)
    except InvalidOperation as error:
        raise BadInput(file_name, number, f"value {index + 1}", f"not a number: {cell!r}") from error
    if kwh != kwh.quantize(KWH_QUANTUM):
        raise BadInput(file_name, number, f"value {index + 1}", "more than 3 decimals")
    return int(kwh * WH_PER_KWH)


