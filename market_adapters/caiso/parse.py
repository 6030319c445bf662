"""CAISO OASIS responses (always a ZIP) -> PRICE_SCHEMA rows or a typed OASIS error (iso-formats.md §5.1).

Labels: OASIS gives explicit interval start and end in GMT; `OPR_HR` (hour-ending, Pacific) is ignored. One CSV
row per component (`LMP_TYPE` LMP/MCE/MCC/MCL/MGHG) is pivoted into one PriceRow; the GHG component has no
column in PRICE_SCHEMA, so for nodes with GHG cost energy + congestion + loss may fall short of the LMP.
Errors come as HTTP 200 with `INVALID_REQUEST.xml.zip`: codes 1000 (no data yet) and 1015 (bundle still being
built) can succeed later; the others cannot. An answer that is not a whole ZIP or whose XML is not well formed is
`OasisMalformedResponse` naming the report and the parse position: a cut connection looks exactly like that, so the
client retries it a bounded number of times before giving up.
Columns: OASIS adds columns between report versions, so the CSV reader does not refuse them: it reads the columns in
`CSV_COLUMNS_READ`, knowingly skips those in `CSV_COLUMNS_IGNORED`, and logs any other column as unread
(`price_csv_unread_columns`), once per file; likewise a REPORT_DATA element outside `XML_DATA_FIELDS_READ`.
Node attributes: OASIS price files say nothing about a node's type or zone (gridstatus guesses from name suffixes
such as `-APND`; we do not guess), so `node_type` and `zone` stay null.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from xml.etree import ElementTree

from common.bounds import checked_instant
from common.errors import BadInput, DomainError
from market_adapters.prices import PriceRow, parse_price

MARKETS = {"DAM": "DA", "RTM": "RT5", "RTPD": "RT15", "HASP": "HASP"}
PRICE_COLUMNS = ("MW", "VALUE", "PRC")
COMPONENT_FIELDS = {"LMP": "lmp", "MCE": "energy", "MCC": "congestion", "MCL": "loss"}
XML_COMPONENTS = {"LMP_PRC": "LMP", "LMP_ENE_PRC": "MCE", "LMP_CONG_PRC": "MCC", "LMP_LOSS_PRC": "MCL",
                  "LMP_GHG_PRC": "MGHG"}
CSV_COLUMNS_READ = ("INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "NODE", "MARKET_RUN_ID", "LMP_TYPE")
# Carried by PRC_LMP / PRC_INTVL_LMP / PRC_RTPD_LMP CSVs and deliberately not read: the Pacific operating date,
# hour and interval repeat the GMT bounds; the ids and XML item repeat NODE and LMP_TYPE; GRP_TYPE, POS and GROUP
# describe the query and the row order.
CSV_COLUMNS_IGNORED = ("OPR_DT", "OPR_HR", "OPR_INTERVAL", "NODE_ID_XML", "NODE_ID", "XML_DATA_ITEM",
                       "PNODE_RESMRID", "GRP_TYPE", "POS", "GROUP")
XML_DATA_FIELDS_READ = ("DATA_ITEM", "RESOURCE_NAME", "OPR_DATE", "INTERVAL_NUM", "INTERVAL_START_GMT",
                        "INTERVAL_END_GMT", "VALUE")
RETRY_LATER_CODES = frozenset({1000, 1015})
log = logging.getLogger("wattledger.market_adapters.caiso")
ZIP_MEMBERS_MAX = 64
ROWS_MAX = 5_000_000
# One price component of one CSV row or XML element:
# (node, OASIS market run, interval start UTC, interval end UTC, component, USD/MWh, line or element number).
Component = tuple[str, str, datetime, datetime, str, Decimal, int]
IntervalKey = tuple[str, str, datetime, datetime]  # (node, market, interval start UTC, interval end UTC)


class OasisRequestFailed(DomainError):
    """OASIS answered with an ERR_CODE payload instead of data."""

    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(f"OASIS error {code}: {description}")


class OasisRetryLater(OasisRequestFailed):
    retryable: ClassVar[bool] = True


class OasisMalformedResponse(DomainError):
    """OASIS answered with bytes that are not a whole ZIP or not well-formed XML (often a cut connection)."""

    retryable: ClassVar[bool] = True  # from the client; an uploaded file that is cut short is a 422 like any other

    def __init__(self, report: str, position: tuple[int, int] | None, detail: str) -> None:
        self.report = report
        self.position = position
        self.detail = detail
        where = f" at line {position[0]}, column {position[1]}" if position is not None else ""
        super().__init__(f"{report}: OASIS answer unreadable{where}: {detail}")


@dataclass(frozen=True)
class OasisReportRow:
    """One REPORT_DATA element of an OASIS XML report, whatever the report."""

    report: str
    market: str
    data_item: str
    resource_name: str
    operating_date: str
    interval_number: int
    interval_start_utc: datetime
    interval_end_utc: datetime
    value: Decimal


def read_oasis_zip(zip_bytes: bytes, source: str) -> list[tuple[str, bytes]]:
    """The (name, bytes) members of an OASIS ZIP; an error payload raises OasisRequestFailed, a truncated or
    corrupt ZIP or XML member OasisMalformedResponse naming `source` (and the member)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        members = [(name, archive.read(name)) for name in archive.namelist()[:ZIP_MEMBERS_MAX]]
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise OasisMalformedResponse(source, None, f"not a whole ZIP file ({error})") from error
    for name, data in members:
        if name.lower().endswith(".xml"):
            raise_if_error_payload(data, f"{source}:{name}")
    return members


def _xml_root(xml_bytes: bytes, source: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(xml_bytes)
    except ElementTree.ParseError as error:
        raise OasisMalformedResponse(source, error.position, f"not well-formed XML ({error})") from error


def raise_if_error_payload(xml_bytes: bytes, source: str = "OASIS XML") -> None:
    root = _xml_root(xml_bytes, source)
    for error in root.iter():
        if _local(error.tag) == "ERROR":
            fields = {_local(child.tag): (child.text or "").strip() for child in error}
            code = int(fields.get("ERR_CODE", "0"))
            kind = OasisRetryLater if code in RETRY_LATER_CODES else OasisRequestFailed
            raise kind(code, fields.get("ERR_DESC", ""))


def parse_report_xml(xml_bytes: bytes, source: str) -> list[OasisReportRow]:
    """Every REPORT_DATA element, with its REPORT_HEADER's report name and market type."""
    raise_if_error_payload(xml_bytes, source)
    rows = []
    unread: set[str] = set()
    for item in _xml_root(xml_bytes, source).iter():
        if _local(item.tag) != "REPORT_ITEM":
            continue
        header = {_local(e.tag): (e.text or "").strip() for e in _children(item, "REPORT_HEADER")}
        for index, data in enumerate(_elements(item, "REPORT_DATA")):
            if index >= ROWS_MAX:
                raise BadInput(source, None, "REPORT_DATA", f"more than {ROWS_MAX} elements")
            fields = {_local(e.tag): (e.text or "").strip() for e in data}
            unread.update(set(fields) - set(XML_DATA_FIELDS_READ))
            rows.append(_report_row(header, fields, source, index + 1))
    if unread:
        log.warning("%s: REPORT_DATA elements not read: %s", source, ", ".join(sorted(unread)))
    return rows


def _report_row(header: dict[str, Any], fields: dict[str, Any], source: str, number: int) -> OasisReportRow:
    try:
        return OasisReportRow(
            report=header.get("REPORT", ""), market=header.get("MKT_TYPE", ""), data_item=fields["DATA_ITEM"],
            resource_name=fields["RESOURCE_NAME"], operating_date=fields["OPR_DATE"],
            interval_number=int(fields["INTERVAL_NUM"]),
            interval_start_utc=checked_instant(datetime.fromisoformat(fields["INTERVAL_START_GMT"])),
            interval_end_utc=checked_instant(datetime.fromisoformat(fields["INTERVAL_END_GMT"])),
            value=parse_price(fields["VALUE"], source, number, "VALUE"),
        )
    except (KeyError, ValueError) as error:
        raise BadInput(source, number, str(error), "REPORT_DATA element incomplete or malformed") from error


def prices_from_report_rows(rows: list[OasisReportRow], source: str) -> list[PriceRow]:
    """PriceRows from XML LMP reports; rows of other data items (loads, forecasts) are not prices."""
    components = []
    for number, row in enumerate(rows, start=1):
        if row.data_item not in XML_COMPONENTS:
            raise BadInput(source, number, "DATA_ITEM", f"{row.data_item!r} is not an LMP component")
        components.append((row.resource_name, row.market, row.interval_start_utc, row.interval_end_utc,
                           XML_COMPONENTS[row.data_item], row.value, number))
    return _pivot(components, source)


def parse_price_csv(text: str, source: str) -> list[PriceRow]:
    """PRC_LMP / PRC_INTVL_LMP / PRC_RTPD_LMP CSV: one row per component, pivoted per node and interval."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    price_column = next((name for name in PRICE_COLUMNS if name in header), None)
    for name in ("INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "NODE", "MARKET_RUN_ID", "LMP_TYPE"):
        if name not in header:
            raise BadInput(source, 1, name, "column missing from header")
    if price_column is None:
        raise BadInput(source, 1, "MW", "no price column (MW, VALUE or PRC)")
    unread = price_csv_unread_columns(header)
    if unread:
        log.warning("%s: columns not read (OASIS adds columns between report versions): %s", source,
                    ", ".join(unread))
    components = []
    for offset, record in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2, None, f"more than {ROWS_MAX} rows")
        line = offset + 2
        start, end = _gmt(record, "INTERVALSTARTTIME_GMT", source, line), _gmt(record, "INTERVALENDTIME_GMT", source, line)
        value = parse_price(record[price_column], source, line, price_column)
        components.append((record["NODE"], record["MARKET_RUN_ID"], start, end, record["LMP_TYPE"], value, line))
    return _pivot(components, source)


def price_csv_unread_columns(header: Sequence[str]) -> list[str]:
    """Columns of an OASIS price CSV header that we neither read nor knowingly ignore."""
    known = set(CSV_COLUMNS_READ) | set(CSV_COLUMNS_IGNORED) | set(PRICE_COLUMNS)
    return [name for name in header if name not in known]


def _pivot(components: list[Component], source: str) -> list[PriceRow]:
    grouped: dict[IntervalKey, dict[str, Decimal]] = {}
    first_line: dict[IntervalKey, int] = {}
    for node, market_run, start, end, component, value, line in components:
        if market_run not in MARKETS:
            raise BadInput(source, line, "MARKET_RUN_ID", f"unknown market {market_run!r}")
        key = (node, MARKETS[market_run], start, end)
        grouped.setdefault(key, {})[component] = value
        first_line.setdefault(key, line)
    rows = []
    for key, values in grouped.items():
        node, market, start, end = key
        if "LMP" not in values:
            raise BadInput(source, first_line[key], "LMP_TYPE", f"{node} {start.isoformat()}: no LMP row")
        fields = {COMPONENT_FIELDS[name] + "_usd_per_mwh": value for name, value in values.items()
                  if name in COMPONENT_FIELDS}
        rows.append(PriceRow(
            iso="CAISO", market=market, node=node, interval_start_utc=start,
            interval_minutes=int((end - start).total_seconds() // 60), lmp_usd_per_mwh=fields["lmp_usd_per_mwh"],
            energy_usd_per_mwh=fields.get("energy_usd_per_mwh"),
            congestion_usd_per_mwh=fields.get("congestion_usd_per_mwh"),
            loss_usd_per_mwh=fields.get("loss_usd_per_mwh"), publish_time_utc=None, version=1))
    return rows


def _gmt(record: dict[str, Any], field: str, source: str, line: int) -> datetime:
    try:
        value = datetime.fromisoformat(record[field])
    except ValueError as error:
        raise BadInput(source, line, field, f"not an ISO-8601 time: {record[field]!r}") from error
    if value.tzinfo is None:
        raise BadInput(source, line, field, "GMT times carry an offset")
    try:
        return checked_instant(value)  # years 1900 to 2999 (common.bounds)
    except ValueError as error:
        raise BadInput(source, line, field, str(error)) from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(parent: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for element in parent if _local(element.tag) == name for child in element]


def _elements(parent: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [element for element in parent if _local(element.tag) == name]
