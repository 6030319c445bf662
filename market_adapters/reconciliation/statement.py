"""Statement runs in the wattledger statement format v1 (what the fake ISO publishes; see docs/iso-adapters.md).

One run = one immutable version of an ISO's settlement for one operating day: INITIAL, FINAL, TRUEUP (ERCOT
names; CAISO T+3B/T+12B/T+55B and MISO S7/S14/S55 map onto the same sequence). Every line carries the full
quantity, price and amount plus its DELTA against the previous run, as ERCOT's BILLQTY/BILLAMT do.
Signs: quantity is MWh delivered to the market by us (load is negative); amount is USD paid to us
(a charge is negative). Amounts are cents; we hold them as integer micro-USD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.bounds import checked_day, checked_decimal, checked_instant
from common.errors import BadInput

FORMAT = "wattledger-statement/1"
RUN_TYPES = ("INITIAL", "FINAL", "TRUEUP", "RESETTLEMENT")
MICROS_PER_USD = Decimal(1_000_000)
LINES_MAX = 200_000
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    charge_type: str
    resource_id: str
    node: str
    interval_start_utc: datetime
    interval_minutes: int
    quantity_mwh: Decimal
    price_usd_per_mwh: Decimal
    amount_usd_micros: int
    quantity_delta_mwh: Decimal
    amount_delta_usd_micros: int


@dataclass(frozen=True)
class StatementRun:
    statement_id: str
    iso: str
    operating_day: date
    run_type: str
    run_sequence: int
    published_at_utc: datetime
    lines: tuple[StatementLine, ...]


def parse_statement(document: dict[str, Any]) -> StatementRun:
    """Check and read one statement run; a bad field is BadInput naming the statement, line and field."""
    source = str(document.get("statement_id") or "statement")
    if document.get("format") != FORMAT:
        raise BadInput(source, None, "format", f"expected {FORMAT!r}, got {document.get('format')!r}")
    if document.get("run_type") not in RUN_TYPES:
        raise BadInput(source, None, "run_type", f"expected one of {RUN_TYPES}, got {document.get('run_type')!r}")
    lines = document.get("lines")
    if not isinstance(lines, list) or len(lines) > LINES_MAX:
        raise BadInput(source, None, "lines", f"must be a list of at most {LINES_MAX} lines")
    return StatementRun(
        statement_id=source, iso=_text(document, "iso", source, None),
        operating_day=_day(document, source), run_type=document["run_type"],
        run_sequence=_int(document, "run_sequence", source, None),
        published_at_utc=_instant(document, "published_at_utc", source, None),
        lines=tuple(_line(item, source) for item in lines),
    )


def _line(item: dict[str, Any], source: str) -> StatementLine:
    line_no = _int(item, "line_no", source, None)
    return StatementLine(
        line_no=line_no, charge_type=_text(item, "charge_type", source, line_no),
        resource_id=_text(item, "resource_id", source, line_no), node=_text(item, "node", source, line_no),
        interval_start_utc=_instant(item, "interval_start_utc", source, line_no),
        interval_minutes=_int(item, "interval_minutes", source, line_no),
        quantity_mwh=_decimal(item, "quantity_mwh", source, line_no),
        price_usd_per_mwh=_decimal(item, "price_usd_per_mwh", source, line_no),
        amount_usd_micros=_micros(item, "amount_usd", source, line_no),
        quantity_delta_mwh=_decimal(item, "quantity_delta_mwh", source, line_no),
        amount_delta_usd_micros=_micros(item, "amount_delta_usd", source, line_no),
    )


def _text(item: dict[str, Any], field: str, source: str, line: int | None) -> str:
    value = item.get(field)
    if not isinstance(value, str) or not value:
        raise BadInput(source, line, field, "must be a non-empty string")
    return value


def _int(item: dict[str, Any], field: str, source: str, line: int | None) -> int:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise BadInput(source, line, field, f"must be an integer from 1 to {INT32_MAX}")
    return value


def _decimal(item: dict[str, Any], field: str, source: str, line: int | None) -> Decimal:
    # Decimal fields travel as JSON strings so no float ever touches them.
    value = item.get(field)
    if not isinstance(value, str):
        raise BadInput(source, line, field, f"must be a decimal string, got {value!r}")
    try:
        return checked_decimal(value)  # finite, ASCII digits, below 10**15 (common.bounds)
    except ValueError as error:
        raise BadInput(source, line, field, f"must be a decimal string: {error}") from error


def _micros(item: dict[str, Any], field: str, source: str, line: int | None) -> int:
    usd = _decimal(item, field, source, line)
    if usd != usd.quantize(Decimal("0.01")):
        raise BadInput(source, line, field, "amounts are whole cents")
    return int(usd * MICROS_PER_USD)


def _instant(item: dict[str, Any], field: str, source: str, line: int | None) -> datetime:
    try:
        value = datetime.fromisoformat(str(item.get(field)))
    except ValueError as error:
        raise BadInput(source, line, field, f"not an ISO-8601 instant: {item.get(field)!r}") from error
    try:
        return checked_instant(value)  # an offset, years 1900 to 2999 (common.bounds)
    except ValueError as error:
        raise BadInput(source, line, field, str(error)) from error


def _day(document: dict[str, Any], source: str) -> date:
    try:
        day = date.fromisoformat(str(document.get("operating_day")))
    except ValueError as error:
        raise BadInput(source, None, "operating_day", "must be YYYY-MM-DD") from error
    try:
        return checked_day(day)
    except ValueError as error:
        raise BadInput(source, None, "operating_day", str(error)) from error
