"""NYISO MIS LBMP CSV -> PRICE_SCHEMA rows (iso-formats.md §5.4).

Labels: `Time Stamp` is Eastern prevailing wall time, the interval START for day-ahead files and the interval
END for real-time files, so the caller says which (`stamp_is_end`). In the fall-back hour the wall time repeats:
an optional `Time Zone` column (EST/EDT) settles it; without one, the second time a (name, stamp) appears
in the file is taken as the second pass (files list intervals in time order).
Sign: NYISO publishes congestion with the opposite sign (LBMP = energy + losses - congestion); we store it
in the common convention LMP = energy + congestion + loss, so energy = LBMP - losses + published congestion.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.clock import NonexistentLocalTime, wall_to_utc
from market_adapters.prices import PriceRow, parse_price

EASTERN = ZoneInfo("America/New_York")
HEADER_REQUIRED = ("Time Stamp", "Name", "PTID", "LBMP ($/MWHr)", "Marginal Cost Losses ($/MWHr)",
                   "Marginal Cost Congestion ($/MWHr)")
ROWS_MAX = 2_000_000  # a month of 5-minute generator LBMPs is ~1.3 M rows; more means a wrong file
_ZONE_FOLD = {"EDT": 0, "EST": 1}


def parse_lbmp_csv(text: str, source: str, *, market: str, stamp_is_end: bool, interval_minutes: int,
                   publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Every row of a NYISO LBMP CSV as a PriceRow. `source` names the file in errors."""
    lines = text.lstrip("\r\n")
    skipped = len(text) - len(lines) and text[: len(text) - len(lines)].count("\n")
    reader = csv.DictReader(io.StringIO(lines))
    missing = [name for name in HEADER_REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(source, 1 + skipped, missing[0], "column missing from header")
    seen: set[tuple[str, datetime]] = set()
    rows: list[PriceRow] = []
    for offset, record in enumerate(reader):
        assert offset < ROWS_MAX, f"{source}: more than {ROWS_MAX} rows"
        line = offset + 2 + skipped
        rows.append(_row(record, source, line, market, stamp_is_end, interval_minutes, seen,
                         publish_time_utc, version))
    return rows


def _row(record: dict[str, Any], source: str, line: int, market: str, stamp_is_end: bool,
         interval_minutes: int, seen: set[tuple[str, datetime]], publish_time_utc: datetime | None,
         version: int) -> PriceRow:
    wall = _parse_stamp(record["Time Stamp"], source, line)
    name = record["Name"].strip()
    zone = (record.get("Time Zone") or "").strip()
    if zone and zone not in _ZONE_FOLD:
        raise BadInput(source, line, "Time Zone", f"expected EST or EDT, got {zone!r}")
    fold = _ZONE_FOLD[zone] if zone else int((name, wall) in seen)
    seen.add((name, wall))
    try:
        stamp_utc = wall_to_utc(wall, EASTERN, fold=fold, label_is_end=stamp_is_end)
    except NonexistentLocalTime as error:
        raise BadInput(source, line, "Time Stamp", str(error)) from error
    length = timedelta(minutes=interval_minutes)
    lmp = parse_price(record["LBMP ($/MWHr)"], source, line, "LBMP ($/MWHr)")
    loss = parse_price(record["Marginal Cost Losses ($/MWHr)"], source, line, "Marginal Cost Losses ($/MWHr)")
    congestion_published = parse_price(record["Marginal Cost Congestion ($/MWHr)"], source, line,
                                       "Marginal Cost Congestion ($/MWHr)")
    return PriceRow(
        iso="NYISO", market=market, node=name,
        interval_start_utc=stamp_utc - length if stamp_is_end else stamp_utc,
        interval_minutes=interval_minutes, lmp_usd_per_mwh=lmp,
        energy_usd_per_mwh=lmp - loss + congestion_published,
        congestion_usd_per_mwh=-congestion_published, loss_usd_per_mwh=loss,
        publish_time_utc=publish_time_utc, version=version,
    )


def _parse_stamp(text: str, source: str, line: int) -> datetime:
    for pattern in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    raise BadInput(source, line, "Time Stamp", f"expected MM/DD/YYYY HH:MM[:SS], got {text!r}")


@dataclass(frozen=True)
class MeteredHour:
    """One measure of one powerMetering record: the hour beginning `hour_start_utc`, MWh as sent."""

    collection: str
    ptid: int
    hour_start_utc: datetime
    measure: str
    energy_mwh: Decimal


def power_metering_hours(document: dict[str, Any], source: str) -> list[MeteredHour]:
    """Read a powerMetering body (ours or a read-back) back into UTC hours; the inverse of format.py.

    `dateHour` is hour-beginning Eastern with its offset; an offset that is not Eastern's at that instant
    is bad input (it would put the value in the wrong hour).
    """
    hours = []
    for collection, ptid_field in (("generators", "genPtid"), ("ties", "tiePtid"), ("subzones", "subzonePtid")):
        for index, record in enumerate(document.get(collection) or []):
            hour_start_utc = _date_hour_utc(record.get("dateHour"), source, index, collection)
            for measure, value in sorted(record.items()):
                if measure.startswith("meter") and measure.endswith("Mwh"):
                    hours.append(MeteredHour(collection, int(record[ptid_field]), hour_start_utc, measure,
                                             Decimal(repr(value)) if isinstance(value, float) else Decimal(value)))
    return hours


def _date_hour_utc(text: object, source: str, index: int, collection: str) -> datetime:
    try:
        local = datetime.fromisoformat(str(text))
    except ValueError as error:
        raise BadInput(source, index + 1, f"{collection}.dateHour", f"not ISO-8601: {text!r}") from error
    if local.tzinfo is None or local.astimezone(EASTERN).utcoffset() != local.utcoffset():
        raise BadInput(source, index + 1, f"{collection}.dateHour", f"{text} is not Eastern prevailing time")
    return local.astimezone(UTC)
