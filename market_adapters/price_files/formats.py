"""The ISO price files we read, by format name, and the one dispatch from a file's bytes to PriceRows.

The CLI (`wattledger market prices`), the API (`POST /campuses/{id}/prices`) and the price store share it.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import Any

from common.errors import BadInput
from market_adapters.aeso import parse_pool_price_csv
from market_adapters.caiso.parse import parse_price_csv, read_oasis_zip
from market_adapters.ercot.parse import parse_np4_190_csv, parse_np6_905_csv, read_zip_csv
from market_adapters.ieso import parse_hoep_csv, parse_realtime_lmp_csv
from market_adapters.isone import parse_hourly_lmp_csv
from market_adapters.miso import parse_data_exchange_lmps, parse_market_report_csv
from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.pjm import parse_data_miner_csv
from market_adapters.pjm.parse import parse_lmp_items
from market_adapters.prices import PriceRow
from market_adapters.spp import parse_lmp_by_location_csv

MISO_FORMATS = {"miso-da-expost": "da_expost", "miso-da-exante": "da_exante", "miso-rt-final": "rt_final",
                "miso-rt-prelim": "rt_prelim"}  # each reads the market report CSV or the Data Exchange JSON
PRICE_FORMATS = ("nyiso-dam", "nyiso-rt", "nyiso-rt-hourly", "ercot-np6-905", "ercot-np4-190", "pjm-json", "caiso-csv",
                 "pjm-csv", "spp-da", "spp-rt", "isone-da-hourly", "isone-rt-hourly", *MISO_FORMATS,
                 "ieso-hoep", "ieso-rt-lmp", "aeso-pool-price")  # the last three are CAD (currency column)
FEED_DEFAULT = "da_hrl_lmps"
NYISO_RT_INTERVAL_MINUTES_DEFAULT = 5


def parse_price_file(file_format: str, source_name: str, content: bytes, *, feed: str,
                     interval_minutes: int) -> list[PriceRow]:
    """One ISO price file (CSV, JSON items, or a ZIP for ERCOT/CAISO) as PriceRows."""
    try:
        return _parse(file_format, source_name, content, feed=feed, interval_minutes=interval_minutes)
    except csv.Error as error:  # a field over the csv module's limit, a NUL byte, an unclosed quote
        raise BadInput(source_name, None, None, f"not a readable CSV file: {error}") from error


def _parse(file_format: str, source_name: str, content: bytes, *, feed: str, interval_minutes: int) -> list[PriceRow]:
    zipped = source_name.lower().endswith(".zip")
    if file_format in ("nyiso-dam", "nyiso-rt", "nyiso-rt-hourly"):
        # Only the 5-minute real-time file stamps interval ends; day-ahead and hourly integrated real-time
        # (rtlbmp) stamp hour beginnings (NYISO Technical Bulletin 064).
        realtime = file_format == "nyiso-rt"
        if realtime and interval_minutes >= 60:
            raise BadInput(source_name, None, "interval_minutes", "the hourly integrated real-time file is "
                           "hour-beginning: use format nyiso-rt-hourly")
        return parse_lbmp_csv(_text(content, source_name), source_name,
                              market="DA" if file_format == "nyiso-dam" else "RT", stamp_is_end=realtime,
                              interval_minutes=interval_minutes if realtime else 60, publish_time_utc=None, version=1)
    if file_format in ("ercot-np6-905", "ercot-np4-190"):
        text = read_zip_csv(content, source_name) if zipped else _text(content, source_name)
        parse = parse_np6_905_csv if file_format == "ercot-np6-905" else parse_np4_190_csv
        return parse(text, source_name, publish_time_utc=None, version=1)
    if file_format == "pjm-json":
        return parse_lmp_items(_data_miner_items(content, source_name), feed, source_name)
    if file_format == "pjm-csv":
        return parse_data_miner_csv(_text(content, source_name), feed, source_name)
    if file_format in ("spp-da", "spp-rt"):
        return parse_lmp_by_location_csv(_text(content, source_name), source_name, market=file_format[4:].upper(),
                                         publish_time_utc=None, version=1)
    if file_format in ("isone-da-hourly", "isone-rt-hourly"):
        return parse_hourly_lmp_csv(_text(content, source_name), source_name,
                                    market="DA" if file_format == "isone-da-hourly" else "RT", publish_time_utc=None)
    if file_format in MISO_FORMATS:
        if _text(content, source_name).lstrip().startswith("{"):  # the Data Exchange API's answer
            return parse_data_exchange_lmps(_json(content, source_name), source_name, market=MISO_FORMATS[file_format],
                                            version=1)
        return parse_market_report_csv(_text(content, source_name), source_name, market=MISO_FORMATS[file_format],
                                       version=1)
    if file_format == "ieso-hoep":
        return parse_hoep_csv(_text(content, source_name), source_name)
    if file_format == "ieso-rt-lmp":  # the delivery date is only in the file name
        return parse_realtime_lmp_csv(_text(content, source_name), source_name)
    if file_format == "aeso-pool-price":
        return parse_pool_price_csv(_text(content, source_name), source_name)
    if file_format == "caiso-csv":
        if zipped:
            return [row for member, data in read_oasis_zip(content, source_name) if member.endswith(".csv")
                    for row in parse_price_csv(_text(data, member), member)]
        return parse_price_csv(_text(content, source_name), source_name)
    raise BadInput(source_name, None, "format",
                   f"must be one of {', '.join(PRICE_FORMATS)}, not {file_format!r}")


def _text(content: bytes, source_name: str) -> str:
    try:
        return content.decode("utf-8-sig")  # a byte-order mark from a spreadsheet export is not data
    except UnicodeDecodeError as error:
        raise BadInput(source_name, None, None, f"not UTF-8 text: {error}") from error


def _data_miner_items(content: bytes, source_name: str) -> list[Any]:
    first_line = _text(content, source_name).lstrip().split("\n", 1)[0]
    if "," in first_line and not first_line.startswith(("{", "[")):  # Data Miner's CSV export, not its JSON
        raise BadInput(source_name, 1, None, "a CSV file, not JSON: read a Data Miner CSV export with format pjm-csv")
    payload = _json(content, source_name)
    items = payload.get("items") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise BadInput(source_name, None, "items", "expected Data Miner items: a JSON list or an object with `items`")
    return items


def _json(content: bytes, source_name: str) -> Any:
    # Any: a JSON document is a dict or a list here (Data Miner items alone or wrapped); the caller checks.
    try:
        return json.loads(_text(content, source_name), parse_float=Decimal)  # prices stay exact
    except json.JSONDecodeError as error:
        raise BadInput(source_name, error.lineno, None, f"not JSON: {error.msg}") from error
