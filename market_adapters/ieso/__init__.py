"""IESO (Ontario): the hourly Ontario energy price (HOEP) year report and the real-time energy LMP report (CSV).

Prices are CAD/MWh, kept as published with `currency` "CAD"; whatever prices energy refuses them (see
`market_adapters.prices.require_usd`). IESO's market clock is Eastern Standard Time all year.
"""

from market_adapters.ieso.prices import CURRENCY, parse_hoep_csv, parse_realtime_lmp_csv

__all__ = ["CURRENCY", "parse_hoep_csv", "parse_realtime_lmp_csv"]
