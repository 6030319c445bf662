"""NYISO: powerMetering submission (format, validation, client) and MIS LBMP price reader."""

from market_adapters.nyiso.format import build_power_metering_document, user_request_id_for
from market_adapters.nyiso.validate import validate_power_metering_document

__all__ = ["build_power_metering_document", "user_request_id_for", "validate_power_metering_document"]
