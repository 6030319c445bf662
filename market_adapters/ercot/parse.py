"""ERCOT settlement point price files -> PRICE_SCHEMA rows (iso-formats.md §5.2).

Labels: ERCOT prints Central prevailing wall time. NP6-905-CD gives DeliveryHour (hour-ending 1..24) and
DeliveryInterval (1..4); NP4-190-CD gives HourEnding `HH:00`. We turn each into the wall time the interval
STARTS at (hour - 1, plus 15 minutes per interval) and localise it; `DSTFlag = Y` marks the second pass
through the repeated fall-back hour (fold=1). A start inside the spring-forward gap is bad input.
File names: `cdr.<type>.<zeros>.<YYYYMMDD>.<HHMMSS>.<NAME>.csv`, publish time in Central wall time; a
re-post carries `_retry_` and supersedes the original (a higher version).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.clock import NonexistentLocalTime, wall_to_utc
from market_adapters.prices import PriceRow, parse_price

CENTRAL = ZoneInfo("America/Chicago")
ROWS_MAX = 5_000_000  # a day of RT SPPs for every node is ~1.5 M rows
ZIP_MEMBERS_MAX = 4
NP6_905_HEADER = ("DeliveryDate", "DeliveryHour", "DeliveryInterval", "SettlementPointName",
                  "SettlementPointType", "SettlementPointPrice", "DSTFlag")
NP4_190_HEADER = ("DeliveryDate", "HourEnding", "SettlementPoint", "SettlementPointPrice", "DSTFlag")
_CDR_NAME = re.compile(r"^cdr\.(?P<type>\d{8})\.\d+\.(?P<date>\d{8})\.(?P<time>\d{6})\.(?P<name>.+?)\.(csv|zip)$")
_RETRY = "_retry_"


@dataclass(frozen=True)
class ErcotDocumentName:
    report_type_id: int
    publish_time_utc: datetime
    base_name: str
    is_retry: bool


def parse_document_name(file_name: str) -> ErcotDocumentName:
    """Split a `cdr.*` MIS file name; the base name is the same for an original and its `_retry_` re-post."""
    match = _CDR_NAME.match(file_name.replace(_RETRY, "_"))
    if match is None:
        raise BadInput(file_name, None, None, "not an ERCOT MIS cdr.* file name")
    wall = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
    return ErcotDocumentName(
        report_type_id=int(match["type"]),
        publish_time_utc=wall_to_utc(wall, CENTRAL, fold=0, label_is_end=True),
        base_name=match["name"],
        is_retry=_RETRY in file_name,
    )


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


def parse_np6_905_csv(text: str, source: str, *, publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Real-time 15-minute settlement point prices."""
    rows = []
    for line, record in _records(text, source, NP6_905_HEADER):
        hour = _int_in(record["DeliveryHour"], 1, 24, source, line, "DeliveryHour")
        interval = _int_in(record["DeliveryInterval"], 1, 4, source, line, "DeliveryInterval")
        offset = timedelta(hours=hour - 1, minutes=15 * (interval - 1))
        start_utc = _start_utc(record, offset, source, line)
        rows.append(_price_row("RT", record["SettlementPointName"], start_utc, 15, record, source, line,
                               publish_time_utc, version))
    return rows


def parse_np4_190_csv(text: str, source: str, *, publish_time_utc: datetime | None, version: int) -> list[PriceRow]:
    """Day-ahead hourly settlement point prices (`HourEnding` like `17:00`)."""
    rows = []
    for line, record in _records(text, source, NP4_190_HEADER):
        hour_text = record["HourEnding"].strip()
        if not re.fullmatch(r"\d{1,2}:00", hour_text):
            raise BadInput(source, line, "HourEnding", f"expected HH:00, got {hour_text!r}")
        hour = _int_in(hour_text[:-3], 1, 24, source, line, "HourEnding")
        start_utc = _start_utc(record, timedelta(hours=hour - 1), source, line)
        rows.append(_price_row("DA", record["SettlementPoint"], start_utc, 60, record, source, line,
                               publish_time_utc, version))
    return rows


def _records(text: str, source: str, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in header if name not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(source, 1, missing[0], "column missing from header")
    for offset, record in enumerate(reader):
        assert offset < ROWS_MAX, f"{source}: more than {ROWS_MAX} rows"
        yield offset + 2, record


def _start_utc(record: dict[str, Any], offset: timedelta, source: str, line: int) -> datetime:
    try:
        day = datetime.strptime(record["DeliveryDate"].strip(), "%m/%d/%Y")
    except ValueError as error:
        raise BadInput(source, line, "DeliveryDate", f"expected MM/DD/YYYY, got {record['DeliveryDate']!r}") from error
    flag = record["DSTFlag"].strip().upper()
    if flag not in ("Y", "N"):
        raise BadInput(source, line, "DSTFlag", f"expected Y or N, got {flag!r}")
    try:
        return wall_to_utc(day + offset, CENTRAL, fold=int(flag == "Y"), label_is_end=False)
    except NonexistentLocalTime as error:
        raise BadInput(source, line, "DeliveryHour", str(error)) from error


def _price_row(market: str, node: str, start_utc: datetime, minutes: int, record: dict[str, Any], source: str,
               line: int, publish_time_utc: datetime | None, version: int) -> PriceRow:
    price = parse_price(record["SettlementPointPrice"], source, line, "SettlementPointPrice")
    return PriceRow(iso="ERCOT", market=market, node=node.strip(), interval_start_utc=start_utc,
                    interval_minutes=minutes, lmp_usd_per_mwh=price, energy_usd_per_mwh=None,
                    congestion_usd_per_mwh=None, loss_usd_per_mwh=None, publish_time_utc=publish_time_utc,
                    version=version)


def _int_in(text: str, low: int, high: int, source: str, line: int, field: str) -> int:
    try:
        value = int(text.strip())
    except ValueError as error:
        raise BadInput(source, line, field, f"not an integer: {text!r}") from error
    if not low <= value <= high:
        raise BadInput(source, line, field, f"{value} outside {low}..{high}")
    return value
