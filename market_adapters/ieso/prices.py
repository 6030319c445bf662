"""IESO price reports (CSV) -> PRICE_SCHEMA rows in CAD (docs/iso-adapters.md, "IESO and AESO").

- HOEP, `PUB_PriceHOEPPredispOR_<YYYY>.csv` (retired at Market Renewal, 1 May 2025; history stays published):
  comment lines starting with backslashes (title, "Created at ...", "For <year>"), then the header `Date, Hour,
  HOEP, Hour 1 Predispatch, Hour 2 Predispatch, Hour 3 Predispatch, OR 10 Min Sync, OR 10 Min non-sync, OR 30
  Min`. `Date` is YYYY-MM-DD, `Hour` is hour ending 1..24. One Ontario-wide price: node "ONTARIO", market "RT".
  Only Date, Hour and HOEP are read; the predispatch and operating-reserve columns are not energy prices.
- Real-time energy LMP, `PUB_RealtimeEnergyLMP_<YYYYMMDDHH>.csv` (one delivery hour per file, from Market
  Renewal on): one line before the header `Delivery Hour, Interval, Pricing Location, LMP, Energy Loss Price,
  Energy Congestion Price`; the delivery date is in the file name only. `Interval` 1..12 are the hour's
  five-minute intervals. Node = Pricing Location without its ":LMP" suffix, market "RT5"; loss and congestion as
  published, energy left null (the file gives no reference price).

Clock: IESO's market runs on Eastern Standard Time all year, so every day has 24 hours, also on Ontario's
daylight-saving days, and no label repeats or goes missing: start = date + (hour - 1) h (+ 5 min x (interval -
1)) at UTC-5. A label outside 1..24 (or 1..12) is bad input. A column we do not know is refused.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from common.errors import BadInput
from market_adapters.prices import PriceRow, parse_price

CURRENCY = "CAD"
EST_OFFSET = timedelta(hours=-5)
ROWS_MAX = 500_000
HOEP_NODE = "ONTARIO"
HOEP_COLUMNS = ("Date", "Hour", "HOEP", "Hour 1 Predispatch", "Hour 2 Predispatch", "Hour 3 Predispatch",
                "OR 10 Min Sync", "OR 10 Min non-sync", "OR 30 Min")
LMP_COLUMNS = ("Delivery Hour", "Interval", "Pricing Location", "LMP", "Energy Loss Price",
               "Energy Congestion Price")
LMP_FILE_NAME = re.compile(r"PUB_RealtimeEnergyLMP_(\d{8})(\d{2})(?:_v\d+)?\.csv$", re.IGNORECASE)


def parse_hoep_csv(text: str, source: str) -> list[PriceRow]:
    """Every hour of a HOEP year report; a blank HOEP (an hour not yet priced) is skipped."""
    rows: list[tuple[int, PriceRow]] = []
    for line, record in _records(text, source, HOEP_COLUMNS, required=HOEP_COLUMNS[:3]):
        day = _date(record["Date"], "%Y-%m-%d", source, line, "Date")
        hour = _number_in(record["Hour"], 24, source, line, "Hour")
        if not record["HOEP"]:
            continue
        rows.append((line, _row(HOEP_NODE, "RT", day + timedelta(hours=hour - 1), 60, record["HOEP"], None, None,
                                source, line, "HOEP", node_type="ZONE")))
    return _unique(rows, source, "Hour")


def parse_realtime_lmp_csv(text: str, source: str) -> list[PriceRow]:
    """Every five-minute price of one delivery hour's real-time LMP report; the date comes from the file name."""
    name = LMP_FILE_NAME.search(source.replace("\\", "/").rsplit("/", 1)[-1])
    if name is None:
        raise BadInput(source, None, "file name", "expected PUB_RealtimeEnergyLMP_<YYYYMMDDHH>.csv (the delivery "
                       "date is only in the name)")
    day = _date(name.group(1), "%Y%m%d", source, None, "file name")
    file_hour = _number_in(name.group(2), 24, source, None, "file name")
    rows: list[tuple[int, PriceRow]] = []
    for line, record in _records(text, source, LMP_COLUMNS, required=LMP_COLUMNS):
        hour = _number_in(record["Delivery Hour"], 24, source, line, "Delivery Hour")
        if hour != file_hour:
            raise BadInput(source, line, "Delivery Hour", f"{hour} in the file of hour {file_hour}")
        interval = _number_in(record["Interval"], 12, source, line, "Interval")
        node = record["Pricing Location"].removesuffix(":LMP")
        if not node:
            raise BadInput(source, line, "Pricing Location", "blank")
        start = day + timedelta(hours=hour - 1, minutes=5 * (interval - 1))
        rows.append((line, _row(node, "RT5", start, 5, record["LMP"], record["Energy Loss Price"],
                                record["Energy Congestion Price"], source, line, "LMP")))
    return _unique(rows, source, "Interval")


def _records(text: str, source: str, known: tuple[str, ...],
             required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Data lines under the header (the first line naming every required column), as column -> cell."""
    columns: list[str] | None = None
    records: list[tuple[int, dict[str, str]]] = []
    for offset, cells in enumerate(csv.reader(io.StringIO(text))):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 1, None, f"more than {ROWS_MAX} lines")
        line, cells = offset + 1, [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("\\"):
            continue
        if columns is None:
            if all(name in cells for name in required):
                columns = _header(cells, known, source, line)
            elif records or offset > 5:
                raise BadInput(source, line, required[0], f"no header naming {', '.join(required)}")
            continue
        if len(cells) < len(columns):
            raise BadInput(source, line, None, f"{len(cells)} fields, the header has {len(columns)}")
        records.append((line, dict(zip(columns, cells, strict=False))))
    if columns is None:
        raise BadInput(source, None, required[0], f"no header naming {', '.join(required)}")
    return records


def _header(cells: list[str], known: tuple[str, ...], source: str, line: int) -> list[str]:
    named = [cell for cell in cells if cell]
    for name in named:
        if name not in known:
            raise BadInput(source, line, name, "unknown column in this IESO report")
    return named


def _row(node: str, market: str, wall_start: datetime, minutes: int, lmp: str, loss: str | None,
         congestion: str | None, source: str, line: int, field: str, node_type: str | None = None) -> PriceRow:
    return PriceRow(
        iso="IESO", market=market, node=node, interval_start_utc=(wall_start - EST_OFFSET).replace(tzinfo=UTC),
        interval_minutes=minutes, lmp_usd_per_mwh=parse_price(lmp, source, line, field), energy_usd_per_mwh=None,
        congestion_usd_per_mwh=None if congestion is None else parse_price(congestion, source, line,
                                                                           "Energy Congestion Price"),
        loss_usd_per_mwh=None if loss is None else parse_price(loss, source, line, "Energy Loss Price"),
        publish_time_utc=None, version=1, node_type=node_type, zone=None, currency=CURRENCY)


def _date(text: str, pattern: str, source: str, line: int | None, field: str) -> datetime:
    try:
        return datetime.strptime(text, pattern)
    except ValueError as error:
        raise BadInput(source, line, field, f"not a date ({pattern}): {text[:20]!r}") from error


def _number_in(text: str, highest: int, source: str, line: int | None, field: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= highest):
        raise BadInput(source, line, field, f"expected 1..{highest}, got {text[:10]!r}")
    return int(text)


def _unique(rows: list[tuple[int, PriceRow]], source: str, field: str) -> list[PriceRow]:
    seen: set[tuple[str, datetime]] = set()
    for line, row in rows:
        key = (row.node, row.interval_start_utc)
        if key in seen:
            raise BadInput(source, line, field, f"a second price for {row.node} at "
                           f"{row.interval_start_utc:%Y-%m-%dT%H:%MZ}")
        seen.add(key)
    return [row for _, row in rows]
