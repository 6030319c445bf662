"""Bounds on numbers, instants and days that arrive from outside (API bodies and queries, campus files, contract
terms, load and statement files). A value outside them is refused where it is read, with its field named, instead
of failing later in arithmetic, a time-zone conversion, the canonical-JSON hash or a database column.

- Instants and days: years 1900 to 2999, the same window as billing periods. Wider than any meter data or
  contract, and far enough inside what `datetime` represents that a conversion to UTC or to a local zone never
  overflows (year 1 at +05:00 and year 9999 at -05:00 do).
- Decimals: finite, ASCII digits only (`Decimal` and `int` would read Arabic-Indic or fullwidth digits), magnitude
  below 10**15 and at most 12 decimal places: prices, quantities, fractions and multipliers all fit with room to
  spare, and exact arithmetic on them stays inside the default 28-digit context.
- Integers: within a signed 64-bit column (`INT64_MAX`); inside hashed documents, within JSON's exact range.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, Field

YEAR_MIN: Final = 1900
YEAR_MAX: Final = 2999
INT32_MAX: Final = 2**31 - 1
INT64_MAX: Final = 2**63 - 1
JSON_INTEGER_ABS_MAX: Final = 2**53 - 1
DECIMAL_ABS_LIMIT: Final = Decimal(10) ** 15
DECIMAL_PLACES_MAX: Final = 12
NUMBER_TEXT_CHARS_MAX: Final = 64
NUMBER_TEXT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$")


def checked_instant(value: datetime) -> datetime:
    """`value` in UTC; ValueError when it has no offset or falls outside years YEAR_MIN..YEAR_MAX."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no UTC offset")
    if not YEAR_MIN <= value.year <= YEAR_MAX:  # checked first: year 1 at +05:00 cannot be converted at all
        raise ValueError(f"{value.isoformat()}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    utc = value.astimezone(UTC)
    if not YEAR_MIN <= utc.year <= YEAR_MAX:
        raise ValueError(f"{value.isoformat()}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    return utc


def checked_day(value: date) -> date:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValueError(f"{value.isoformat()}: the year must be {YEAR_MIN} to {YEAR_MAX}")
    return value


def checked_decimal(value: object, abs_limit: Decimal = DECIMAL_ABS_LIMIT) -> Decimal:
    """An exact, bounded Decimal from an int, a float, a Decimal or a text of ASCII digits; else ValueError.
    `abs_limit` is raised only for values that are compared, never multiplied (URDB's 1e38 "no upper tier")."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")  # noqa: TRY004 - pydantic reports ValueError, not TypeError
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not finite")
        number = Decimal(repr(value))  # what the JSON text said, not the binary float's expansion
    elif isinstance(value, int):
        if abs(value) >= abs_limit:
            raise ValueError(f"must be below {abs_limit:,} in magnitude")
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > NUMBER_TEXT_CHARS_MAX or not NUMBER_TEXT.match(text):
            raise ValueError(f"{value[:NUMBER_TEXT_CHARS_MAX]!r} is not a number written with the digits 0-9")
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"{text!r} is not a number") from error
    else:
        raise ValueError(f"{value!r} is not a number")  # noqa: TRY004 - pydantic reports ValueError, not TypeError
    return bounded_decimal(number, abs_limit)


def bounded_decimal(number: Decimal, abs_limit: Decimal = DECIMAL_ABS_LIMIT) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{number} is not finite")
    if abs(number) >= abs_limit:
        raise ValueError(f"must be below {abs_limit:,} in magnitude")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number and exponent < -DECIMAL_PLACES_MAX:
        raise ValueError(f"has more than {DECIMAL_PLACES_MAX} decimal places")
    return number


def number_problem(value: object) -> str | None:
    """Why a number inside a hashed JSON document (contract terms) cannot be kept exactly, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if isinstance(value, int):
        return None if abs(value) <= JSON_INTEGER_ABS_MAX else f"must be within +-{JSON_INTEGER_ABS_MAX:,}"
    try:
        checked_decimal(value)
    except ValueError as error:
        return str(error)
    return None


Instant = Annotated[datetime, AfterValidator(checked_instant)]
"""An aware instant in years YEAR_MIN..YEAR_MAX, converted to UTC (pydantic field or FastAPI query type)."""
Day = Annotated[date, AfterValidator(checked_day)]
"""A calendar day in years YEAR_MIN..YEAR_MAX."""
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
BoundedDecimal = Annotated[Decimal, BeforeValidator(checked_decimal)]
"""A finite, bounded Decimal written with ASCII digits (a TOML or JSON number, or a text). To add bounds, write
`Annotated[Decimal, Field(gt=..., le=...), BeforeValidator(checked_decimal)]`: in that order the JSON Schema
states them."""
