"""MISO: Data Exchange LMP JSON (Eastern standard time all year)."""

from market_adapters.miso.parse import parse_data_exchange_lmps

__all__ = ["parse_data_exchange_lmps"]
