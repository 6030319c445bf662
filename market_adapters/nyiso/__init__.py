"""NYISO: powerMetering submission (format, validation, client with read-back), MIS LBMP prices, statements."""

from market_adapters.nyiso.client import (
    IsoHoldsOtherValues,
    fetch_damlbmp_zone,
    fetch_statement_documents,
    read_power_metering,
    submit_power_metering,
)
from market_adapters.nyiso.format import (
    build_power_metering_document,
    format_lbmp_csv,
    hour_beginning_label,
    user_request_id_for,
)
from market_adapters.nyiso.parse import MeteredHour, parse_lbmp_csv, power_metering_hours
from market_adapters.nyiso.validate import validate_power_metering_document

__all__ = [
    "IsoHoldsOtherValues",
    "MeteredHour",
    "build_power_metering_document",
    "fetch_damlbmp_zone",
    "fetch_statement_documents",
    "format_lbmp_csv",
    "hour_beginning_label",
    "parse_lbmp_csv",
    "power_metering_hours",
    "read_power_metering",
    "submit_power_metering",
    "user_request_id_for",
    "validate_power_metering_document",
]
