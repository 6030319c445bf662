"""SPP LMP-by-settlement-location CSV -> PRICE_SCHEMA rows (iso-formats.md §5.7).

Files: day-ahead `DA-LMP-SL-<YYYYMMDD>0100.csv` (folder `da-lmp-by-settlement-location`, one file per operating
day) and real-time `RTBM-LMP-SL-<YYYYMMDDHHMM>.csv` or the daily roll-up `RTBM-LMP-DAILY-SL-<YYYYMMDD>.csv`
(folder `rtbm-lmp-by-location`). Header `Interval,GMTIntervalEnd,Settlement Location,Pnode,LMP,MLC,MCC,MEC`;
since SPP's western expansion a `BAA` column (`SPP` or `SWPW`) sits after `GMTIntervalEnd`, and SPP also writes
the header upper-case with underscores (`SETTLEMENT_LOCATION`) or, in the daily roll-up, as `GMT Interval`,
`Settlement_Location_Name`, `PNODE_Name`. We compare names without case, spaces or underscores; a column we do
not know is refused (a new column may change what the others mean).

Labels: `GMTIntervalEnd` is the interval END in UTC and is what we use: it tells the two repeated fall-back
hours apart and needs no zone rules. `Interval` is the same end in Central wall time, hour-ending; on the
fall-back day both repeated hours carry the same label (02:00) and on the spring-forward day the label jumps
from 01:00 to 03:00. We only check it lies within an hour of the Central wall time of `GMTIntervalEnd`.
Components: LMP = MEC + MCC + MLC, as published. Node type: the file names no type; SPP's two trading hubs
(SPPNORTH_HUB, SPPSOUTH_HUB) are `HUB`, every other row `SETTLEMENT_LOCATION` (interfaces and zones need the node
registry). Zone: not in the file (null); `BAA` names the balancing area, not a zone, and is not kept.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from common.bounds import checked_instant
from common.errors import BadInput
from market_adapters.clock import utc_to_wall
from market_adapters.prices import PriceRow, parse_price

CENTRAL = ZoneInfo("America/Chicago")
MARKETS = {"DA": 60, "RT": 5}  # our market name -> interval minutes
ROWS_MAX = 3_000_000  # a real-time daily roll-up for every settlement location is ~300,000 rows
TRADING_HUBS = frozenset({"SPPNORTH_HUB", "SPPSOUTH_HUB"})
LABEL_SLACK = timedelta(hours=1)  # the fall-back day labels its first repeated hour one hour late
_COLUMNS = {
    "INTERVAL": "Interval", "GMTINTERVALEND": "GMTIntervalEnd", "GMTINTERVAL": "GMTIntervalEnd",
    "SETTLEMENTLOCATION": "Settlement Location", "SETTLEMENTLOCATIONNAME": "Settlement Location",
    "PNODE": "Pnode", "PNODENAME": "Pnode", "LMP": "LMP", "MLC": "MLC", "MCC": "MCC", "MEC": "MEC", "BAA": "BAA",
}
_REQUIRED = ("Interval", "GMTIntervalEnd", "Settlement Location", "LMP", "MLC", "MCC", "MEC")
_STAMP_PATTERNS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def parse_lmp_by_location_csv(text: str, source: str, *, market: str, publish_time_utc: datetime | None,
                              version: int) -> list[PriceRow]:
    """Every row of an SPP LMP-by-location CSV; `market` is "DA" (hourly) or "RT" (5-minute)."""
    if market not in MARKETS:
        raise BadInput(source, None, "market", f"expected one of {sorted(MARKETS)}, got {market!r}")
    reader = csv.reader(io.StringIO(text))
    columns = _header(next(reader, []), source)
    rows: list[PriceRow] = []
    seen: set[tuple[str, datetime]] = set()
    for offset, cells in enumerate(reader):
        if offset >= ROWS_MAX:
            raise BadInput(source, offset + 2, None, f"more than {ROWS_MAX} rows")
        line = offset + 2
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            raise BadInput(source, line, None, f"{len(cells)} fields, the header has {len(columns)}")
        row = _row(dict(zip(columns, cells, strict=True)), source, line, market, publish_time_utc, version)
        key = (row.node, row.interval_start_utc)
        if key in seen:
            raise BadInput(source, line, "GMTIntervalEnd",
                           f"a second row for {row.node} at {row.interval_start_utc:%Y-%m-%d %H:%M} UTC")
        seen.add(key)
        rows.append(row)
    return rows


def _header(names: list[str], source: str) -> list[str]:
    columns = []
    for name in names:
        key = name.strip().upper().replace(" ", "").replace("_", "")
        if key not in _COLUMNS:
            raise BadInput(source, 1, name.strip(), "unknown column in an SPP LMP-by-location file")
        columns.append(_COLUMNS[key])
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise BadInput(source, 1, missing[0], "column missing from header")
    return columns


def _row(record: dict[str, str], source: str, line: int, market: str, publish_time_utc: datetime | None,
         version: int) -> PriceRow:
    try:
        end_utc = checked_instant(_stamp(record["GMTIntervalEnd"], source, line, "GMTIntervalEnd").replace(tzinfo=UTC))
    except ValueError as error:
        raise BadInput(source, line, "GMTIntervalEnd", str(error)) from error
    label = _stamp(record["Interval"], source, line, "Interval")
    wall_end, _ = utc_to_wall(end_utc, CENTRAL)
    if abs(label - wall_end) > LABEL_SLACK:
        raise BadInput(source, line, "Interval", f"{record['Interval'].strip()!r} is not the Central time of "
                       f"GMTIntervalEnd {record['GMTIntervalEnd'].strip()!r}")
    node = record["Settlement Location"].strip()
    if not node:
        raise BadInput(source, line, "Settlement Location", "blank")
    minutes = MARKETS[market]
    return PriceRow(
        iso="SPP", market=market, node=node, interval_start_utc=end_utc - timedelta(minutes=minutes),
        interval_minutes=minutes, lmp_usd_per_mwh=parse_price(record["LMP"], source, line, "LMP"),
        energy_usd_per_mwh=parse_price(record["MEC"], source, line, "MEC"),
        congestion_usd_per_mwh=parse_price(record["MCC"], source, line, "MCC"),
        loss_usd_per_mwh=parse_price(record["MLC"], source, line, "MLC"),
        publish_time_utc=publish_time_utc, version=version,
        node_type="HUB" if node in TRADING_HUBS else "SETTLEMENT_LOCATION", zone=None,
    )


def _stamp(text: str, source: str, line: int, field: str) -> datetime:
    day_text, _, clock = text.strip().partition(" ")
    if clock in ("24:00", "24:00:00"):  # an hour-ending label may name the day's end as 24:00
        return _stamp(f"{day_text} 00:00", source, line, field) + timedelta(days=1)
    for pattern in _STAMP_PATTERNS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    raise BadInput(source, line, field, f"expected MM/DD/YYYY HH:MM[:SS], got {text.strip()[:40]!r}")
