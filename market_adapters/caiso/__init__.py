"""CAISO: OASIS price reports (ZIP of CSV or XML, typed OASIS errors) and a paced OASIS client."""

from market_adapters.caiso.client import OasisPacer, fetch_prc_lmp
from market_adapters.caiso.format import error_payload_xml, format_price_csv, oasis_time_text, zip_members
from market_adapters.caiso.parse import (
    OasisMalformedResponse,
    OasisReportRow,
    OasisRequestFailed,
    OasisRetryLater,
    parse_price_csv,
    parse_report_xml,
    prices_from_report_rows,
    read_oasis_zip,
)

__all__ = [
    "OasisMalformedResponse",
    "OasisPacer",
    "OasisReportRow",
    "OasisRequestFailed",
    "OasisRetryLater",
    "error_payload_xml",
    "fetch_prc_lmp",
    "format_price_csv",
    "oasis_time_text",
    "parse_price_csv",
    "parse_report_xml",
    "prices_from_report_rows",
    "read_oasis_zip",
    "zip_members",
]
