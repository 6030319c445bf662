"""ISO prices in one shape, whatever feed they came from: `PriceRow`, the Arrow `PRICE_SCHEMA`, and Parquet.

Every ISO's parse module produces PriceRows; settlement and reconciliation read PRICE_SCHEMA Parquet, and whatever
prices energy calls `require_usd` first (IESO and AESO prices are CAD).
"""

from market_adapters.prices.schema import PRICE_DECIMAL, PRICE_SCHEMA, USD
from market_adapters.prices.table import (
    PriceRow,
    latest_prices,
    parse_price,
    price_rows,
    price_table,
    read_prices_parquet,
    read_prices_parquet_bytes,
    require_usd,
    write_prices_parquet,
)

__all__ = [
    "PRICE_DECIMAL",
    "PRICE_SCHEMA",
    "USD",
    "PriceRow",
    "latest_prices",
    "parse_price",
    "price_rows",
    "price_table",
    "read_prices_parquet",
    "read_prices_parquet_bytes",
    "require_usd",
    "write_prices_parquet",
]
