"""ERCOT settlement point price files -> PRICE_SCHEMA rows (iso-formats.md §5.2, §9).

Labels: ERCOT prints Central prevailing wall time. NP6-905-CD gives DeliveryHour (hour-ending) and
DeliveryInterval (1..4); NP4-190-CD gives HourEnding `HH:00`. Each becomes the UTC instant its interval STARTS:
- a normal hour h starts at wall time (h - 1):00; `DSTFlag = Y` marks the second pass through the repeated
  fall-back hour (fold=1), and is refused on any other hour;
- on the fall-back day ERCOT has also published hours numbered 1..25 with no `Y` flag: a delivery date with an
  hour 25 in the file is read that way, hour h starting h - 1 elapsed hours after local midnight;
- on the spring-forward day a label whose start falls in the gap (HE 3 starts at 02:00, which does not exist)
  names the hour that ENDS at its wall time: HE 3 ends at 03:00 CDT, so it starts at 01:00 CST. ERCOT has
  published the hour after 01:00 CST both as HE 2 and as HE 3; either reads as the same hour, and a file that
  has both gets a duplicate-interval error.
Columns: ERCOT's price layouts are fixed per report (EMIL), so a column we do not know is refused.
Node attributes: NP6-905-CD's `SettlementPointType` becomes `node_type`; a load zone (LZ*) is its own `zone`.
NP4-190-CD carries no type column.
File names: `cdr.<type>.<zeros>.<YYYYMMDD>.<HHMMSS[mmm]>.<NAME>[_csv|_xml][.zip|.csv]`, publish time in Central
wall time (an `xhr` name is published in the second pass of the repeated hour); a re-post carries `_retry_` and
supersedes the original (a higher version). MIS lists every report twice, as `_csv.zip` and `_xml.zip`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.clock import NonexistentLocalTime, operating_day_bounds_utc, utc_to_wall, wall_to_utc
from market_adapters.prices import PriceRow, parse_price

CENTRAL = ZoneInfo("America/Chicago")
ROWS_MAX = 5_000_000  # a day of RT SPPs for every node is ~1.5 M rows
ZIP_MEMBERS_MAX = 4
NP6_905_HEADER = ("DeliveryDate", "DeliveryHour", "DeliveryInterval", "SettlementPointName",
                  "SettlementPointType", "SettlementPointPrice", "DSTFlag")
NP4_190_HEADER = ("DeliveryDate", "HourEnding", "SettlementPoint", "SettlementPointPrice", "DSTFlag")
HOURS_ON_FALL_BACK_DAY = 25
_CDR_NAME = re.compile(r"^cdr\.(?P<type>\d{8})\.\d+\.(?P<date>\d{8})\.(?P<time>\d{6})(?P<millis>\d{3})?\."
                       r"(?P<name>.+?)(?:_(?P<format>csv|xml))?(?:\.(?:csv|xml|zip))?$")
_RETRY = "_retry_"
_SECOND_PASS_MARK = "xhr"
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ErcotDocumentName:
    report_type_id: int
    publish_time_utc: datetime
    base_name: str
    is_retry: bool
    document_format: str | None  # "csv" | "xml" | None (an unzipped member or an older name without the suffix)


def parse_document_name(file_name: str) -> ErcotDocumentName:
    """Split a `cdr.*` MIS name; the base name is the same for an original, its `_retry_` re-post and its XML
    twin."""
    match = _CDR_NAME.match(file_name.replace(_RETRY, "_"))
    if match is None:
        raise BadInput(file_name, None, None, "not an ERCOT MIS cdr.* file name")
    wall = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
    wall += timedelta(milliseconds=int(match["millis"] or 0))
    fold = int(_SECOND_PASS_MARK in match["name"].lower())
    return ErcotDocumentName(
        report_type_id=int(match["type"]),
        publish_time_utc=wall_to_utc(wall, CENTRAL, fold=fold, label_is_end=True),
        base_name=match["name"],
        is_retry=_RETRY in file_name,
        document_format=match["format"],
    )


def csv_documents(file_names: Iterable[str], source: str) -> list[str]:
    """The CSV twin of every listed report, in listing order. A report listed only as XML is refused (we read
    CSV; dropping it would lose a price silently)."""
    names = list(file_names)
    parsed = {name: parse_document_name(name) for name in names}
    csv_keys = {(p.report_type_id, p.base_name, p.is_retry) for p in parsed.values() if p.document_format != "xml"}
    for name, document in parsed.items():
        if document.document_format == "xml" and (document.report_type_id, document.base_name,
                                                  document.is_retry) not in csv_keys:
            raise BadInput(source, None, "ConstructedName", f"{name}: listed as XML only, no CSV twin")
    return [name for name in names if parsed[name].document_format != "xml"]


def document_versions(file_names: list[str]) -> dict[str, int]:
    """Version per file: originals first, then re-posts, each in publish order, numbered 1.. per base name."""
    parsed = {name: parse_document_name(name) for name in file_names}
    by_base: dict[str, list[str]] = {}
    for name in sorted(file_names, key=lambda n: (parsed[n].is_retry, parsed[n].publish_time_utc, n)):
        by_base.setdefault(parsed[name].base_name, []).append(name)
    return {name: index + 1 for names in by_base.values() for index, name in enumerate(names)}


def read_zip_csv(zip_bytes: bytes, source: str) -> str:
    """The one CSV inside an MIS download ZIP."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile as error:
        raise BadInput(source, None, None, "not a ZIP file") from error
    names = [name for name in archive.namelist()[:ZIP_MEMBERS_MAX] if name.lower().endswith(".csv")]
    if len(names) != 1:
        raise BadInput(source, None, None, f"expected one CSV in the ZIP, found {len(names)}")
    return archive.read(names[0]).decode("utf-8-sig")


@dataclass(frozen=True)
class _Record:
    line: int
    fields: dict[str, str]
    day: date
    hour: int  # as printed: hour-ending 1..24, or 1..25 on a day numbered that way
    fold: int  # 1 = DSTFlag Y
    elapsed: bool  # the day is numbered 1..25: hour h starts h - 1 elapsed hours after local midnight


def parse_np6_905_csv(text: str, source: str, *, publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Real-time 15-minute settlement point prices."""
    rows = []
    for record in _records(text, source, NP6_905_HEADER, "DeliveryHour"):
        interval = _int_in(record.fields["DeliveryInterval"], 1, 4, source, record.line, "DeliveryInterval")
        start_utc = _hour_start_utc(record, source, "DeliveryHour") + timedelta(minutes=15 * (interval - 1))
        node_type = (record.fields["SettlementPointType"] or "").strip() or None
        rows.append(_price_row("RT", record.fields["SettlementPointName"], start_utc, 15, record, source,
                               publish_time_utc, version, node_type))
    return _unique(rows, source)


def parse_np4_190_csv(text: str, source: str, *, publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Day-ahead hourly settlement point prices (`HourEnding` like `17:00`)."""
    rows = []
    for record in _records(text, source, NP4_190_HEADER, "HourEnding"):
        start_utc = _hour_start_utc(record, source, "HourEnding")
        rows.append(_price_row("DA", record.fields["SettlementPoint"], start_utc, 60, record, source,
                               publish_time_utc, version, None))
    return _unique(rows, source)


def _hour(text: str, source: str, line: int, field: str) -> int:
    hour_text = text.strip()
    if field == "HourEnding":
        if not re.fullmatch(r"\d{1,2}:00", hour_text):
            raise BadInput(source, line, field, f"expected HH:00, got {text!r}")
        hour_text = hour_text[:-3]
    return _int_in(hour_text, 1, HOURS_ON_FALL_BACK_DAY, source, line, field)


def _records(text: str, source: str, header: tuple[str, ...], hour_field: str) -> list[_Record]:
    reader = csv.DictReader(io.StringIO(text))
    names = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in header if name not in names]
    if missing:
        raise BadInput(source, 1, missing[0], "column missing from header")
    unknown = [name for name in names if name not in header]
    if unknown:
        raise BadInput(source, 1, unknown[0], f"unknown column (this report has {', '.join(header)})")
    reader.fieldnames = names
    parsed = []
    for offset, fields in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2, None, f"more than {ROWS_MAX} rows")
        line = offset + 2
        if None in fields:
            raise BadInput(source, line, None, f"{len(names) + len(fields[None])} cells; the header has {len(names)}")
        try:
            day = datetime.strptime((fields["DeliveryDate"] or "").strip(), "%m/%d/%Y").date()
        except ValueError as error:
            raise BadInput(source, line, "DeliveryDate",
                           f"expected MM/DD/YYYY, got {fields['DeliveryDate']!r}") from error
        flag = (fields["DSTFlag"] or "").strip().upper()
        if flag not in ("Y", "N"):
            raise BadInput(source, line, "DSTFlag", f"expected Y or N, got {flag!r}")
        parsed.append((line, fields, day, _hour(fields[hour_field] or "", source, line, hour_field), int(flag == "Y")))
    numbered = {day for _, _, day, hour, _ in parsed if hour == HOURS_ON_FALL_BACK_DAY}
    for line, _, day, hour, _ in parsed:
        if hour == HOURS_ON_FALL_BACK_DAY and _day_hours(day) != HOURS_ON_FALL_BACK_DAY:
            raise BadInput(source, line, hour_field, f"hour 25 on {day}, which has {_day_hours(day)} hours")
    records = []
    for line, fields, day, hour, fold in parsed:
        if day in numbered and fold:
            raise BadInput(source, line, "DSTFlag", f"{day} is numbered 1..25 in this file; DSTFlag=Y would "
                           "count the repeated hour twice")
        records.append(_Record(line, fields, day, hour, fold, day in numbered))
    return records


def _day_hours(day: date) -> int:
    start_utc, end_utc = operating_day_bounds_utc(day, CENTRAL)
    return (end_utc - start_utc) // _HOUR


def _hour_start_utc(record: _Record, source: str, hour_field: str) -> datetime:
    """The UTC start of the record's hour; see the module docstring for the three DST rules."""
    if record.elapsed:
        return operating_day_bounds_utc(record.day, CENTRAL)[0] + (record.hour - 1) * _HOUR
    if record.hour > 24:
        raise BadInput(source, record.line, hour_field, f"{record.hour} outside 1..24")
    midnight = datetime.combine(record.day, datetime.min.time())
    wall = midnight + (record.hour - 1) * _HOUR
    try:
        start_utc = wall_to_utc(wall, CENTRAL, fold=record.fold, label_is_end=False)
    except NonexistentLocalTime:
        # Spring-forward: the label names the hour ending at its wall time (the jump instant or the hour after).
        try:
            return wall_to_utc(midnight + record.hour * _HOUR, CENTRAL, fold=0, label_is_end=True) - _HOUR
        except NonexistentLocalTime as error:
            raise BadInput(source, record.line, hour_field, str(error)) from error
    if record.fold and utc_to_wall(start_utc, CENTRAL)[1] != 1:
        raise BadInput(source, record.line, "DSTFlag", f"DSTFlag=Y on {record.day} hour {record.hour}, which is "
                       "not a repeated hour")
    return start_utc


def _unique(rows: list[PriceRow], source: str) -> list[PriceRow]:
    """Two rows for one node and interval mean the file mixes hour conventions (or is broken): refuse it."""
    seen: set[tuple[str, str, datetime]] = set()
    for index, row in enumerate(rows):
        key = (row.market, row.node, row.interval_start_utc)
        if key in seen:
            raise BadInput(source, index + 2, "DeliveryDate", f"{row.node} {row.interval_start_utc.isoformat()}: "
                           "a second price for one interval (hour labels repeat or mix conventions)")
        seen.add(key)
    return rows


def _price_row(market: str, node: str, start_utc: datetime, minutes: int, record: _Record, source: str,
               publish_time_utc: datetime | None, version: int, node_type: str | None) -> PriceRow:
    price = parse_price(record.fields["SettlementPointPrice"] or "", source, record.line, "SettlementPointPrice")
    name = (node or "").strip()
    if not name:
        raise BadInput(source, record.line, "SettlementPoint", "blank settlement point name")
    zone = name if node_type is not None and node_type.upper().startswith("LZ") else None
    return PriceRow(iso="ERCOT", market=market, node=name, interval_start_utc=start_utc,
                    interval_minutes=minutes, lmp_usd_per_mwh=price, energy_usd_per_mwh=None,
                    congestion_usd_per_mwh=None, loss_usd_per_mwh=None, publish_time_utc=publish_time_utc,
                    version=version, node_type=node_type, zone=zone)


def _int_in(text: str | None, low: int, high: int, source: str, line: int, field: str) -> int:
    try:
        value = int((text or "").strip())
    except ValueError as error:
        raise BadInput(source, line, field, f"not an integer: {text!r}") from error
    if not low <= value <= high:
        raise BadInput(source, line, field, f"{value} outside {low}..{high}")
    return value
