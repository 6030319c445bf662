"""URDB tariffs: parsing a rate (`urdb`), billing a load against it month by month (`bill`, with `tiers`,
`export_credit`, the local `calendar` and the `charges` a bill is made of), and the stand-alone calculator
over load files (`calculator`, `load_file`, read columnar by `load_columnar`; many meters at once from a folder or
a Parquet file: the module `portfolio`, imported by name so that one bill does not load pyarrow.parquet).
Pure: no SQL, no campus."""

from settlement.tariffs.bill import (
    DEMAND_WINDOW_BLOCK,
    DEMAND_WINDOW_KINDS,
    DEMAND_WINDOW_ROLLING,
    TIER_FILL_CHRONOLOGICAL,
    TIER_FILL_SHARED,
    BillOptions,
    Determinant,
    LoadSeries,
    MonthBill,
    bill_load,
)
from settlement.tariffs.calculator import (
    METER_ROW_FIELDS,
    bill_meters,
    bill_tariff_json,
    meter_row,
    zone_named,
)
from settlement.tariffs.calendar import LocalCalendar, datetime_to_utc_us, local_calendar, month_key_label
from settlement.tariffs.charges import (
    RATE_QUANTUM,
    UNIT_KW_MONTH,
    UNIT_MWH,
    UNIT_REC_MWH,
    Charge,
    Proration,
    display_rate,
)
from settlement.tariffs.export_credit import (
    METERING_BUY_ALL_SELL_ALL,
    METERING_NET_BILLING_HOURLY,
    METERING_NET_BILLING_INSTANTANEOUS,
    METERING_NET_METERING,
    METERING_NONE,
)
from settlement.tariffs.load_file import is_portfolio, read_holidays, read_load_csv, with_export
from settlement.tariffs.urdb import Tier, UrdbTariff, load_urdb_text, parse_urdb_rate, unwrap_urdb_text

__all__ = [
    "DEMAND_WINDOW_BLOCK",
    "DEMAND_WINDOW_KINDS",
    "DEMAND_WINDOW_ROLLING",
    "METERING_BUY_ALL_SELL_ALL",
    "METERING_NET_BILLING_HOURLY",
    "METERING_NET_BILLING_INSTANTANEOUS",
    "METERING_NET_METERING",
    "METERING_NONE",
    "METER_ROW_FIELDS",
    "RATE_QUANTUM",
    "TIER_FILL_CHRONOLOGICAL",
    "TIER_FILL_SHARED",
    "UNIT_KW_MONTH",
    "UNIT_MWH",
    "UNIT_REC_MWH",
    "BillOptions",
    "Charge",
    "Determinant",
    "LoadSeries",
    "LocalCalendar",
    "MonthBill",
    "Proration",
    "Tier",
    "UrdbTariff",
    "bill_load",
    "bill_meters",
    "bill_tariff_json",
    "datetime_to_utc_us",
    "display_rate",
    "is_portfolio",
    "load_urdb_text",
    "local_calendar",
    "meter_row",
    "month_key_label",
    "parse_urdb_rate",
    "portfolio",
    "read_holidays",
    "read_load_csv",
    "unwrap_urdb_text",
    "with_export",
    "zone_named",
]
