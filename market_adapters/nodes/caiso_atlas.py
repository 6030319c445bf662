"""CAISO's APNode listing (OASIS ATLAS report ATL_APNODE) -> PublishedNode rows, list kind `caiso-apnodes`.

OASIS answers `SingleZip?queryname=ATL_APNODE&APnode_type=ALL&...&resultformat=6` with a ZIP holding one CSV:
a header row, then one row per APNode and effective period. What we read, and how sure we are of it (sources in
docs/iso-adapters.md and tests/market_adapters/node_lists/SOURCES.md):

- `APNODE_ID` (confirmed: the APNode column of every ATLAS map report, ATL_PNODE_MAP and ATL_LDF): the node id,
  e.g. `TH_NP15_GEN-APND`, `DLAP_PGAE-APND`. It is also the name prices are published under (PRC_LMP `NODE`).
- `APNODE_TYPE` (assumed by analogy with ATL_PNODE's `PNODE_TYPE`): the type as CAISO writes it, upper-cased;
  codes follow the CIM ApnodeType list (AG, CPZ, DPZ, LAP, TH, ...) plus CAISO's `DEPZ` for EIM default LAPs.
- `EFF_START_DT_GMT` / `EFF_END_DT_GMT` (confirmed columns of the ATLAS reports): the node's effective period.
  Days are Pacific days; the end is exclusive. A blank end, or one in year 9999, is open (assumed).
- `DESCRIPTION` when present is kept as an attribute, as are the convergence-bidding columns.

An APNode listed over several effective periods (CAISO re-issues it when an attribute changes) is one node from
its earliest start to its newest row's end, typed as the newest row says (the same rule as PJM's pnodes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.errors import BadInput
from market_adapters.model import MARKET_TIME_ZONES
from market_adapters.nodes.csv_rows import bounded_text, csv_rows
from market_adapters.nodes.model import PublishedNode

PACIFIC = ZoneInfo(MARKET_TIME_ZONES["CAISO"])
COLUMNS_REQUIRED = ("APNODE_ID", "APNODE_TYPE", "EFF_START_DT_GMT", "EFF_END_DT_GMT")
ATTRIBUTE_COLUMNS = {"description": "DESCRIPTION", "comments": "COMMENTS", "cb_node_flag": "CB_NODE_FLAG",
                     "max_cb_mw": "MAX_CB_MW"}
OPEN_END_YEAR = 9999
# OASIS CSV stamps look like 2013-09-19T07:00:00-00:00; tolerate a space for the T and a missing offset (= GMT).
STAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def parse_atl_apnode(source: str, text: str) -> list[PublishedNode]:
    """The APNodes of one ATL_APNODE answer; a missing column, empty id or bad stamp is BadInput (file, line, field)."""
    latest: dict[str, tuple[datetime, PublishedNode]] = {}
    first_start: dict[str, date] = {}
    for line, row in csv_rows(source, text, COLUMNS_REQUIRED):
        node_id = bounded_text(source, line, "APNODE_ID", row["APNODE_ID"])
        node_type = bounded_text(source, line, "APNODE_TYPE", row["APNODE_TYPE"]).upper()
        start_utc = _stamp(source, line, "EFF_START_DT_GMT", row["EFF_START_DT_GMT"])
        end_utc = None if not row["EFF_END_DT_GMT"] else _stamp(source, line, "EFF_END_DT_GMT",
                                                                row["EFF_END_DT_GMT"])
        if end_utc is not None and end_utc.year >= OPEN_END_YEAR:
            end_utc = None
        if end_utc is not None and end_utc <= start_utc:
            raise BadInput(source, line, "EFF_END_DT_GMT", "ends before it starts")
        attributes = {key: row[column] for key, column in ATTRIBUTE_COLUMNS.items() if row.get(column)}
        node = PublishedNode(node_id, node_id, node_type, None, None, _end_day(end_utc), attributes)
        start_day = start_utc.astimezone(PACIFIC).date()
        first_start[node_id] = min(start_day, first_start.get(node_id, start_day))
        if node_id not in latest or latest[node_id][0] <= start_utc:
            latest[node_id] = (start_utc, node)
    return [PublishedNode(node.node_id, node.name, node.node_type, node.zone, first_start[node.node_id],
                          node.valid_to, node.attributes) for _, node in latest.values()]


def _stamp(source: str, line: int, field: str, value: str) -> datetime:
    text = value.strip().replace("-00:00", "+00:00")
    for pattern in STAMP_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise BadInput(source, line, field, f"not a GMT date-time (2013-09-19T07:00:00-00:00): {value!r}")


def _end_day(end_utc: datetime | None) -> date | None:
    """The first Pacific day no longer in force: an end at local midnight is that day, any later instant the next."""
    if end_utc is None:
        return None
    return (end_utc - timedelta(microseconds=1)).astimezone(PACIFIC).date() + timedelta(days=1)
