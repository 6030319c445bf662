"""ISO-NE hourly LMP reports (CSV) -> PRICE_SCHEMA rows (iso-formats.md §5.6).

Reports: day-ahead `WW_DALMP_ISO_<YYYYMMDD>.csv` ("Day-Ahead Energy Market Hourly LMP Report") and real-time
`lmp_rt_prelim_<YYYYMMDD>.csv` / `lmp_rt_final_<YYYYMMDD>.csv`. Every line starts with its kind: "C" comment
(title, file name, report date, when generated), "H" header (the first gives the names, the second their
types), "D" data, "T" trailer. Columns: Date, Hour Ending, Location ID, Location Name, Location Type,
Locational Marginal Price, Energy Component, Congestion Component, Marginal Loss Component; a column we do not
know is refused.

The layout is read by `report_csv`. Labels: Eastern prevailing hour ending, read by `hours` (the one home of
ISO-NE's labels): "02X" is the fall-back day's second 01:00-02:00 hour (25 rows per location), the
spring-forward day has 23 rows without "03"; any other label for the day is bad input. Versions: a real-time
final report supersedes the preliminary one, so a report whose comment lines or file name say "final" is
version 2, any other version 1 (ASSUMED from the file names; ISO-NE's report
descriptions were not read). Node = Location Name (as in the five-minute reader), node type = Location Type as
ISO-NE spells it ("HUB", "LOAD ZONE", "NETWORK NODE", ...); zone is not in the file (null).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from common.errors import BadInput
from market_adapters.isone.hours import UnknownHourLabel, hour_start_utc
from market_adapters.isone.report_csv import Section, read_isone_csv
from market_adapters.prices import PriceRow, parse_price

MARKETS = ("DA", "RT")
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
    report = read_isone_csv(source, text)
    rows: list[PriceRow] = []
    seen: set[tuple[str, datetime]] = set()
    for section in report.sections:
        columns = _header(section, source)
        rows += [_row(columns, cells, source, line, market, publish_time_utc, seen) for line, cells in section.rows]
    comments = [source.replace("\\", "/").rsplit("/", 1)[-1], *report.comments]  # the file name, not its folders
    version = 2 if any("final" in comment.lower() for comment in comments) else 1
    return [_with_version(row, version) for row in rows]


def _header(section: Section, source: str) -> list[str]:
    line = section.header_line
    columns = []
    for name in section.header:
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
        day = datetime.strptime(date_text, "%m/%d/%Y").date()
    except ValueError as error:
        raise BadInput(source, line, "Date", f"expected MM/DD/YYYY, got {date_text[:20]!r}") from error
    try:
        return hour_start_utc(day, hour_text)
    except UnknownHourLabel as error:
        raise BadInput(source, line, "Hour Ending", str(error)) from error


def _with_version(row: PriceRow, version: int) -> PriceRow:
    return row if row.version == version else replace(row, version=version)
