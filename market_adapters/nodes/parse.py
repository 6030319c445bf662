"""Each ISO's published node list -> PublishedNode rows. One reader per list kind; the list kind is also what
closes nodes on reload (a NYISO zone list never closes generators).

- `ercot-settlement-points`: the Settlement Points List and Electrical Buses Mapping (NP4-160-SG,
  `Settlement_Points_<MMDDYYYY>_<HHMMSS>.csv`): one row per electrical bus with its resource node, load zone and
  hub. Resource nodes become `RN`, load zones `LZ`, hubs `HU` (plus the hub averages HB_BUSAVG and HB_HUBAVG,
  which no bus maps to); buses themselves are not settlement points.
- `nyiso-generators`: NYISO's generator list (`generator.csv`: Generator Name, Generator PTID, Aggregation PTID,
  Subzone, Zone, Latitude, Longitude, Active); `Active` = N is not listed (it is out of service).
- `nyiso-zones`: any NYISO zonal LBMP file (Time Stamp, Name, PTID, ...): the zones it prices, type `ZONE`.
- `nyiso-transmission-nodes`: NYISO's Active Transmission Nodes list (`activetransmissionnodes.csv`, report P-66:
  Node Name, PTID, Subzone, Zone): load and generator buses, type `BUS`.
- `pjm-pnodes`: the Data Miner `pnode` feed, as its JSON items or its CSV export (pnode_id, pnode_name,
  pnode_type, pnode_subtype, zone, voltage_level, effective_date, termination_date); `termination_date`
  9999-12-31 means open.
- `isone-locations`: an ISO-NE report file in C/H/D/T layout with Location ID, Location Name and Location Type
  columns (the hourly LMP files list every priced location that way).
- `miso-nodes`: a MISO LMP market report (`<YYYYMMDD>_da_expost_lmp.csv`, ...): preamble lines, then
  `Node,Type,Value,HE 1..HE 24`; type is MISO's (`HUB`, `LOADZONE`, `INTERFACE`, `GENNODE`).
- `spp-settlement-locations`: an SPP LMP-by-settlement-location file (`Interval, GMTIntervalEnd, [BAA,]
  Settlement Location, Pnode, ...`); SPP's file gives no location type, so every one is `SETTLEMENT LOCATION`
  with its pnode kept as an attribute.
- `caiso-apnodes`: CAISO's APNode listing, OASIS ATLAS report ATL_APNODE (`caiso_atlas.py`): APNODE_ID with its
  type and effective period (Pacific days).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime

from common.errors import BadInput
from market_adapters.isone import read_isone_csv
from market_adapters.nodes.caiso_atlas import parse_atl_apnode
from market_adapters.nodes.csv_rows import ROWS_MAX, bounded_text, csv_rows
from market_adapters.nodes.model import PublishedNode

OPEN_END = date(9999, 12, 31)
ERCOT_HUB_AVERAGES = ("HB_BUSAVG", "HB_HUBAVG")
ERCOT_NAME_STAMP = re.compile(r"Settlement_Points_(\d{2})(\d{2})(\d{4})_\d{6}", re.IGNORECASE)

Reader = Callable[[str, str], list[PublishedNode]]
LIST_ISOS = {"ercot-settlement-points": "ERCOT", "nyiso-generators": "NYISO", "nyiso-zones": "NYISO",
             "nyiso-transmission-nodes": "NYISO",
             "pjm-pnodes": "PJM", "isone-locations": "ISONE", "miso-nodes": "MISO",
             "spp-settlement-locations": "SPP", "caiso-apnodes": "CAISO"}


def parse_node_list(list_kind: str, source: str, text: str) -> list[PublishedNode]:
    """The nodes of one published list; a missing column or empty id is BadInput naming file, line and field."""
    readers: dict[str, Reader] = {"ercot-settlement-points": _ercot, "nyiso-generators": _nyiso_generators,
                                  "nyiso-zones": _nyiso_zones, "pjm-pnodes": _pjm, "isone-locations": _isone,
                                  "miso-nodes": _miso, "spp-settlement-locations": _spp,
                                  "nyiso-transmission-nodes": _nyiso_transmission_nodes,
                                  "caiso-apnodes": parse_atl_apnode}
    if list_kind not in readers:
        raise BadInput(source, None, "list kind", f"must be one of {', '.join(readers)}, not {list_kind!r}")
    nodes = readers[list_kind](source, text)
    if not nodes:
        raise BadInput(source, None, None, "the list names no node")
    return nodes


def list_day_from_name(list_kind: str, source: str) -> date | None:
    """ERCOT stamps the day into the file name (`Settlement_Points_06112026_093011.csv`); others do not."""
    match = ERCOT_NAME_STAMP.search(source) if list_kind == "ercot-settlement-points" else None
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _ercot(source: str, text: str) -> list[PublishedNode]:
    columns = ("ELECTRICAL_BUS", "SUBSTATION", "SETTLEMENT_LOAD_ZONE", "RESOURCE_NODE", "HUB")
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, columns):
        zone = bounded_text(source, line, "SETTLEMENT_LOAD_ZONE", row["SETTLEMENT_LOAD_ZONE"])
        nodes.setdefault(zone, PublishedNode(zone, zone, "LZ", zone))
        if row["HUB"]:
            hub = bounded_text(source, line, "HUB", row["HUB"])
            nodes.setdefault(hub, PublishedNode(hub, hub, "HU", None))
        if row["RESOURCE_NODE"]:
            node = bounded_text(source, line, "RESOURCE_NODE", row["RESOURCE_NODE"])
            attributes = {"substation": row["SUBSTATION"], "electrical_bus": row["ELECTRICAL_BUS"],
                          "voltage_level": row.get("VOLTAGE_LEVEL", "")}
            nodes.setdefault(node, PublishedNode(node, node, "RN", zone, attributes=attributes))
    # The two hub averages are settlement points by protocol (Nodal Protocols section 3.5.2, Hubs), averages of
    # the four 345 kV hubs rather than buses, so the bus mapping never names them; every ERCOT price file does.
    for hub_average in ERCOT_HUB_AVERAGES:
        nodes.setdefault(hub_average, PublishedNode(hub_average, hub_average, "HU", None,
                                                    attributes={"defined_by": "ERCOT Nodal Protocols 3.5.2"}))
    return list(nodes.values())


def _nyiso_generators(source: str, text: str) -> list[PublishedNode]:
    columns = ("Generator Name", "Generator PTID", "Zone")
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, columns):
        if row.get("Active", "Y").upper() == "N":
            continue
        ptid = _ptid(source, line, "Generator PTID", row["Generator PTID"])
        attributes = {key: row[column] for key, column in (("subzone", "Subzone"), ("aggregation_ptid",
                      "Aggregation PTID")) if row.get(column)}
        nodes.setdefault(ptid, PublishedNode(ptid, bounded_text(source, line, "Generator Name", row["Generator Name"]),
                                             "GEN", row["Zone"] or None, attributes=attributes))
    return list(nodes.values())


def _nyiso_zones(source: str, text: str) -> list[PublishedNode]:
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, ("Name", "PTID")):
        ptid = _ptid(source, line, "PTID", row["PTID"])
        name = bounded_text(source, line, "Name", row["Name"])
        nodes.setdefault(ptid, PublishedNode(ptid, name, "ZONE", name))
    return list(nodes.values())


def _nyiso_transmission_nodes(source: str, text: str) -> list[PublishedNode]:
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, ("Node Name", "PTID", "Zone")):
        ptid = _ptid(source, line, "PTID", row["PTID"])
        attributes = {"subzone": row["Subzone"]} if row.get("Subzone") else {}
        nodes.setdefault(ptid, PublishedNode(ptid, bounded_text(source, line, "Node Name", row["Node Name"]), "BUS",
                                             row["Zone"] or None, attributes=attributes))
    return list(nodes.values())


def _ptid(source: str, line: int, field: str, value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadInput(source, line, field, f"a PTID is a number, not {value!r}")
    return str(int(value))


def _pjm(source: str, text: str) -> list[PublishedNode]:
    columns = ("pnode_id", "pnode_name", "pnode_subtype", "effective_date", "termination_date")
    stripped = text.lstrip("\ufeff").lstrip()
    rows = _pjm_json_rows(source, stripped) if stripped[:1] in "[{" else csv_rows(source, text, columns)
    latest: dict[str, tuple[date, PublishedNode]] = {}
    first_effective: dict[str, date] = {}
    for line, row in rows:
        for column in columns:
            if column not in row:
                raise BadInput(source, line, column, "missing")
        node_id = _ptid(source, line, "pnode_id", str(row["pnode_id"]))
        effective = _pjm_day(source, line, "effective_date", row["effective_date"])
        termination = _pjm_day(source, line, "termination_date", row["termination_date"])
        node = PublishedNode(node_id, bounded_text(source, line, "pnode_name", str(row["pnode_name"])),
                             bounded_text(source, line, "pnode_subtype", str(row["pnode_subtype"])).upper(),
                             str(row.get("zone") or "") or None, effective,
                             None if termination >= OPEN_END else termination,
                             {key: str(row[key]) for key in ("pnode_type", "voltage_level") if row.get(key)})
        first_effective[node_id] = min(effective, first_effective.get(node_id, effective))
        # PJM re-issues a pnode with a new effective date when its attributes change: the newest row describes it,
        # the oldest says since when the id has been in force.
        if node_id not in latest or latest[node_id][0] <= effective:
            latest[node_id] = (effective, node)
    return [PublishedNode(node.node_id, node.name, node.node_type, node.zone, first_effective[node.node_id],
                          node.valid_to, node.attributes) for _, node in latest.values()]


def _pjm_json_rows(source: str, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(source, error.lineno, None, f"not JSON: {error.msg}") from error
    items = payload.get("items") if isinstance(payload, dict) else payload
    if not isinstance(items, list) or len(items) > ROWS_MAX:
        raise BadInput(source, None, "items", f"must be a list of at most {ROWS_MAX} pnodes")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise BadInput(source, number, "items", "each item must be an object")
        yield number, {key: "" if value is None else str(value) for key, value in item.items()}


def _pjm_day(source: str, line: int, field: str, value: str) -> date:
    # Data Miner JSON says 2014-06-01T00:00:00; its CSV export says 6/1/2014 12:00:00 AM.
    text = value.strip()
    for pattern in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadInput(source, line, field, f"not a date: {value!r}")


def _isone(source: str, text: str) -> list[PublishedNode]:
    report = read_isone_csv(source, text)
    nodes: dict[str, PublishedNode] = {}
    for section in report.sections:
        if "Location ID" not in section.header:
            continue
        columns = [section.column(name, source) for name in ("Location ID", "Location Name", "Location Type")]
        for line, values in section.rows:
            location_id, name, location_type = (values[index] if index < len(values) else "" for index in columns)
            location_id = _ptid(source, line, "Location ID", location_id)
            name = bounded_text(source, line, "Location Name", name)
            node_type = bounded_text(source, line, "Location Type", location_type).upper()
            zone = name if node_type == "LOAD ZONE" else None
            nodes.setdefault(location_id, PublishedNode(location_id, name, node_type, zone))
    if not nodes:
        raise BadInput(source, None, "Location ID", "no section has a Location ID column")
    return list(nodes.values())


def _miso(source: str, text: str) -> list[PublishedNode]:
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, ("Node", "Type"), header_starts="Node,"):
        node = bounded_text(source, line, "Node", row["Node"])
        node_type = bounded_text(source, line, "Type", row["Type"]).upper()
        nodes.setdefault(node, PublishedNode(node, node, node_type, node if node_type == "LOADZONE" else None))
    return list(nodes.values())


def _spp(source: str, text: str) -> list[PublishedNode]:
    nodes: dict[str, PublishedNode] = {}
    for line, row in csv_rows(source, text, ("Settlement Location", "Pnode")):
        location = bounded_text(source, line, "Settlement Location", row["Settlement Location"])
        nodes.setdefault(location, PublishedNode(location, location, "SETTLEMENT LOCATION", None,
                                                 attributes={"pnode": row["Pnode"]}))
    return list(nodes.values())
