"""Node registry service: load a published list (versioned), list and show nodes. What the CLI and API call."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from common.errors import BadInput, Conflict, NotFound
from market_adapters.caiso import read_oasis_zip
from market_adapters.nodes import repository as repo
from market_adapters.nodes.parse import LIST_ISOS, list_day_from_name, parse_node_list
from market_adapters.nodes.versions import plan_reload

LIST_BYTES_MAX = 64 * 1024 * 1024  # ERCOT's full bus mapping is about 2 MB; PJM's pnode feed about 5 MB as JSON
LIST_ROWS_SHOWN_MAX = 1_000
ZIP_MAGIC = b"PK\x03\x04"
# ERCOT's NP4-160-SG ZIP holds several CSVs; an OASIS SingleZip answer (resultformat=6) holds the report's one CSV.
ZIP_MEMBERS = {"ercot-settlement-points": re.compile(r"^Settlement_Points_\d{8}_\d{6}\.csv$", re.IGNORECASE),
               "caiso-apnodes": re.compile(r"\.csv$", re.IGNORECASE)}


@dataclass(frozen=True)
class NodeListLoad:
    iso: str
    list_kind: str
    list_id: int
    as_of: date
    node_count: int
    opened_count: int
    closed_count: int
    already_loaded: bool


def load_node_list(engine: Engine, list_kind: str, source_name: str, data: bytes, *, as_of: date | None,
                   loaded_by: str) -> NodeListLoad:
    """Read one published list and fold it into the ISO's registry. The same bytes again change nothing; a list
    not newer than the newest loaded of its kind is a Conflict (validity only moves forward)."""
    if len(data) > LIST_BYTES_MAX:
        raise BadInput(source_name, None, None, f"larger than {LIST_BYTES_MAX} bytes")
    if data.startswith(ZIP_MAGIC):
        source_name, data = _list_in_zip(list_kind, source_name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(source_name, None, None, f"not UTF-8 text: {error.reason}") from error
    nodes = parse_node_list(list_kind, source_name, text)  # refuses an unknown kind first
    iso = LIST_ISOS[list_kind]
    day = as_of or list_day_from_name(list_kind, source_name)
    if day is None:
        raise BadInput(source_name, None, "as_of", "give the day the list describes (its name does not say)")
    sha256_hex = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        repo.lock_iso(conn, iso)
        loaded = repo.loaded_list(conn, iso, list_kind, sha256_hex)
        if loaded is not None:
            return NodeListLoad(iso, list_kind, loaded["list_id"], loaded["as_of"], loaded["node_count"],
                                loaded["opened_count"], loaded["closed_count"], already_loaded=True)
        latest = repo.latest_as_of(conn, iso, list_kind)
        if latest is not None and day <= latest:
            raise Conflict(f"{source_name}: a {list_kind} list as of {latest} is already loaded; load a newer one")
        plan = plan_reload(iso, list_kind, day, nodes, repo.stored_nodes(conn, iso), first_of_kind=latest is None)
        list_id = repo.insert_list(conn, iso, list_kind, source_name, sha256_hex, day, len(nodes),
                                   plan.opened_count, plan.closed_count, loaded_by)
        for node, attributes in plan.upserts:
            repo.upsert_node(conn, node, attributes, list_id)
        for node in plan.closes:
            repo.close_node(conn, node)
    return NodeListLoad(iso, list_kind, list_id, day, len(nodes), plan.opened_count, plan.closed_count, False)


def _list_in_zip(list_kind: str, source_name: str, data: bytes) -> tuple[str, bytes]:
    """The list inside a published ZIP: ERCOT's `Settlement_Points_*` member, or the one CSV of an OASIS answer (an
    OASIS error answer, an XML with ERR_CODE, raises OasisRequestFailed with CAISO's code and text)."""
    if list_kind == "caiso-apnodes":
        read_oasis_zip(data, source_name)
    pattern = ZIP_MEMBERS.get(list_kind)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist()
                       if pattern is not None and pattern.search(info.filename.rsplit("/", 1)[-1])]
            if len(members) != 1:
                raise BadInput(source_name, None, None, f"expected one {list_kind} list in the ZIP, found "
                                                        f"{len(members)}")
            if members[0].file_size > LIST_BYTES_MAX:
                raise BadInput(source_name, None, members[0].filename, f"larger than {LIST_BYTES_MAX} bytes")
            return members[0].filename.rsplit("/", 1)[-1], archive.read(members[0])
    except zipfile.BadZipFile as error:
        raise BadInput(source_name, None, None, f"not a readable ZIP: {error}") from error


def list_nodes(engine: Engine, iso: str, *, search: str | None = None, node_type: str | None = None,
               on_day: date | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Nodes of an ISO by type and name; `search` matches id or name (substring), `on_day` keeps those in force."""
    with engine.connect() as conn:
        return repo.list_nodes(conn, iso.upper(), search or None, node_type.upper() if node_type else None, on_day,
                               max(1, min(limit, LIST_ROWS_SHOWN_MAX)))


def node_lists(engine: Engine, iso: str | None = None, *, limit: int = 200) -> list[dict[str, Any]]:
    """The node lists loaded into the registry, newest load first: ISO, kind, source file and its sha256, the day
    it describes, node/opened/closed counts, who loaded it and when."""
    with engine.connect() as conn:
        return repo.loaded_lists(conn, iso.upper() if iso else None, max(1, min(limit, LIST_ROWS_SHOWN_MAX)))


def show_node(engine: Engine, iso: str, node_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        node = repo.node_detail(conn, iso.upper(), node_id)
    if node is None:
        raise NotFound(f"{iso.upper()} node {node_id!r} is not in the registry (wattledger market nodes list)")
    return node
