"""ERCOT Real-Time Market settlement statement as a flat CSV of charge-type interval rows -> rows with UTC
interval starts. The layout is ours (ERCOT delivers statements and extracts through its certified MIS area and
publishes neither their XSD nor their DDL); its content is what ERCOT documents publicly. Field by field, with
what is confirmed and what is assumed: docs/iso-adapters.md, "ERCOT RTM settlement statement".

One header row, then one row per charge type, settlement point and 15-minute settlement interval:

    QSE,OperatingDay,RunType,PublishTime,ChargeType,SettlementPoint,IntervalEnding,DSTFlag,PRICE,QTY,AMT,BILLQTY,BILLAMT

- `OperatingDay` MM/DD/YYYY (ERCOT's date form); `RunType` INITIAL, FINAL, TRUEUP or RESETTLEMENT (ERCOT's
  spellings "Initial", "True-Up", ... read the same); a DAM statement is refused. `PublishTime` ISO-8601 with
  its offset. These four, and `QSE`, are the same on every row: one file is one statement.
- `IntervalEnding` counts the day's settlement intervals from local midnight, 1..96; 1..100 on the fall-back day
  and 1..92 on the spring-forward day (ERCOT's 92/96/100 intervals). Interval k covers [midnight + (k - 1) x 15
  min, + 15 min) in elapsed time, so no label is ambiguous. `DSTFlag` is Y exactly on the four intervals of the
  second pass through the repeated hour (01:00-02:00 CST), as ERCOT flags that hour; anything else is refused.
- Interval cuts as ERCOT's settlement system outputs them: `PRICE` $/MWh, `QTY` MWh, `AMT` $ (= PRICE x QTY, a
  charge positive and a payment to the QSE negative), `BILLQTY`/`BILLAMT` the change from the previous run.
  Amounts are whole cents.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from common.bounds import checked_day, checked_decimal, checked_instant
from common.errors import BadInput
from market_adapters.clock import operating_day_bounds_utc, utc_to_wall
from market_adapters.ercot.parse import CENTRAL

HEADER = ("QSE", "OperatingDay", "RunType", "PublishTime", "ChargeType", "SettlementPoint", "IntervalEnding",
          "DSTFlag", "PRICE", "QTY", "AMT", "BILLQTY", "BILLAMT")
STATEMENT_FIELDS = ("QSE", "OperatingDay", "RunType", "PublishTime")
RUN_TYPES = ("INITIAL", "FINAL", "TRUEUP", "RESETTLEMENT")
ROWS_MAX = 500_000  # 100 intervals x a few thousand charge-type/settlement-point pairs
QUARTER_HOUR = timedelta(minutes=15)
CENT = Decimal("0.01")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


@dataclass(frozen=True)
class StatementRow:
    line: int
    charge_type: str
    settlement_point: str
    interval_ending: int
    interval_start_utc: datetime
    price_usd_per_mwh: Decimal
    quantity_mwh: Decimal  # as ERCOT prints it: positive for energy taken from the market
    amount_usd: Decimal  # a charge positive, a payment to the QSE negative
    bill_quantity_mwh: Decimal  # the change from the previous run
    bill_amount_usd: Decimal


@dataclass(frozen=True)
class RtmStatement:
    source: str
    qse: str
    operating_day: date
    run_type: str
    published_at_utc: datetime
    rows: tuple[StatementRow, ...]


def read_rtm_statement_csv(source: str, text: str) -> RtmStatement:
    """Check and read the file; a bad header, cell or row is BadInput naming file, line and field. Numbers keep
    ERCOT's signs: the reconciliation module turns them into its own terms."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in HEADER if name not in header]
    if missing:
        raise BadInput(source, 1, missing[0], "column missing from the header")
    unknown = [name for name in header if name not in HEADER]
    if unknown:
        raise BadInput(source, 1, unknown[0], f"unknown column (this layout has {', '.join(HEADER)})")
    first: dict[str, str] | None = None
    rows: list[StatementRow] = []
    seen: dict[tuple[str, str, int], int] = {}
    for line, cells in enumerate(reader, start=2):
        if line - 1 > ROWS_MAX:
            raise BadInput(source, line, None, f"more than {ROWS_MAX} rows")
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise BadInput(source, line, None, f"{len(cells)} cells; the header has {len(header)}")
        fields = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        if first is None:
            _check_statement_fields(source, line, fields)
            first = fields
        for name in STATEMENT_FIELDS:
            if fields[name] != first[name]:
                raise BadInput(source, line, name, f"{fields[name]!r} differs from the first row's {first[name]!r}:"
                               " one file is one statement")
        row = _row(source, line, fields, _day(source, line, first["OperatingDay"]))
        key = (row.charge_type, row.settlement_point, row.interval_ending)
        if key in seen:
            raise BadInput(source, line, "IntervalEnding", f"{row.charge_type} at {row.settlement_point} interval "
                           f"{row.interval_ending} is also on line {seen[key]}")
        seen[key] = line
        rows.append(row)
    if first is None:
        raise BadInput(source, None, None, "no statement rows under the header")
    return RtmStatement(source, first["QSE"], _day(source, 2, first["OperatingDay"]), _run_type(first["RunType"]),
                        _publish_time(source, 2, first["PublishTime"]), tuple(rows))


def _check_statement_fields(source: str, line: int, fields: dict[str, str]) -> None:
    if not fields["QSE"]:
        raise BadInput(source, line, "QSE", "blank")
    run_type = _run_type(fields["RunType"])
    if run_type == "DAM":
        raise BadInput(source, line, "RunType", "a Day-Ahead Market statement; this reads Real-Time Market ones")
    if run_type not in RUN_TYPES:
        raise BadInput(source, line, "RunType", f"expected Initial, Final, True-Up or Resettlement, got "
                       f"{fields['RunType']!r}")
    _day(source, line, fields["OperatingDay"])
    _publish_time(source, line, fields["PublishTime"])


def _run_type(text: str) -> str:
    """ERCOT's spellings ("Initial", "True-Up", "TRUE_UP") as format v1's run type names."""
    return re.sub(r"[\s_-]", "", text).upper()


def _row(source: str, line: int, fields: dict[str, str], day: date) -> StatementRow:
    charge_type = fields["ChargeType"]
    if not CODE.match(charge_type):
        raise BadInput(source, line, "ChargeType", f"expected an ERCOT charge type code such as RTEIAMT, got "
                       f"{charge_type!r}")
    if not fields["SettlementPoint"]:
        raise BadInput(source, line, "SettlementPoint", "blank")
    ending, start_utc = _interval(source, line, fields, day)
    numbers = {name: _number(source, line, name, fields[name]) for name in ("PRICE", "QTY", "AMT", "BILLQTY",
                                                                           "BILLAMT")}
    for name in ("AMT", "BILLAMT"):
        if numbers[name] != numbers[name].quantize(CENT):
            raise BadInput(source, line, name, f"amounts are whole cents, got {fields[name]!r}")
    return StatementRow(line, charge_type, fields["SettlementPoint"], ending, start_utc, numbers["PRICE"],
                        numbers["QTY"], numbers["AMT"], numbers["BILLQTY"], numbers["BILLAMT"])


def _number(source: str, line: int, name: str, text: str) -> Decimal:
    try:
        return checked_decimal(text)  # finite, ASCII digits, below 10**15 (common.bounds)
    except ValueError as error:
        raise BadInput(source, line, name, f"not a number: {text!r}") from error


def _interval(source: str, line: int, fields: dict[str, str], day: date) -> tuple[int, datetime]:
    """IntervalEnding k -> the UTC start of the k-th quarter hour of the local day, checked against DSTFlag."""
    start_utc, end_utc = operating_day_bounds_utc(day, CENTRAL)
    count = (end_utc - start_utc) // QUARTER_HOUR
    text = fields["IntervalEnding"]
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= count:
        raise BadInput(source, line, "IntervalEnding", f"{day:%m/%d/%Y} has intervals 1..{count}, got {text!r}")
    interval_start_utc = start_utc + (int(text) - 1) * QUARTER_HOUR
    second_pass = utc_to_wall(interval_start_utc, CENTRAL)[1] == 1
    flag = fields["DSTFlag"].upper()
    if flag not in ("Y", "N"):
        raise BadInput(source, line, "DSTFlag", f"expected Y or N, got {fields['DSTFlag']!r}")
    if (flag == "Y") != second_pass:
        raise BadInput(source, line, "DSTFlag", f"interval {text} of {day:%m/%d/%Y} is "
                       f"{'' if second_pass else 'not '}in the second pass of the repeated hour: DSTFlag must be "
                       f"{'Y' if second_pass else 'N'}")
    return int(text), interval_start_utc


def _day(source: str, line: int, text: str) -> date:
    try:
        return checked_day(datetime.strptime(text, "%m/%d/%Y").date())
    except ValueError as error:
        raise BadInput(source, line, "OperatingDay", f"expected MM/DD/YYYY, got {text!r}") from error


def _publish_time(source: str, line: int, text: str) -> datetime:
    try:
        return checked_instant(datetime.fromisoformat(text))
    except ValueError as error:
        raise BadInput(source, line, "PublishTime", f"expected ISO-8601 with an offset, got {text!r}") from error
