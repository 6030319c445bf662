"""ISO-NE web services `FiveMinLmps` JSON -> PRICE_SCHEMA rows (iso-formats.md §5.6).

Labels: `BeginDate` is the interval start with its UTC offset (Eastern prevailing), so it converts to UTC
directly and the repeated fall-back hour needs no rule. Node = the location name (`Location.$`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from common.errors import BadInput
from market_adapters.prices import PriceRow, parse_price

ITEMS_MAX = 100_000
FIVE_MINUTES = 5


def parse_five_minute_lmps(payload: dict[str, Any], source: str, *, publish_time_utc: datetime | None,
                           version: int) -> list[PriceRow]:
    try:
        items = payload["FiveMinLmps"]["FiveMinLmp"]
    except (KeyError, TypeError) as error:
        raise BadInput(source, None, "FiveMinLmps.FiveMinLmp", "missing") from error
    if isinstance(items, dict):  # a single item is sent as an object, not a list
        items = [items]
    if len(items) > ITEMS_MAX:
        raise BadInput(source, None, "FiveMinLmp", f"more than {ITEMS_MAX} items")
    return [_row(item, source, number, publish_time_utc, version) for number, item in enumerate(items, start=1)]


def _row(item: dict[str, Any], source: str, number: int, publish_time_utc: datetime | None,
         version: int) -> PriceRow:
    try:
        begin = datetime.fromisoformat(item["BeginDate"])
        node = item["Location"]["$"]
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(source, number, "BeginDate/Location", f"missing or malformed: {error}") from error
    if begin.tzinfo is None:
        raise BadInput(source, number, "BeginDate", "must carry a UTC offset")
    return PriceRow(
        iso="ISONE", market="RT5", node=node, interval_start_utc=begin.astimezone(UTC), interval_minutes=FIVE_MINUTES,
        lmp_usd_per_mwh=_decimal(item, "LmpTotal", source, number),
        energy_usd_per_mwh=_decimal(item, "EnergyComponent", source, number),
        congestion_usd_per_mwh=_decimal(item, "CongestionComponent", source, number),
        loss_usd_per_mwh=_decimal(item, "LossComponent", source, number),
        publish_time_utc=publish_time_utc, version=version,
    )


def _decimal(item: dict[str, Any], field: str, source: str, number: int) -> Decimal:
    value = item.get(field)
    if value is None or isinstance(value, bool):
        raise BadInput(source, number, field, "missing")
    return value if isinstance(value, Decimal) else parse_price(repr(value) if isinstance(value, float) else str(value),
                                                                 source, number, field)
