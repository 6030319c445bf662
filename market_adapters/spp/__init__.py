"""SPP: Integrated Marketplace LMP by settlement location CSV (day-ahead hourly, real-time 5-minute)."""

from market_adapters.spp.parse import MARKETS, parse_lmp_by_location_csv

__all__ = ["MARKETS", "parse_lmp_by_location_csv"]
