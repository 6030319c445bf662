"""MISO: Data Exchange LMP JSON and the LMP market report CSVs (Eastern standard time all year)."""

from market_adapters.miso.market_reports import parse_market_report_csv
from market_adapters.miso.parse import MARKETS, parse_data_exchange_lmps

__all__ = ["MARKETS", "parse_data_exchange_lmps", "parse_market_report_csv"]
