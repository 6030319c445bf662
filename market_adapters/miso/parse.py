"""MISO Data Exchange LMP JSON -> PRICE_SCHEMA rows (iso-formats.md §5.5).

Labels: MISO runs on Eastern STANDARD time all year (UTC-5, no DST), so every day has 24 hours. `interval`
is the hour-ending number 1..24 of the day that `timeInterval.start` begins; interval n starts at
start + (n - 1) h. (The sample's `timeInterval.value` names the following date; we take `start`, which the
`end` field confirms; confidence L until MISO's API guide is checked.) Components: mec energy, mcc congestion,
mlc loss.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from common.errors import BadInput
from market_adapters.prices import PriceRow, parse_price

MISO_CLOCK = timezone(timedelta(hours=-5), "EST")
ITEMS_MAX = 200_000
MARKETS = {"da_expost": "DA", "da_exante": "DA_EXANTE", "rt_final": "RT", "rt_prelim": "RT_PRELIM"}


def parse_data_exchange_lmps(payload: dict[str, Any], source: str, *, market: str,
                             version: int) -> list[PriceRow]:
    """Rows of a Data Exchange pricing response; `market` is one of MARKETS' keys."""
    if market not in MARKETS:
        raise BadInput(source, None, "market", f"expected one of {sorted(MARKETS)}, got {market!r}")
    items = payload.get("data")
    if not isinstance(items, list) or len(items) > ITEMS_MAX:
        raise BadInput(source, None, "data", f"must be a list of at most {ITEMS_MAX} items")
    return [_row(item, source, number, MARKETS[market], version) for number, item in enumerate(items, start=1)]


def _row(item: dict[str, Any], source: str, number: int, market: str, version: int) -> PriceRow:
    try:
        hour_ending = int(item["interval"])
        day_start = datetime.strptime(item["timeInterval"]["start"][:19], "%Y-%m-%d %H:%M:%S")
        node = str(item["node"])
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(source, number, "interval/timeInterval.start/node", f"missing or malformed: {error}") from error
    if not 1 <= hour_ending <= 24:
        raise BadInput(source, number, "interval", f"{hour_ending} outside 1..24")
    start = (day_start.replace(tzinfo=MISO_CLOCK) + timedelta(hours=hour_ending - 1)).astimezone(UTC)
    return PriceRow(iso="MISO", market=market, node=node, interval_start_utc=start, interval_minutes=60,
                    lmp_usd_per_mwh=_decimal(item, "lmp", source, number),
                    energy_usd_per_mwh=_decimal(item, "mec", source, number),
                    congestion_usd_per_mwh=_decimal(item, "mcc", source, number),
                    loss_usd_per_mwh=_decimal(item, "mlc", source, number), publish_time_utc=None, version=version)


def _decimal(item: dict[str, Any], field: str, source: str, number: int) -> Decimal:
    value = item.get(field)
    if value is None or isinstance(value, bool):
        raise BadInput(source, number, field, "missing")
    return value if isinstance(value, Decimal) else parse_price(repr(value) if isinstance(value, float) else str(value),
                                                                 source, number, field)
