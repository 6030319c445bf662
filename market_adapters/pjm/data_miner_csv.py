"""PJM Data Miner 2 CSV exports -> PRICE_SCHEMA rows (iso-formats.md §5.3).

Data Miner's "Export" writes the same fields as its JSON items, one CSV column each: `datetime_beginning_utc`,
`datetime_beginning_ept`, `pnode_id`, `pnode_name`, `voltage`, `equipment`, `type`, `zone`,
`system_energy_price_<da|rt>`, `total_lmp_<da|rt>`, `congestion_price_<da|rt>`, `marginal_loss_price_<da|rt>`,
`row_is_current`, `version_nbr`. Each row becomes the item the JSON reader (`parse.py`) takes, so both read the
same rules: UTC start from `datetime_beginning_utc`, every `version_nbr` kept, `type` and `zone` kept.
Date-times: the export writes `M/D/YYYY h:mm:ss AM|PM` (seen in a real `da_hrl_lmps` export of 2025, with CRLF
line ends and `row_is_current` as `True`: tests/market_adapters/fixtures/pjm/SOURCES.md; the API's ISO form
`YYYY-MM-DDTHH:MM:SS` is read too). A column outside that list is refused: the file is not the feed we think.
The feed (day-ahead, real-time hourly or 5-minute) is the caller's; its `_da`/`_rt` columns must match it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from common.errors import BadInput
from market_adapters.pjm.parse import FEEDS, parse_lmp_items
from market_adapters.prices import PriceRow

ROWS_MAX = 2_000_000  # a month of every pnode's hourly LMPs is ~9 M rows; Data Miner exports far fewer
_COMMON = ("datetime_beginning_utc", "datetime_beginning_ept", "datetime_ending_utc", "datetime_ending_ept",
           "pnode_id", "pnode_name", "voltage", "equipment", "type", "zone", "row_is_current", "version_nbr")
_PRICES = ("system_energy_price", "total_lmp", "congestion_price", "marginal_loss_price")
_REQUIRED = ("datetime_beginning_utc", "pnode_id", "version_nbr")
_EXPORT_STAMP = "%m/%d/%Y %I:%M:%S %p"


def parse_data_miner_csv(text: str, feed: str, source: str) -> list[PriceRow]:
    """Every row of a Data Miner CSV export of `feed` (one of FEEDS)."""
    if feed not in FEEDS:
        raise BadInput(source, None, "feed", f"unsupported Data Miner feed {feed!r}; known: {sorted(FEEDS)}")
    suffix = FEEDS[feed][2]
    reader = csv.DictReader(io.StringIO(text))
    _check_header(reader.fieldnames or [], suffix, feed, source)
    items = []
    for offset, record in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2, None, f"more than {ROWS_MAX} rows")
        if None in record:  # csv.DictReader files surplus cells under the key None
            raise BadInput(source, offset + 2, None, "more fields than the header names")
        items.append(_item(record, source, offset + 2))
    return parse_lmp_items(items, feed, source, first_row=2)


def _check_header(names: Sequence[str], suffix: str, feed: str, source: str) -> None:
    known = set(_COMMON) | {price + suffix for price in _PRICES}
    for name in names:
        if name not in known:
            other = "_rt" if suffix == "_da" else "_da"
            why = f"a {other} column in a {feed} file" if name.endswith(other) else "unknown column"
            raise BadInput(source, 1, name, f"{why}; a Data Miner {feed} export has {', '.join(sorted(known))}")
    missing = [name for name in (*_REQUIRED, "total_lmp" + suffix) if name not in names]
    if missing:
        raise BadInput(source, 1, missing[0], "column missing from header")


def _item(record: dict[str, str], source: str, line: int) -> dict[str, Any]:
    """The JSON item this row stands for: ISO date-time, integer version, blank cells absent."""
    item: dict[str, Any] = {name: value.strip() for name, value in record.items() if value and value.strip()}
    item["datetime_beginning_utc"] = _iso(item.get("datetime_beginning_utc", ""), source, line)
    version = item.get("version_nbr", "")
    if not (version.isascii() and version.isdigit()):
        raise BadInput(source, line, "version_nbr", f"expected a positive integer, got {version[:20]!r}")
    item["version_nbr"] = int(version)
    return item


def _iso(text: str, source: str, line: int) -> str:
    try:
        return datetime.strptime(text, _EXPORT_STAMP).isoformat()
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError as error:
        raise BadInput(source, line, "datetime_beginning_utc",
                       f"expected M/D/YYYY h:mm:ss AM|PM or YYYY-MM-DDTHH:MM:SS, got {text[:30]!r}") from error
    if stamp.utcoffset() not in (None, timedelta(0)):
        raise BadInput(source, line, "datetime_beginning_utc", f"{text[:30]} is not UTC")
    return stamp.replace(tzinfo=None).isoformat()
