"""ISO price files by format name, and the per-campus price store that billing cycles settle against."""

from market_adapters.price_files.formats import (
    FEED_DEFAULT,
    NYISO_RT_INTERVAL_MINUTES_DEFAULT,
    PRICE_FORMATS,
    parse_price_file,
)
from market_adapters.price_files.store import StoredPrices, campus_price_uris, store_campus_prices

__all__ = [
    "FEED_DEFAULT",
    "NYISO_RT_INTERVAL_MINUTES_DEFAULT",
    "PRICE_FORMATS",
    "StoredPrices",
    "campus_price_uris",
    "parse_price_file",
    "store_campus_prices",
]
