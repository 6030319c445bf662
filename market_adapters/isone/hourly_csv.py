"""ISO-NE hourly LMP reports (CSV) -> PRICE_SCHEMA rows (iso-formats.md §5.6).

Reports: day-ahead `WW_DALMP_ISO_<YYYYMMDD>.csv` ("Day-Ahead Energy Market Hourly LMP Report") and real-time
`lmp_rt_prelim_<YYYYMMDD>.csv` / `lmp_rt_final_<YYYYMMDD>.csv`. Every line starts with its kind: "C" comment
(title, file name, report date, when generated), "H" header (the first gives the names, the second their
types), "D" data, "T" trailer. Columns: Date, Hour Ending, Location ID, Location Name, Location Type,
Locational Marginal Price, Energy Component, Congestion Component, Marginal Loss Component; a column we do not
know is refused.

Labels: Eastern prevailing, hour-ending "01".."24". The interval starts at date + (HE - 1) h local, the rule
every public reader of these files uses; the fall-back day's repeated hour is labelled "02X" and is the second
pass through 01:00-02:00 (EST), so the day has 25 rows per location. On the spring-forward day the hour starting
02:00 does not exist and ISO-NE publishes 23 rows without "03"; an "03" there, or a "02X" on any other day, is
bad input. Versions: a real-time final report supersedes the preliminary one, so a report whose comment lines
or file name say "final" is version 2, any other version 1 (ASSUMED from the file names; ISO-NE's report
descriptions were not read). Node = Location Name (as in the five-minute reader), node type = Location Type as
ISO-NE spells it ("HUB", "LOAD ZONE", "NETWORK NODE", ...); zone is not in the file (null).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.clock import NonexistentLocalTime, wall_to_utc
from market_adapters.prices import PriceRow, parse_price

EASTERN = ZoneInfo("America/New_York")
MARKETS = ("DA", "RT")
ROWS_MAX = 500_000  # a day of every pnode is ~30,000 rows
REPEATED_HOUR = "02X"
_COLUMNS = {
    "Date": "Date", "Hour Ending": "Hour Ending", "Location ID": "Location ID", "Location Name": "Location Name",
    "Location": "Location Name", "Location Type": "Location Type", "Locational Marginal Price": "LMP",
    "Energy Component": "Energy Component", "Congestion Component": "Congestion Component",
    "Marginal Loss Component": "Loss Component", "Loss Component": "Loss Component",
}
_REQUIRED = ("Date", "Hour Ending", "Location Name", "LMP", "Energy Component", "Congestion Component",
             "Loss Component")


def parse_hourly_lmp_csv(text: str, source: str, *, market: str,
                         publish_time_utc: datetime | None) -> list[PriceRow]:
    """Every "D" row of an ISO-NE hourly LMP report; `market` is "DA" or "RT"."""
    if market not in MARKETS:
        raise BadInput(source, None, "market", f"expected one of {MARKETS}, got {market!r}")
    columns: list[str] | None = None
    comments = [source.replace("\\", "/").rsplit("/", 1)[-1]]  # the file name, not its folders
    rows: list[PriceRow] = []
    seen: set[tuple[str, datetime]] = set()
    for offset, cells in enumerate(csv.reader(io.StringIO(text))):
        assert offset < ROWS_MAX, f"{source}: more than {ROWS_MAX} lines"
        line = offset + 1
        kind = cells[0].strip() if cells else ""
        if kind == "C":
            comments += cells[1:]
        elif kind == "H" and columns is None:
            columns = _header(cells[1:], source, line)
        elif kind == "D":
            if columns is None:
                raise BadInput(source, line, None, "a data row before the header row")
            rows.append(_row(columns, cells[1:], source, line, market, publish_time_utc, seen))
        elif kind not in ("H", "T", ""):
            raise BadInput(source, line, None, f"unknown row kind {kind[:10]!r}: expected C, H, D or T")
    version = 2 if any("final" in comment.lower() for comment in comments) else 1
    return [_with_version(row, version) for row in rows]


def _header(names: list[str], source: str, line: int) -> list[str]:
    columns = []
    for name in names:
        if name.strip() not in _COLUMNS:
            raise BadInput(source, line, name.strip(), "unknown column in an ISO-NE hourly LMP report")
        columns.append(_COLUMNS[name.strip()])
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise BadInput(source, line, missing[0], "column missing from the header row")
    return columns


def _row(columns: list[str], cells: list[str], source: str, line: int, market: str,
         publish_time_utc: datetime | None, seen: set[tuple[str, datetime]]) -> PriceRow:
    if len(cells) != len(columns):
        raise BadInput(source, line, None, f"{len(cells)} fields after the row kind, the header has {len(columns)}")
    record = dict(zip(columns, (cell.strip() for cell in cells), strict=True))
    start_utc = _start_utc(record["Date"], record["Hour Ending"], source, line)
    node = record["Location Name"]
    if not node:
        raise BadInput(source, line, "Location Name", "blank")
    if (node, start_utc) in seen:
        raise BadInput(source, line, "Hour Ending", f"a second row for {node} hour {record['Hour Ending']}")
    seen.add((node, start_utc))
    return PriceRow(
        iso="ISONE", market=market, node=node, interval_start_utc=start_utc, interval_minutes=60,
        lmp_usd_per_mwh=parse_price(record["LMP"], source, line, "Locational Marginal Price"),
        energy_usd_per_mwh=parse_price(record["Energy Component"], source, line, "Energy Component"),
        congestion_usd_per_mwh=parse_price(record["Congestion Component"], source, line, "Congestion Component"),
        loss_usd_per_mwh=parse_price(record["Loss Component"], source, line, "Marginal Loss Component"),
        publish_time_utc=publish_time_utc, version=1,
        node_type=record.get("Location Type") or None, zone=None,
    )


def _start_utc(date_text: str, hour_text: str, source: str, line: int) -> datetime:
    try:
        day = datetime.strptime(date_text, "%m/%d/%Y")
    except ValueError as error:
        raise BadInput(source, line, "Date", f"expected MM/DD/YYYY, got {date_text[:20]!r}") from error
    repeated = hour_text.upper() == REPEATED_HOUR
    hour_ending = 2 if repeated else _hour(hour_text, source, line)
    wall = day + timedelta(hours=hour_ending - 1)
    try:
        start_utc = wall_to_utc(wall, EASTERN, fold=int(repeated), label_is_end=False)
    except NonexistentLocalTime as error:
        raise BadInput(source, line, "Hour Ending", f"{hour_text}: {error}") from error
    if repeated and start_utc == wall_to_utc(wall, EASTERN, fold=0, label_is_end=False):
        raise BadInput(source, line, "Hour Ending", f"02X on {date_text}, which is not a fall-back day")
    return start_utc


def _hour(text: str, source: str, line: int) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 24):
        raise BadInput(source, line, "Hour Ending", f"expected 01..24 or 02X, got {text[:10]!r}")
    return int(text)


def _with_version(row: PriceRow, version: int) -> PriceRow:
    return row if row.version == version else replace(row, version=version)
