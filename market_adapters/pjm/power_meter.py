"""PJM Power Meter: the hourly MWh of each meter account (`account_hours`, what every upload carries) and an
hourly CSV of them (iso-formats.md §3.2).

The hourly submission goes to PJM as XML (`power_meter_xml.py`, built from PJM's own CLI samples); PJM takes
CSV only for five-minute submissions, whose layout we have not seen. The CSV below is OUR OWN layout, kept for
reading back files written before the XML, and EVERYTHING in it is UNCONFIRMED: one CSV row per account and hour,
`MeterAccountId,OperatingDate,HourEnding,RepeatedHour,MWh`, OperatingDate `MM/DD/YYYY` in Eastern prevailing
time, HourEnding 1..24 counted from the hour's local START (so the spring-forward day skips HE 3 and the
fall-back day repeats HE 2, the second one with RepeatedHour = Y), MWh with 3 decimals (ROUND_HALF_EVEN once
from Wh). An hour not fully metered is left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from campus import MeterRole
from common.errors import BadInput
from common.timeutil import require_utc
from intervals import MeterIntervals, intervals_of
from market_adapters.clock import NonexistentLocalTime, operating_day_bounds_utc, utc_to_wall, wall_to_utc
from market_adapters.hourly import hourly_energy, read_interval_table
from market_adapters.model import IsoMeterRef

EASTERN = ZoneInfo("America/New_York")
POWER_METER_COLUMNS = ("MeterAccountId", "OperatingDate", "HourEnding", "RepeatedHour", "MWh")  # UNCONFIRMED
MWH_QUANTUM = Decimal("0.001")  # UNCONFIRMED precision
WH_PER_MWH = Decimal(1_000_000)
ROLES = frozenset({MeterRole.GENERATION, MeterRole.GRID_IMPORT, MeterRole.EXPORT})
CHANNEL_RECEIVED = "received"
ROWS_MAX = 100_000


@dataclass(frozen=True)
class PowerMeterFile:
    file_name: str
    text: str


@dataclass(frozen=True)
class PowerMeterHour:
    account_id: str
    hour_start_utc: datetime
    energy_mwh: Decimal


def build_power_meter_file(intervals: str | MeterIntervals, meters: Sequence[IsoMeterRef], operating_day: date,
                           created_at_utc: datetime) -> PowerMeterFile:
    """The hourly CSV of `account_hours`; `intervals` is the file's URI or the file already read."""
    lines = [",".join(POWER_METER_COLUMNS)]
    lines += [_row(hour) for hour in account_hours(intervals, meters, operating_day)]
    stamp = require_utc(created_at_utc, "created_at_utc")
    return PowerMeterFile(f"powermeter_{operating_day:%Y%m%d}_{stamp:%Y%m%d%H%M%S}.csv", "\r\n".join(lines) + "\r\n")


def account_hours(intervals: str | MeterIntervals, meters: Sequence[IsoMeterRef],
                  operating_day: date) -> list[PowerMeterHour]:
    """Net MWh per meter account and UTC hour of the Eastern `operating_day` (a generator's `received` channel
    counts negative), rounded once from Wh (ROUND_HALF_EVEN, MWH_QUANTUM); an hour not fully metered is left
    out. Sorted by account, then hour."""
    read = intervals_of(intervals)
    for meter in meters:
        if meter.role not in ROLES:
            raise BadInput("meters", None, "role", f"meter {meter.meter_id}: Power Meter takes generator and tie meters")
    by_id = {meter.meter_id: meter for meter in meters}
    start_utc, end_utc = operating_day_bounds_utc(operating_day, EASTERN)
    sums: dict[tuple[str, datetime], int] = {}
    incomplete: set[tuple[str, datetime]] = set()
    for hour in hourly_energy(read_interval_table(read, by_id.keys(), start_utc, end_utc), read.uri):
        key = (by_id[hour.meter_id].iso_meter_id, hour.hour_start_utc)
        sign = -1 if hour.channel == CHANNEL_RECEIVED else 1
        sums[key] = sums.get(key, 0) + sign * hour.energy_wh
        if not hour.complete:
            incomplete.add(key)
    return [PowerMeterHour(account_id, hour_start_utc, _mwh(sums[(account_id, hour_start_utc)]))
            for account_id, hour_start_utc in sorted(set(sums) - incomplete)]


def _mwh(energy_wh: int) -> Decimal:
    return (Decimal(energy_wh) / WH_PER_MWH).quantize(MWH_QUANTUM, rounding=ROUND_HALF_EVEN)


def _row(hour: PowerMeterHour) -> str:
    wall, fold = utc_to_wall(hour.hour_start_utc, EASTERN)
    return f"{hour.account_id},{wall:%m/%d/%Y},{wall.hour + 1},{'Y' if fold else 'N'},{hour.energy_mwh}"


def parse_power_meter_csv(text: str, source: str) -> list[PowerMeterHour]:
    """Read an upload file back into UTC hours; the inverse of build_power_meter_file."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != POWER_METER_COLUMNS:
        raise BadInput(source, 1, None, f"header must be {','.join(POWER_METER_COLUMNS)}")
    hours = []
    for offset, record in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2, None, f"more than {ROWS_MAX} rows")
        hours.append(_parse_row(record, source, offset + 2))
    return hours


def _parse_row(record: dict[str, Any], source: str, line: int) -> PowerMeterHour:
    try:
        day = datetime.strptime(record["OperatingDate"], "%m/%d/%Y")
        hour_ending = int(record["HourEnding"])
        mwh = Decimal(record["MWh"])
    except (ValueError, InvalidOperation) as error:
        raise BadInput(source, line, None, f"malformed row: {error}") from error
    if not 1 <= hour_ending <= 24:
        raise BadInput(source, line, "HourEnding", f"{hour_ending} outside 1..24")
    if record["RepeatedHour"] not in ("Y", "N"):
        raise BadInput(source, line, "RepeatedHour", "must be Y or N")
    try:
        start_utc = wall_to_utc(day + timedelta(hours=hour_ending - 1), EASTERN,
                                fold=int(record["RepeatedHour"] == "Y"), label_is_end=False)
    except NonexistentLocalTime as error:
        raise BadInput(source, line, "HourEnding", str(error)) from error
    return PowerMeterHour(record["MeterAccountId"], start_utc, mwh)
