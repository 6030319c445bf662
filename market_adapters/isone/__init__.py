"""ISO-NE: web services `FiveMinLmps` JSON and the hourly day-ahead and real-time LMP reports (CSV)."""

from market_adapters.isone.hourly_csv import parse_hourly_lmp_csv
from market_adapters.isone.parse import parse_five_minute_lmps

__all__ = ["parse_five_minute_lmps", "parse_hourly_lmp_csv"]
