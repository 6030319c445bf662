"""SQL for the node registry (iso_node_list, iso_node)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from market_adapters.nodes.model import StoredNode

NODE_COLUMNS = "iso, node_id, name, node_type, zone, list_kind, valid_from, valid_to"


def lock_iso(conn: Connection, iso: str) -> None:
    """One load per ISO at a time: two concurrent reloads would both close what the other opened."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('iso_node:' || :iso))"), {"iso": iso})


def loaded_list(conn: Connection, iso: str, list_kind: str, sha256_hex: str) -> RowMapping | None:
    return conn.execute(text("SELECT list_id, as_of, node_count, opened_count, closed_count FROM iso_node_list"
                             " WHERE iso = :iso AND list_kind = :kind AND source_sha256_hex = :sha"),
                        {"iso": iso, "kind": list_kind, "sha": sha256_hex}).mappings().one_or_none()


def latest_as_of(conn: Connection, iso: str, list_kind: str) -> date | None:
    return conn.execute(text("SELECT max(as_of) FROM iso_node_list WHERE iso = :iso AND list_kind = :kind"),
                        {"iso": iso, "kind": list_kind}).scalar_one_or_none()


def insert_list(conn: Connection, iso: str, list_kind: str, source_name: str, sha256_hex: str, as_of: date,
                node_count: int, opened_count: int, closed_count: int, loaded_by: str) -> int:
    return int(conn.execute(
        text("INSERT INTO iso_node_list (iso, list_kind, source_name, source_sha256_hex, as_of, node_count,"
             " opened_count, closed_count, loaded_by) VALUES (:iso, :kind, :name, :sha, :as_of, :nodes, :opened,"
             " :closed, :by) RETURNING list_id"),
        {"iso": iso, "kind": list_kind, "name": source_name, "sha": sha256_hex, "as_of": as_of, "nodes": node_count,
         "opened": opened_count, "closed": closed_count, "by": loaded_by}).scalar_one())


def stored_nodes(conn: Connection, iso: str) -> dict[str, StoredNode]:
    rows = conn.execute(text(f"SELECT {NODE_COLUMNS} FROM iso_node WHERE iso = :iso"), {"iso": iso}).all()
    return {row.node_id: StoredNode(*row) for row in rows}


def upsert_node(conn: Connection, node: StoredNode, attributes: dict[str, str], list_id: int) -> None:
    conn.execute(
        text("INSERT INTO iso_node (iso, node_id, name, node_type, zone, list_kind, valid_from, valid_to,"
             " attributes_json, first_list_id, last_list_id) VALUES (:iso, :id, :name, :type, :zone, :kind, :from,"
             " :to, CAST(:attributes AS jsonb), :list, :list) ON CONFLICT (iso, node_id) DO UPDATE SET"
             " name = EXCLUDED.name, node_type = EXCLUDED.node_type, zone = EXCLUDED.zone,"
             " list_kind = EXCLUDED.list_kind, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,"
             " attributes_json = EXCLUDED.attributes_json, last_list_id = EXCLUDED.last_list_id"),
        {"iso": node.iso, "id": node.node_id, "name": node.name, "type": node.node_type, "zone": node.zone,
         "kind": node.list_kind, "from": node.valid_from, "to": node.valid_to,
         "attributes": json.dumps(attributes, sort_keys=True), "list": list_id})


def close_node(conn: Connection, node: StoredNode) -> None:
    conn.execute(text("UPDATE iso_node SET valid_to = :to WHERE iso = :iso AND node_id = :id"),
                 {"to": node.valid_to, "iso": node.iso, "id": node.node_id})


def registry_loaded(conn: Connection, iso: str) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM iso_node_list WHERE iso = :iso)"),
                             {"iso": iso}).scalar_one())


def find_nodes(conn: Connection, iso: str, id_or_name: str) -> list[StoredNode]:
    """Nodes whose id or name is exactly `id_or_name` (campus files name ERCOT/ISO-NE nodes by name, PJM by id)."""
    rows = conn.execute(text(f"SELECT {NODE_COLUMNS} FROM iso_node WHERE iso = :iso AND (node_id = :key OR"
                             " name = :key) ORDER BY node_id"), {"iso": iso, "key": id_or_name}).all()
    return [StoredNode(*row) for row in rows]


def list_nodes(conn: Connection, iso: str, search: str | None, node_type: str | None, on_day: date | None,
               limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(f"SELECT {NODE_COLUMNS} FROM iso_node WHERE iso = :iso"
             " AND (CAST(:search AS text) IS NULL OR node_id ILIKE :pattern OR name ILIKE :pattern)"
             " AND (CAST(:type AS text) IS NULL OR node_type = :type)"
             " AND (CAST(:day AS date) IS NULL OR ((valid_from IS NULL OR valid_from <= :day)"
             " AND (valid_to IS NULL OR :day < valid_to))) ORDER BY node_type, name, node_id LIMIT :limit"),
        {"iso": iso, "search": search, "pattern": f"%{_escape_like(search or '')}%", "type": node_type,
         "day": on_day, "limit": limit}).mappings().all()
    return [dict(row) for row in rows]


def node_detail(conn: Connection, iso: str, node_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        text("SELECT n.iso, n.node_id, n.name, n.node_type, n.zone, n.list_kind, n.valid_from, n.valid_to,"
             " n.attributes_json AS attributes, f.source_name AS first_list, l.source_name AS last_list"
             " FROM iso_node n JOIN iso_node_list f ON f.list_id = n.first_list_id"
             " JOIN iso_node_list l ON l.list_id = n.last_list_id WHERE n.iso = :iso AND n.node_id = :id"),
        {"iso": iso, "id": node_id}).mappings().one_or_none()
    return None if row is None else dict(row)


def loaded_lists(conn: Connection, iso: str | None, limit: int) -> list[dict[str, Any]]:
    """The lists loaded, newest load first (of one ISO, or of all when `iso` is None)."""
    rows = conn.execute(
        text("SELECT list_id, iso, list_kind, source_name, source_sha256_hex, as_of, node_count, opened_count,"
             " closed_count, loaded_by, loaded_at_utc FROM iso_node_list"
             " WHERE CAST(:iso AS text) IS NULL OR iso = :iso ORDER BY loaded_at_utc DESC, list_id DESC LIMIT :limit"),
        {"iso": iso, "limit": limit}).mappings().all()
    return [dict(row) for row in rows]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
