"""ISO-NE: web services `FiveMinLmps` JSON."""

from market_adapters.isone.parse import parse_five_minute_lmps

__all__ = ["parse_five_minute_lmps"]
