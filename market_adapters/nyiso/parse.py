"""NYISO MIS LBMP CSV -> PRICE_SCHEMA rows (iso-formats.md §5.4, §9).

Labels: `Time Stamp` is Eastern prevailing wall time. It is the interval START in the day-ahead file and in the
hourly integrated real-time file (`rtlbmp`), and the interval END in the 5-minute real-time file (`realtime`), so
the caller says which (`stamp_is_end`).
Fall-back hour: the LBMP files carry no `Time Zone` column (NYISO's load files do; if one is present, EST/EDT
settles each row). Without it, a node's stamps run forward in time through the file, so the first stamp of the
repeated hour that is not later than the node's previous one opens the second (EST) pass. That also places an
off-grid RTD stamp (e.g. 01:02:48) that appears only once on that day, which the order of first sightings cannot.
Real-time intervals: RTD runs are not all on the 5-minute grid, so a price holds from the node's previous stamp to
its own (never longer than `interval_minutes`; a missing run leaves a gap, not a longer interval). The schema holds
whole-minute intervals, so each `interval_minutes` slot gets the duration-weighted mean of the RTD intervals that
cover it (rounded half-even to the price column's 6 decimals when a slot holds two prices); a slot not wholly
covered gets no row. Summing slot x minutes gives the hour's time-weighted price.
Columns: the MIS LBMP layout is fixed; a column we do not know is refused, not ignored.
Sign: NYISO publishes congestion with the opposite sign (LBMP = energy + losses - congestion); we store it
in the common convention LMP = energy + congestion + loss, so energy = LBMP - losses + published congestion.
Node attributes: the eleven NYCA load zones are `ZONE` (their own zone) and the four external proxy zones of the
zonal file `EXTERNAL` (NYISO's published zone list); generator files do not say, so both stay null there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.clock import NonexistentLocalTime, wall_to_utc
from market_adapters.prices import PriceRow, parse_price

EASTERN = ZoneInfo("America/New_York")
TIME_ZONE_COLUMN = "Time Zone"
LBMP_COLUMN = "LBMP ($/MWHr)"
LOSS_COLUMN = "Marginal Cost Losses ($/MWHr)"
CONGESTION_COLUMN = "Marginal Cost Congestion ($/MWHr)"
HEADER_REQUIRED = ("Time Stamp", "Name", "PTID", LBMP_COLUMN, LOSS_COLUMN, CONGESTION_COLUMN)
HEADER_OPTIONAL = (TIME_ZONE_COLUMN,)
ROWS_MAX = 2_000_000  # a month of 5-minute generator LBMPs is ~1.3 M rows; more means a wrong file
NYCA_ZONES = frozenset({"CAPITL", "CENTRL", "DUNWOD", "GENESE", "HUD VL", "LONGIL", "MHK VL", "MILLWD", "N.Y.C.",
                        "NORTH", "WEST"})
EXTERNAL_ZONES = frozenset({"H Q", "NPX", "O H", "PJM"})
PRICE_QUANTUM = Decimal("0.000001")
_ZONE_FOLD = {"EDT": 0, "EST": 1}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Stamp:
    """One CSV row: a node's price, components as published, at a UTC stamp."""

    line: int
    node: str
    stamp_utc: datetime
    lmp: Decimal
    loss: Decimal
    congestion_published: Decimal


def parse_lbmp_csv(text: str, source: str, *, market: str, stamp_is_end: bool, interval_minutes: int,
                   publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Every row of a NYISO LBMP CSV as PriceRows (see the module docstring). `source` names the file in errors."""
    if not (0 < interval_minutes <= 60 and 60 % interval_minutes == 0):
        raise BadInput(source, None, "interval_minutes", f"{interval_minutes} does not divide an hour")
    lines = text.lstrip("\r\n")
    skipped = text[: len(text) - len(lines)].count("\n")
    reader = csv.DictReader(io.StringIO(lines))
    header = list(reader.fieldnames or [])
    missing = [name for name in HEADER_REQUIRED if name not in header]
    if missing:
        raise BadInput(source, 1 + skipped, missing[0], "column missing from header")
    unknown = [name for name in header if name not in HEADER_REQUIRED + HEADER_OPTIONAL]
    if unknown:
        raise BadInput(source, 1 + skipped, unknown[0], "unknown column (an LBMP file has "
                       f"{', '.join(HEADER_REQUIRED)} and optionally {TIME_ZONE_COLUMN})")
    passes: dict[str, tuple[datetime, bool]] = {}  # node -> (last wall stamp, in the second pass)
    stamps = []
    for offset, record in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2 + skipped, None, f"more than {ROWS_MAX} rows")
        stamps.append(_stamp(record, source, offset + 2 + skipped, stamp_is_end, passes))
    length = timedelta(minutes=interval_minutes)
    make = _slot_rows if stamp_is_end else _start_rows
    return [PriceRow(iso="NYISO", market=market, node=node, interval_start_utc=start, interval_minutes=interval_minutes,
                     lmp_usd_per_mwh=lmp, energy_usd_per_mwh=lmp - loss + congestion_published,
                     congestion_usd_per_mwh=-congestion_published, loss_usd_per_mwh=loss,
                     publish_time_utc=publish_time_utc, version=version, node_type=_node_type(node),
                     zone=node if node in NYCA_ZONES else None)
            for node, start, lmp, loss, congestion_published in make(stamps, length, source)]


def _stamp(record: dict[Any, Any], source: str, line: int, stamp_is_end: bool,
           passes: dict[str, tuple[datetime, bool]]) -> _Stamp:
    if None in record:
        raise BadInput(source, line, None, f"{len(record[None])} cell(s) beyond the header")
    wall = _parse_stamp(record["Time Stamp"] or "", source, line)
    node = (record["Name"] or "").strip()
    if not node:
        raise BadInput(source, line, "Name", "blank name")
    zone_text = (record.get(TIME_ZONE_COLUMN) or "").strip()
    if zone_text and zone_text not in _ZONE_FOLD:
        raise BadInput(source, line, TIME_ZONE_COLUMN, f"expected EST or EDT, got {zone_text!r}")
    last_wall, second_pass = passes.get(node, (None, False))
    repeated = _is_repeated(wall)
    if not repeated:
        second_pass = False
    elif last_wall is not None and _is_repeated(last_wall) and wall <= last_wall:
        second_pass = True  # the wall clock went back: the EST pass has begun
    passes[node] = (wall, second_pass)
    fold = _ZONE_FOLD[zone_text] if zone_text else int(second_pass)
    try:
        stamp_utc = wall_to_utc(wall, EASTERN, fold=fold, label_is_end=stamp_is_end)
    except NonexistentLocalTime as error:
        raise BadInput(source, line, "Time Stamp", str(error)) from error
    return _Stamp(line, node, stamp_utc, parse_price(record[LBMP_COLUMN] or "", source, line, LBMP_COLUMN),
                  parse_price(record[LOSS_COLUMN] or "", source, line, LOSS_COLUMN),
                  parse_price(record[CONGESTION_COLUMN] or "", source, line, CONGESTION_COLUMN))


def _is_repeated(wall: datetime) -> bool:
    """Whether `wall` happens twice in Eastern time (the fall-back hour)."""
    return wall.replace(tzinfo=EASTERN, fold=0).utcoffset() != wall.replace(tzinfo=EASTERN, fold=1).utcoffset()


Priced = tuple[str, datetime, Decimal, Decimal, Decimal]  # node, interval start UTC, lmp, loss, published congestion


def _start_rows(stamps: list[_Stamp], length: timedelta, source: str) -> list[Priced]:
    """Start-stamped files (day-ahead, hourly integrated real-time): each row is `[stamp, stamp + length)`."""
    seen: set[tuple[str, datetime]] = set()
    for stamp in stamps:
        if (stamp.node, stamp.stamp_utc) in seen:
            raise BadInput(source, stamp.line, "Time Stamp", f"{stamp.node}: a second row for "
                           f"{stamp.stamp_utc.isoformat()}")
        seen.add((stamp.node, stamp.stamp_utc))
    return [(s.node, s.stamp_utc, s.lmp, s.loss, s.congestion_published) for s in stamps]


def _slot_rows(stamps: list[_Stamp], length: timedelta, source: str) -> list[Priced]:
    """End-stamped real-time files: each price holds from the node's previous stamp (at most `length` back) to
    its own; every fully covered `length` slot gets the duration-weighted mean of what covers it."""
    by_node: dict[str, list[_Stamp]] = {}
    for stamp in stamps:
        by_node.setdefault(stamp.node, []).append(stamp)
    rows: list[Priced] = []
    for node, series in by_node.items():
        series.sort(key=lambda s: s.stamp_utc)
        pieces: list[tuple[datetime, datetime, _Stamp]] = []
        previous: datetime | None = None
        for stamp in series:
            if previous == stamp.stamp_utc:
                raise BadInput(source, stamp.line, "Time Stamp", f"{node}: a second row for "
                               f"{stamp.stamp_utc.isoformat()}")
            start = stamp.stamp_utc - length if previous is None else max(previous, stamp.stamp_utc - length)
            pieces.append((start, stamp.stamp_utc, stamp))
            previous = stamp.stamp_utc
        rows += _slots(node, pieces, length)
    return rows


def _slots(node: str, pieces: list[tuple[datetime, datetime, _Stamp]], length: timedelta) -> list[Priced]:
    covered: dict[datetime, list[tuple[int, _Stamp]]] = {}  # slot start -> (microseconds, stamp)
    for start, end, stamp in pieces:
        slot = _floor(start, length)
        while slot < end:
            overlap = min(end, slot + length) - max(start, slot)
            covered.setdefault(slot, []).append((overlap // timedelta(microseconds=1), stamp))
            slot += length
    whole = length // timedelta(microseconds=1)
    rows = []
    for slot, parts in sorted(covered.items()):
        if sum(weight for weight, _ in parts) != whole:
            continue  # a run is missing: the slot has no price rather than a guessed one
        rows.append((node, slot, _mean(parts, whole, "lmp"), _mean(parts, whole, "loss"),
                     _mean(parts, whole, "congestion_published")))
    return rows


def _mean(parts: list[tuple[int, _Stamp]], whole: int, field: str) -> Decimal:
    if len(parts) == 1:
        value: Decimal = getattr(parts[0][1], field)
        return value
    total = sum((Decimal(weight) * getattr(stamp, field) for weight, stamp in parts), Decimal(0))
    return (total / Decimal(whole)).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def _floor(instant: datetime, length: timedelta) -> datetime:
    return instant - (instant - _EPOCH) % length


def _node_type(node: str) -> str | None:
    if node in NYCA_ZONES:
        return "ZONE"
    if node in EXTERNAL_ZONES:
        return "EXTERNAL"
    return None


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
