"""Read a user's load CSV (`interval_start`, `energy_kwh`) and a holiday list for the tariff calculator.

`interval_start` is ISO 8601 with a UTC offset (a naive time is refused: it would be ambiguous at fall-back).
`energy_kwh` is a decimal; values are held as integers in the finest unit the file uses (at least Wh), so no
digit is lost. The interval length is the greatest divisor of an hour that divides every step between starts
(gaps are allowed, duplicates and disorder are not).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from common.bounds import INT64_MAX, checked_decimal, checked_instant
from common.errors import BadInput
from settlement.tariffs.bill import LoadSeries
from settlement.tariffs.calendar import datetime_to_utc_us
from settlement.tariffs.load_columnar import read_load_columnar

DECIMALS_MAX = 9
ROWS_MAX = 2_000_000
ENERGY_KWH_PER_ROW_MAX = 1_000_000
"""1 GWh in one interval: beyond any metering point."""


def read_load_csv(source: str, text: str) -> LoadSeries:
    """The load series of a file: columnar when the file is plain (`load_columnar`, the same result), else row by
    row, which refuses the first bad row naming file, line and field."""
    columnar = read_load_columnar(text, ROWS_MAX, DECIMALS_MAX, ENERGY_KWH_PER_ROW_MAX)
    if columnar is not None:
        return columnar
    try:
        return _read_load_csv(source, text)
    except csv.Error as error:  # a bare carriage return or a stray quote: the text is not CSV
        raise BadInput(source, None, None, f"not readable as CSV: {error}") from error


def _read_load_csv(source: str, text: str) -> LoadSeries:
    reader = csv.DictReader(io.StringIO(text))
    for column in ("interval_start", "energy_kwh"):
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise BadInput(source, 1, column, "column missing from the header")
    starts: list[datetime] = []
    energies: list[Decimal] = []
    for line_no, row in enumerate(reader, start=2):
        if line_no - 1 > ROWS_MAX:
            raise BadInput(source, line_no, None, f"more than {ROWS_MAX} rows")
        starts.append(_start(source, line_no, row["interval_start"]))
        energies.append(_energy(source, line_no, row["energy_kwh"]))
        if len(starts) > 1 and starts[-1] <= starts[-2]:
            raise BadInput(source, line_no, "interval_start", "not after the previous row (duplicate or disorder)")
    if not starts:
        raise BadInput(source, None, None, "no data rows")
    minutes = _interval_minutes(source, starts)
    decimals = max(3, max(_decimal_places(energy) for energy in energies))
    units_per_kwh = 10**decimals
    if sum(energies) * units_per_kwh > INT64_MAX:  # the bill sums integer units in 64 bits
        raise BadInput(source, None, "energy_kwh", f"the total at {decimals} decimal places overflows; "
                       "give fewer decimal places")
    return LoadSeries(
        starts_utc_us=np.array([datetime_to_utc_us(start) for start in starts], dtype=np.int64),
        energy_units=np.array([int(energy * units_per_kwh) for energy in energies], dtype=np.int64),
        interval_minutes=np.full(len(starts), minutes, dtype=np.int64),
        units_per_kwh=units_per_kwh,
    )


def _start(source: str, line_no: int, text: str | None) -> datetime:
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError as error:
        raise BadInput(source, line_no, "interval_start", f"{text!r} is not ISO 8601") from error
    try:
        return checked_instant(value)  # an offset, and years 1900 to 2999 (common.bounds)
    except ValueError as error:
        raise BadInput(source, line_no, "interval_start", f"{text!r}: {error}") from error


def _energy(source: str, line_no: int, text: str | None) -> Decimal:
    try:
        value = checked_decimal(text or "")  # finite, ASCII digits (Decimal reads other scripts' digits too)
    except ValueError as error:
        raise BadInput(source, line_no, "energy_kwh", f"{text!r} is not a decimal number: {error}") from error
    if value < 0 or value > ENERGY_KWH_PER_ROW_MAX:
        raise BadInput(source, line_no, "energy_kwh", f"{text!r} is not an energy from 0 to {ENERGY_KWH_PER_ROW_MAX}")
    if _decimal_places(value) > DECIMALS_MAX:
        raise BadInput(source, line_no, "energy_kwh", f"more than {DECIMALS_MAX} decimal places")
    return value


def _decimal_places(value: Decimal) -> int:
    """Digits after the point of a finite value; NaN and infinities (exponent "n", "N" or "F") have none."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int):
        return -exponent
    raise ValueError(f"{value} is not a finite decimal")


def _interval_minutes(source: str, starts: list[datetime]) -> int:
    """The largest length dividing an hour that every step between starts is a multiple of (sparse data, such
    as one hour a day, still reads as hourly)."""
    minutes = 60
    for index, (earlier, later) in enumerate(itertools.pairwise(starts)):
        step = later - earlier
        if step % timedelta(minutes=1):
            raise BadInput(source, index + 3, "interval_start", f"step {step} is not a whole number of minutes")
        minutes = math.gcd(minutes, step // timedelta(minutes=1))
    return minutes


def is_portfolio(path: Path) -> bool:
    """Whether `path` names many meters (a folder, or a Parquet file: `settlement.tariffs.portfolio`) rather than
    one load CSV."""
    return path.is_dir() or path.suffix.lower() == ".parquet"


def read_holidays(source: str, text: str) -> frozenset[date]:
    """One ISO date (YYYY-MM-DD) per line; blank lines and `#` comments are ignored."""
    holidays: set[date] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        try:
            holidays.add(date.fromisoformat(content))
        except ValueError as error:
            raise BadInput(source, line_no, "date", f"{content!r} is not YYYY-MM-DD") from error
    return frozenset(holidays)


def with_export(source: str, load: LoadSeries, export: LoadSeries) -> LoadSeries:
    """The load (grid import) with an export file's energy on the same intervals. Intervals present in only one
    file get zero in the other; both files must use one interval length, so each row is one interval of both."""
    if load.starts_utc_us.size and export.starts_utc_us.size and \
            int(load.interval_minutes[0]) != int(export.interval_minutes[0]):
        raise BadInput(source, None, "interval_start", f"{int(export.interval_minutes[0])}-minute intervals, the "
                       f"load file has {int(load.interval_minutes[0])}-minute ones")
    units_per_kwh = max(load.units_per_kwh, export.units_per_kwh)  # both powers of ten: the scaling is exact
    starts = np.union1d(load.starts_utc_us, export.starts_utc_us)
    imported = np.zeros(starts.size, dtype=np.int64)
    exported = np.zeros(starts.size, dtype=np.int64)
    imported[np.searchsorted(starts, load.starts_utc_us)] = load.energy_units * (units_per_kwh // load.units_per_kwh)
    exported[np.searchsorted(starts, export.starts_utc_us)] = \
        export.energy_units * (units_per_kwh // export.units_per_kwh)
    minutes = int(load.interval_minutes[0]) if load.starts_utc_us.size else int(export.interval_minutes[0])
    return LoadSeries(starts, imported, np.full(starts.size, minutes, dtype=np.int64), units_per_kwh, exported)
