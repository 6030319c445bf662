"""PJM Data Miner 2 LMP items -> PRICE_SCHEMA rows (iso-formats.md §5.3).

Labels: `datetime_beginning_utc` is the interval start in UTC without an offset; we read it as UTC and never
use the EPT column. Corrections: PJM re-posts a corrected price as a new `version_nbr` and clears
`row_is_current` on the old one; every version is kept, `latest_prices` picks the current one.
Node attributes: `type` and `zone` are kept as PJM spells them.
Prices come as JSON numbers; the client decodes them straight to Decimal (`parse_float=Decimal`), and a float
given here is read through its shortest repr, which is the text PJM sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from common.bounds import checked_instant
from common.errors import BadInput
from market_adapters.prices import PriceRow, parse_price

# feed -> (market, interval minutes, field suffix)
FEEDS: dict[str, tuple[str, int, str]] = {
    "da_hrl_lmps": ("DA", 60, "_da"),
    "rt_hrl_lmps": ("RT", 60, "_rt"),
    "rt_fivemin_hrl_lmps": ("RT5", 5, "_rt"),
}


def parse_lmp_items(items: Iterable[dict[str, Any]], feed: str, source: str, *,
                    first_row: int = 1) -> list[PriceRow]:
    """PriceRows of Data Miner items; `first_row` numbers items in errors (1-based across pages)."""
    if feed not in FEEDS:
        raise BadInput(source, None, "feed", f"unsupported Data Miner feed {feed!r}; known: {sorted(FEEDS)}")
    market, minutes, suffix = FEEDS[feed]
    rows: list[PriceRow] = []
    first_seen: dict[tuple[str, datetime, int], int] = {}  # node, start, version -> its row
    for index, item in enumerate(items):
        row = _row(item, market, minutes, suffix, source, first_row + index)
        # Data Miner keeps every version of an interval (version_nbr); the same version twice is a doubled export.
        earlier = first_seen.setdefault((row.node, row.interval_start_utc, row.version), first_row + index)
        if earlier != first_row + index:
            raise BadInput(source, first_row + index, "pnode_id",
                           f"pnode {row.node} at {row.interval_start_utc.isoformat()} version {row.version} "
                           f"already on row {earlier}")
        rows.append(row)
    return rows


def _row(item: dict[str, Any], market: str, minutes: int, suffix: str, source: str, row: int) -> PriceRow:
    if not isinstance(item, dict):
        raise BadInput(source, row, None, f"expected a Data Miner item (a JSON object), got {str(item)[:40]!r}")
    start_text = item.get("datetime_beginning_utc")
    try:
        start_utc = checked_instant(datetime.fromisoformat(str(start_text)).replace(tzinfo=UTC))
    except ValueError as error:
        raise BadInput(source, row, "datetime_beginning_utc", f"not a date-time: {start_text!r} ({error})") from error
    version = item.get("version_nbr")
    if not isinstance(version, int) or version < 1:
        raise BadInput(source, row, "version_nbr", f"expected a positive integer, got {version!r}")
    if item.get("pnode_id") is None:
        raise BadInput(source, row, "pnode_id", "missing")
    return PriceRow(
        iso="PJM", market=market, node=str(item["pnode_id"]), interval_start_utc=start_utc,
        interval_minutes=minutes,
        lmp_usd_per_mwh=_required_price(item, "total_lmp" + suffix, source, row),
        energy_usd_per_mwh=_price(item, "system_energy_price" + suffix, source, row, required=False),
        congestion_usd_per_mwh=_price(item, "congestion_price" + suffix, source, row, required=False),
        loss_usd_per_mwh=_price(item, "marginal_loss_price" + suffix, source, row, required=False),
        publish_time_utc=None, version=version,
        node_type=_text(item, "type"), zone=_text(item, "zone"),
    )


def _text(item: dict[str, Any], field: str) -> str | None:
    """A node attribute as PJM spells it (`type` HUB, ZONE, LOAD, GEN, ...; `zone` such as DOM); blank is null."""
    value = item.get(field)
    return str(value).strip() or None if value is not None else None


def _required_price(item: dict[str, Any], field: str, source: str, row: int) -> Decimal:
    price = _price(item, field, source, row, required=True)
    assert price is not None
    return price


def _price(item: dict[str, Any], field: str, source: str, row: int, *, required: bool) -> Decimal | None:
    value = item.get(field)
    if value is None:
        if required:
            raise BadInput(source, row, field, "missing")
        return None
    if isinstance(value, bool):
        raise BadInput(source, row, field, f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return value
    return parse_price(repr(value) if isinstance(value, float) else str(value), source, row, field)
