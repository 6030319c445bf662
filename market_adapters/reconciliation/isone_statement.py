"""ISO-NE's real-time location summary (MIS report SR_RTLOCSUM) -> one statement run in format v1.

The report (`SR_RTLOCSUM_<customer id>_<settlement date>_<version>.CSV`) is in ISO-NE's C/H/D/T layout; its
comments carry the customer name and `Date: mm/dd/yyyy and Version: mm/dd/yyyy hh:mm:ss GMT`. The location
section has one D row per location and trading interval: `Trading Interval` is hour ending, 01..24, with `02X`
for the repeated hour of the fall-back day and no `03` on the spring-forward day (ISO-NE's labels, read by
`market_adapters.isone.hour_labels` like the hourly LMP reports; see docs/iso-adapters.md). Per row we take:

- quantity: `Adjusted Net Interchange Deviation` (MWh; injection positive), what the real-time market settles
  (real-time net interchange minus the day-ahead position; a campus without a day-ahead position settles all of it);
- price: `Real Time Energy Component` + `Real Time Congestion Component` + `Real Time Marginal Loss Component`
  ($/MWh, the real-time LMP at the location);
- amount: the sum of `Real Time Energy/Congestion/Loss Charge/Credit` ($, credit positive).

Each line is charge type RT_ENERGY_TIE for resource = the Location ID (the campus's revenue meters at the point
of interconnection carry it as their ISO meter id), priced at node = the Location Name. Other columns of the
section are listed in the document's `source.ignored_columns`, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from common.bounds import checked_decimal
from common.errors import BadInput
from market_adapters.isone import Section, hour_labels, read_isone_csv
from market_adapters.reconciliation.statement_file import FileLine, StatementFile

REPORT = "SR_RTLOCSUM"
CHARGE_TYPE = "RT_ENERGY_TIE"
STAMP = re.compile(r"Date:\s*(\d{2}/\d{2}/\d{4})\s+and\s+Version:\s*(\d{2}/\d{2}/\d{4}\s+\d{2}:\d{2}:\d{2})\s*GMT",
                   re.IGNORECASE)
QUANTITY = "Adjusted Net Interchange Deviation"
PRICE_PARTS = ("Real Time Energy Component", "Real Time Congestion Component", "Real Time Marginal Loss Component")
AMOUNT_PARTS = ("Real Time Energy Charge/Credit", "Real Time Congestion Charge/Credit", "Real Time Loss Charge/Credit")
KEYS = ("Trading Interval", "Location ID", "Location Name")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LocationHour:
    line_no: int
    location_id: str
    location_name: str
    interval_start_utc: datetime
    quantity_mwh: Decimal
    price_usd_per_mwh: Decimal
    amount_usd: Decimal


@dataclass(frozen=True)
class LocationSummary:
    source: str
    operating_day: date
    version_utc: datetime
    hours: tuple[LocationHour, ...]
    ignored_columns: tuple[str, ...]


def parse_rtlocsum(source: str, text: str) -> LocationSummary:
    """Read the report's location section; a missing stamp or column, or a bad cell, is BadInput (file, line, field)."""
    report = read_isone_csv(source, text)
    stamp = next((STAMP.search(comment) for comment in report.comments if STAMP.search(comment)), None)
    if stamp is None:
        raise BadInput(source, None, "Date/Version", "no 'Date: mm/dd/yyyy and Version: ... GMT' comment row")
    operating_day = datetime.strptime(stamp.group(1), "%m/%d/%Y").date()
    version_utc = datetime.strptime(stamp.group(2), "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC)
    section = next((s for s in report.sections if all(key in s.header for key in KEYS)), None)
    if section is None:
        raise BadInput(source, None, "Trading Interval", "no section with Trading Interval, Location ID and Name")
    starts = hour_labels(operating_day)
    hours = tuple(_hour(source, section, line, values, starts) for line, values in section.rows)
    used = {*KEYS, QUANTITY, *PRICE_PARTS, *AMOUNT_PARTS}
    return LocationSummary(source, operating_day, version_utc, hours,
                           tuple(column for column in section.header if column not in used))


def _hour(source: str, section: Section, line: int, values: list[str],
          starts: dict[str, datetime]) -> LocationHour:
    def cell(column: str) -> str:
        index = section.column(column, source)
        return values[index] if index < len(values) else ""

    label = cell("Trading Interval").upper()
    if label not in starts:
        raise BadInput(source, line, "Trading Interval",
                       f"{label!r} is not an hour of this day (expected {', '.join(starts)})")
    location_id = cell("Location ID")
    if not location_id.isascii() or not location_id.isdigit():
        raise BadInput(source, line, "Location ID", f"must be a number, not {location_id!r}")
    name = cell("Location Name")
    if not name:
        raise BadInput(source, line, "Location Name", "empty")
    amount = sum((_number(source, line, column, cell(column)) for column in AMOUNT_PARTS), Decimal(0))
    if amount != amount.quantize(CENT):
        raise BadInput(source, line, AMOUNT_PARTS[0], "charges and credits are whole cents")
    return LocationHour(line, location_id, name, starts[label], _number(source, line, QUANTITY, cell(QUANTITY)),
                        sum((_number(source, line, column, cell(column)) for column in PRICE_PARTS), Decimal(0)),
                        amount)


def _number(source: str, line: int, column: str, value: str) -> Decimal:
    try:
        return checked_decimal(value.replace(",", "") or "0")
    except ValueError as error:
        raise BadInput(source, line, column, f"not a number: {value!r}") from error


def rtlocsum_statement_file(summary: LocationSummary) -> StatementFile:
    """The report as a statement file for the versioned import; its run type comes from the order of versions."""
    lines = tuple(FileLine(hour.line_no, CHARGE_TYPE, hour.location_id, hour.location_name, hour.interval_start_utc,
                           60, hour.quantity_mwh, hour.price_usd_per_mwh, hour.amount_usd) for hour in summary.hours)
    statement_id = f"ISONE-{REPORT}-{summary.operating_day:%Y%m%d}-{summary.version_utc:%Y%m%dT%H%M%SZ}"
    return StatementFile("ISONE", summary.source, REPORT, statement_id, summary.operating_day, summary.version_utc,
                         None, lines, source_facts={"ignored_columns": list(summary.ignored_columns)})
