"""AESO (Alberta): the pool price report (CSV). Prices are CAD/MWh, kept as published with `currency` "CAD";
whatever prices energy refuses them (`market_adapters.prices.require_usd`). AESO's clock is Mountain prevailing
time (America/Edmonton), with daylight saving."""

from market_adapters.aeso.pool_price import CURRENCY, hour_labels, parse_pool_price_csv

__all__ = ["CURRENCY", "hour_labels", "parse_pool_price_csv"]
