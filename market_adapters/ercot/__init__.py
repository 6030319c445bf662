"""ERCOT: LSE interval files (format, read-back, upload to a TDSP drop) and MIS settlement point prices
(NP6-905, NP4-190)."""

from market_adapters.ercot.client import fetch_rt_settlement_point_prices, upload_lse
from market_adapters.ercot.format import document_file_name, format_np4_190_csv, format_np6_905_csv, zip_csv
from market_adapters.ercot.lse_format import (
    DAYS_MAX,
    LSE_CHANNEL_BY_ROLE,
    LseFile,
    build_lse_file,
    lse_file_name,
)
from market_adapters.ercot.lse_parse import LseDocument, LseInterval, parse_lse
from market_adapters.ercot.parse import (
    CENTRAL,
    ErcotDocumentName,
    csv_documents,
    document_versions,
    parse_document_name,
    parse_np4_190_csv,
    parse_np6_905_csv,
    read_zip_csv,
)

__all__ = [
    "CENTRAL",
    "DAYS_MAX",
    "LSE_CHANNEL_BY_ROLE",
    "ErcotDocumentName",
    "LseDocument",
    "LseFile",
    "LseInterval",
    "build_lse_file",
    "csv_documents",
    "document_file_name",
    "document_versions",
    "fetch_rt_settlement_point_prices",
    "format_np4_190_csv",
    "format_np6_905_csv",
    "lse_file_name",
    "parse_document_name",
    "parse_lse",
    "parse_np4_190_csv",
    "parse_np6_905_csv",
    "read_zip_csv",
    "upload_lse",
    "zip_csv",
]
