"""MISO market reports (`https://docs.misoenergy.org/marketreports/<YYYYMMDD>_<report>.csv`) -> PRICE_SCHEMA rows.

Reports: `da_expost_lmp`, `da_exante_lmp`, `rt_lmp_final`, `rt_lmp_prelim` (iso-formats.md §5.5). A preamble
(title such as "Day Ahead Market ExPost LMPs", the operating day `MM/DD/YYYY` and
",,,All Hours-Ending are Eastern Standard Time (EST)"; blank lines between them are tolerated), then
`Node,Type,Value,HE 1,...,HE 24`, then one row per node and `Value`: every node's LMP row first, then every MCC
(congestion) row, then every MLC (loss) row, so a node's rows are gathered from the whole file. Prices are
printed short (`.15`, `-.37`, `10`). No MEC row is published; energy is LMP - MCC - MLC, MISO's own
decomposition, when both component rows are there.

Labels: hour-ending 1..24 in Eastern STANDARD time all year, as every file's preamble says, so every day (the
DST days too) has 24 hours: HE n starts at day 00:00 EST + (n - 1) h = day 05:00 UTC + (n - 1) h. A file whose
preamble does not say so is refused, since the rule would not hold. Node type = `Type` as MISO spells it
("Hub", "Loadzone", "Interface", "Gennode"); zone is not in the file (null).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from common.bounds import checked_day
from common.errors import BadInput
from market_adapters.miso.parse import MARKETS, MISO_CLOCK
from market_adapters.prices import PriceRow, parse_price

PREAMBLE_LINES_MAX = 10
ROWS_MAX = 100_000  # ~7,700 rows a day (three per node)
HOURS = 24
HEADER = ("Node", "Type", "Value", *(f"HE {hour}" for hour in range(1, HOURS + 1)))
VALUES = ("LMP", "MCC", "MLC")
EST_NOTE = "eastern standard time"
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
# Words of the title that name a report; a title naming another report than the one asked for is refused.
_TITLE_WORDS = {"da_expost": ("day ahead", "expost"), "da_exante": ("day ahead", "exante"),
                "rt_final": ("real", "final"), "rt_prelim": ("real", "prelim")}


def parse_market_report_csv(text: str, source: str, *, market: str, version: int) -> list[PriceRow]:
    """Every node and hour of a MISO LMP market report; `market` is one of MARKETS' keys (da_expost, ...)."""
    if market not in MARKETS:
        raise BadInput(source, None, "market", f"expected one of {sorted(MARKETS)}, got {market!r}")
    lines = list(csv.reader(io.StringIO(text)))
    header_line = next((number for number, cells in enumerate(lines[:PREAMBLE_LINES_MAX], start=1)
                        if cells and cells[0].strip() == "Node"), None)
    if header_line is None:
        raise BadInput(source, None, "Node", f"no `Node,Type,Value,HE 1..` header in the first {PREAMBLE_LINES_MAX} lines")
    day = _preamble(lines[: header_line - 1], source, market)
    if tuple(cell.strip() for cell in lines[header_line - 1]) != HEADER:
        raise BadInput(source, header_line, None, "header must be Node,Type,Value,HE 1,...,HE 24")
    if len(lines) - header_line > ROWS_MAX:
        raise BadInput(source, None, None, f"more than {ROWS_MAX} rows")
    components: dict[str, dict[str, tuple[int, list[Decimal]]]] = {}
    node_types: dict[str, str] = {}
    for number, cells in enumerate(lines[header_line:], start=header_line + 1):
        if not any(cell.strip() for cell in cells):
            continue
        node, node_type, value, prices = _data_row(cells, source, number)
        if value in components.setdefault(node, {}):
            raise BadInput(source, number, "Value", f"a second {value} row for {node}")
        components[node][value] = (number, prices)
        node_types[node] = node_type
    return [row for node, by_value in components.items()
            for row in _node_rows(node, node_types[node], by_value, day, source, MARKETS[market], version)]


def _preamble(lines: list[list[str]], source: str, market: str) -> datetime:
    cells = [cell.strip() for line in lines for cell in line if cell.strip()]
    dates = [cell for cell in cells if _DATE.match(cell)]
    if not dates:
        raise BadInput(source, None, "date", "the preamble names no operating day (MM/DD/YYYY)")
    try:
        day = datetime.strptime(dates[0], "%m/%d/%Y")
        checked_day(day.date())
    except ValueError as error:
        raise BadInput(source, None, "date", f"{dates[0]!r}: {error}") from error
    if not any(EST_NOTE in cell.lower() for cell in cells):
        raise BadInput(source, None, "preamble", "the file does not say its hours are Eastern Standard Time")
    title = cells[0].lower().replace("-", " ")
    named = [key for key, words in _TITLE_WORDS.items() if all(word in title for word in words)]
    if named and market not in named:
        raise BadInput(source, 1, "title", f"{cells[0]!r} is not the {market} report")
    return day.replace(tzinfo=MISO_CLOCK)


def _data_row(cells: list[str], source: str, number: int) -> tuple[str, str, str, list[Decimal]]:
    if len(cells) != len(HEADER):
        raise BadInput(source, number, None, f"{len(cells)} fields, the header has {len(HEADER)}")
    node, node_type, value = (cell.strip() for cell in cells[:3])
    if not node:
        raise BadInput(source, number, "Node", "blank")
    if value not in VALUES:
        raise BadInput(source, number, "Value", f"expected one of {', '.join(VALUES)}, got {value[:20]!r}")
    prices = [parse_price(cell, source, number, f"HE {hour}") for hour, cell in enumerate(cells[3:], start=1)]
    return node, node_type, value, prices


def _node_rows(node: str, node_type: str, by_value: dict[str, tuple[int, list[Decimal]]], day: datetime,
               source: str, market: str, version: int) -> list[PriceRow]:
    if "LMP" not in by_value:
        line = min(number for number, _ in by_value.values())
        raise BadInput(source, line, "Value", f"{node} has no LMP row")
    lmp = by_value["LMP"][1]
    congestion = by_value["MCC"][1] if "MCC" in by_value else None
    loss = by_value["MLC"][1] if "MLC" in by_value else None
    rows = []
    for hour in range(HOURS):
        congestion_hour = None if congestion is None else congestion[hour]
        loss_hour = None if loss is None else loss[hour]
        energy_hour = None if congestion_hour is None or loss_hour is None else lmp[hour] - congestion_hour - loss_hour
        rows.append(PriceRow(
            iso="MISO", market=market, node=node, interval_start_utc=(day + timedelta(hours=hour)).astimezone(UTC),
            interval_minutes=60, lmp_usd_per_mwh=lmp[hour], energy_usd_per_mwh=energy_hour,
            congestion_usd_per_mwh=congestion_hour, loss_usd_per_mwh=loss_hour, publish_time_utc=None,
            version=version, node_type=node_type or None, zone=None,
        ))
    return rows
