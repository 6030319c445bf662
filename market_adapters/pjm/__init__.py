"""PJM: Power Meter hourly uploads (MeterValues XML, deadline, SSO and upload client) and Data Miner 2 LMPs (JSON, CSV)."""

from market_adapters.pjm.client import PageLimitExceeded, fetch_lmps, sso_token, upload_power_meter
from market_adapters.pjm.data_miner_csv import parse_data_miner_csv
from market_adapters.pjm.deadlines import is_business_day, nerc_holidays, pjm_power_meter_deadline_utc
from market_adapters.pjm.parse import FEEDS, parse_lmp_items
from market_adapters.pjm.power_meter import (
    POWER_METER_COLUMNS,
    ROLES,
    PowerMeterFile,
    PowerMeterHour,
    build_power_meter_file,
    parse_power_meter_csv,
)
from market_adapters.pjm.power_meter_xml import (
    DAILY_SUBMISSION_PATH,
    PowerMeterAccount,
    build_hourly_meter_values,
    meter_values_xml,
    parse_hourly_meter_values,
)
from market_adapters.pjm.query import data_miner_ept_range

__all__ = [
    "DAILY_SUBMISSION_PATH",
    "FEEDS",
    "POWER_METER_COLUMNS",
    "ROLES",
    "PageLimitExceeded",
    "PowerMeterAccount",
    "PowerMeterFile",
    "PowerMeterHour",
    "build_hourly_meter_values",
    "build_power_meter_file",
    "data_miner_ept_range",
    "fetch_lmps",
    "is_business_day",
    "meter_values_xml",
    "nerc_holidays",
    "parse_data_miner_csv",
    "parse_hourly_meter_values",
    "parse_lmp_items",
    "parse_power_meter_csv",
    "pjm_power_meter_deadline_utc",
    "sso_token",
    "upload_power_meter",
]
