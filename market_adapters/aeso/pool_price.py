"""AESO's pool price report (CSV) -> PRICE_SCHEMA rows in CAD (docs/iso-adapters.md, "IESO and AESO").

The report (ETS `HistoricalPoolPriceReportServlet?contentType=csv&beginDate=MMDDYYYY&endDate=MMDDYYYY`): title
lines ("Pool Price", blank, `""`, blank), then the header `Date (HE), Price ($), 30Ravg ($), AIL Demand (MW)`
and one line per hour. `Date (HE)` is `MM/DD/YYYY HH`, hour ending 01..24 in Mountain prevailing time. The
fall-back day repeats hour ending 02: the second one is starred, `02*`. The spring-forward day goes 01, 03:
there is no 02 (the hour 01:00-02:00 MST ends at 03:00 MDT). So the labels of a day are
  24 hours: 01 .. 24;  25 hours: 01, 02, 02*, 03 .. 24;  23 hours: 01, 03 .. 24,
and each label's interval is the day's hour in that order (this is not date + (HE - 1) h on the spring day).
A price of "-" is an hour not yet priced and is skipped. One Alberta-wide price: node "ALBERTA", market "RT".
The 30-day average and the demand are not prices of the hour and are not read. A column we do not know is
refused.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.bounds import YEAR_MAX, YEAR_MIN
from common.errors import BadInput
from market_adapters.clock import operating_day_bounds_utc
from market_adapters.prices import PriceRow, parse_price

CURRENCY = "CAD"
MOUNTAIN = ZoneInfo("America/Edmonton")
NODE = "ALBERTA"
ROWS_MAX = 500_000
REPEATED_HOUR = "02*"
COLUMNS = ("Date (HE)", "Price ($)", "30Ravg ($)", "AIL Demand (MW)")
NOT_PRICED = "-"
_ORDINARY = [f"{hour:02d}" for hour in range(1, 25)]
_LABELS_BY_HOURS = {24: _ORDINARY, 25: ["01", "02", REPEATED_HOUR, *_ORDINARY[2:]],
                    23: [label for label in _ORDINARY if label != "02"]}


def hour_labels(operating_day: date) -> dict[str, datetime]:
    """AESO's hour-ending label -> interval start (UTC) for every hour of `operating_day`."""
    start_utc, end_utc = operating_day_bounds_utc(operating_day, MOUNTAIN)
    labels = _LABELS_BY_HOURS[(end_utc - start_utc) // timedelta(hours=1)]
    return {label: start_utc + timedelta(hours=index) for index, label in enumerate(labels)}


def parse_pool_price_csv(text: str, source: str) -> list[PriceRow]:
    """Every priced hour of a pool price report."""
    columns: list[str] | None = None
    rows: list[PriceRow] = []
    seen: set[datetime] = set()
    days: dict[date, dict[str, datetime]] = {}
    for offset, cells in enumerate(csv.reader(io.StringIO(text))):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 1, None, f"more than {ROWS_MAX} lines")
        line, cells = offset + 1, [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if columns is None:
            if cells[0] == COLUMNS[0]:
                columns = _header(cells, source, line)
            elif offset > 8:
                raise BadInput(source, line, COLUMNS[0], "no header line starting with 'Date (HE)'")
            continue
        record = dict(zip(columns, cells, strict=False))
        price = record.get("Price ($)", "")
        if price == NOT_PRICED:
            continue
        start_utc = _start_utc(record["Date (HE)"], source, line, days)
        if start_utc in seen:
            raise BadInput(source, line, "Date (HE)", f"a second price for {record['Date (HE)']}")
        seen.add(start_utc)
        rows.append(PriceRow(iso="AESO", market="RT", node=NODE, interval_start_utc=start_utc, interval_minutes=60,
                             lmp_usd_per_mwh=parse_price(price, source, line, "Price ($)"), energy_usd_per_mwh=None,
                             congestion_usd_per_mwh=None, loss_usd_per_mwh=None, publish_time_utc=None, version=1,
                             node_type="POOL", zone=None, currency=CURRENCY))
    if columns is None:
        raise BadInput(source, None, COLUMNS[0], "no header line starting with 'Date (HE)'")
    return rows


def _header(cells: list[str], source: str, line: int) -> list[str]:
    named = [cell for cell in cells if cell]
    for name in named:
        if name not in COLUMNS:
            raise BadInput(source, line, name, "unknown column in an AESO pool price report")
    if "Price ($)" not in named:
        raise BadInput(source, line, "Price ($)", "column missing from the header")
    return named


def _start_utc(label: str, source: str, line: int, days: dict[date, dict[str, datetime]]) -> datetime:
    day_text, _, hour_text = label.partition(" ")
    try:
        day = datetime.strptime(day_text, "%m/%d/%Y").date()
    except ValueError as error:
        raise BadInput(source, line, "Date (HE)", f"expected 'MM/DD/YYYY HH', got {label[:24]!r}") from error
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise BadInput(source, line, "Date (HE)", f"the year must be {YEAR_MIN} to {YEAR_MAX}")
    starts = days.setdefault(day, hour_labels(day))
    if hour_text not in starts:
        rule = {23: "a spring-forward day: no 02", 25: "a fall-back day: 02* follows 02"}.get(len(starts), "no 02*")
        raise BadInput(source, line, "Date (HE)", f"{hour_text[:6]!r} is not an hour ending of {day_text} "
                       f"({len(starts)} hours, {rule})")
    return starts[hour_text]
