"""MISO Data Exchange LMP JSON -> PRICE_SCHEMA rows (iso-formats.md §5.5).

Labels: MISO runs on Eastern STANDARD time all year (UTC-5, no DST), so every day has 24 hours. Two shapes:
- with `interval` (the day-ahead examples): the hour-ending number 1..24 of the day that `timeInterval.start`
  begins, when `timeInterval` spans that whole day; interval n starts at start + (n - 1) h. (The sample's
  `timeInterval.value` names the following date; we take `start`, which the `end` field confirms.)
- without `interval` (the published real-time ex-post shape, which carries `preliminaryFinal` instead), or
  whenever `timeInterval` is shorter than a day: `timeInterval.start` and `.end` ARE the interval, EST, as
  gridstatus reads every Data Exchange pricing answer (hourly and 5-minute resolutions). A whole-day
  `timeInterval` without `interval` is a daily value and is kept as one 1,440-minute row.
Components: mec energy, mcc congestion, mlc loss. The JSON names no node type or zone (both null).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from common.bounds import checked_instant
from common.errors import BadInput
from market_adapters.prices import PriceRow, parse_price

MISO_CLOCK = timezone(timedelta(hours=-5), "EST")
ITEMS_MAX = 200_000
MINUTES_PER_DAY = 1440
MARKETS = {"da_expost": "DA", "da_exante": "DA_EXANTE", "rt_final": "RT", "rt_prelim": "RT_PRELIM"}


def parse_data_exchange_lmps(payload: dict[str, Any], source: str, *, market: str,
                             version: int) -> list[PriceRow]:
    """Rows of a Data Exchange pricing response; `market` is one of MARKETS' keys."""
    if market not in MARKETS:
        raise BadInput(source, None, "market", f"expected one of {sorted(MARKETS)}, got {market!r}")
    if not isinstance(payload, dict):
        raise BadInput(source, None, "data", "expected a Data Exchange answer: a JSON object with a `data` list")
    items = payload.get("data")
    if not isinstance(items, list) or len(items) > ITEMS_MAX:
        raise BadInput(source, None, "data", f"must be a list of at most {ITEMS_MAX} items")
    return [_row(item, source, number, MARKETS[market], version) for number, item in enumerate(items, start=1)]


def _row(item: dict[str, Any], source: str, number: int, market: str, version: int) -> PriceRow:
    start, minutes = _interval(item, source, number)
    node = item.get("node")
    if not isinstance(node, str) or not node.strip():
        raise BadInput(source, number, "node", f"missing or not a name: {node!r}")
    return PriceRow(iso="MISO", market=market, node=node.strip(), interval_start_utc=start,
                    interval_minutes=minutes,
                    lmp_usd_per_mwh=_decimal(item, "lmp", source, number),
                    energy_usd_per_mwh=_decimal(item, "mec", source, number),
                    congestion_usd_per_mwh=_decimal(item, "mcc", source, number),
                    loss_usd_per_mwh=_decimal(item, "mlc", source, number), publish_time_utc=None, version=version)


def _interval(item: dict[str, Any], source: str, number: int) -> tuple[datetime, int]:
    """(start in UTC, minutes) of one item; see the module docstring for the two shapes."""
    span = item.get("timeInterval")
    span = span if isinstance(span, dict) else {}
    start = _est(span.get("start"), source, number, "timeInterval.start")
    end = _est(span["end"], source, number, "timeInterval.end") if "end" in span or "interval" not in item else None
    if end is None or ("interval" in item and end - start == timedelta(minutes=MINUTES_PER_DAY)):
        text = str(item["interval"])
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 24):
            raise BadInput(source, number, "interval", f"{text[:10]} outside 1..24")
        return (start + timedelta(hours=int(text) - 1)).astimezone(UTC), 60
    minutes, remainder = divmod(end - start, timedelta(minutes=1))
    if remainder or not 0 < minutes <= MINUTES_PER_DAY or MINUTES_PER_DAY % minutes:
        raise BadInput(source, number, "timeInterval.end", f"{span['end']} is not a whole part of a day after start")
    return start.astimezone(UTC), minutes


def _est(text: object, source: str, number: int, field: str) -> datetime:
    try:
        local = datetime.strptime(str(text)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MISO_CLOCK)
        checked_instant(local)  # years 1900..2999: every later conversion stays in range
        return local
    except ValueError as error:
        raise BadInput(source, number, field, f"missing or malformed: {str(text)[:40]!r}") from error


def _decimal(item: dict[str, Any], field: str, source: str, number: int) -> Decimal:
    value = item.get(field)
    if value is None or isinstance(value, bool):
        raise BadInput(source, number, field, "missing")
    return value if isinstance(value, Decimal) else parse_price(repr(value) if isinstance(value, float) else str(value),
                                                                 source, number, field)
