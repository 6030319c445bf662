"""ISO-NE: web services `FiveMinLmps` JSON, the hourly day-ahead and real-time LMP reports (CSV), the C/H/D/T
report layout every ISO-NE CSV report shares, and the hour-ending labels of an operating day."""

from market_adapters.isone.hourly_csv import parse_hourly_lmp_csv
from market_adapters.isone.hours import REPEATED_HOUR, UnknownHourLabel, hour_labels, hour_start_utc
from market_adapters.isone.parse import parse_five_minute_lmps
from market_adapters.isone.report_csv import IsoneCsv, Section, read_isone_csv

__all__ = [
    "REPEATED_HOUR",
    "IsoneCsv",
    "Section",
    "UnknownHourLabel",
    "hour_labels",
    "hour_start_utc",
    "parse_five_minute_lmps",
    "parse_hourly_lmp_csv",
    "read_isone_csv",
]
