"""SQL for the campus model: the one reader of `campus`, `tenant` and `meter`, and the versioned documents.

Callers own the transaction. Every other package reads campus facts through these functions.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from campus.errors import CampusNotFound
from campus.model import Campus, Device, Meter, MeterRole, StorageAsset, Tenant, storage_assets


def load_campus(conn: Connection, campus_id: str) -> Campus:
    row = conn.execute(
        text("SELECT campus_id, name, time_zone, iso, egrid_subregion, legal_entity, settlement_point FROM campus"
             " WHERE campus_id = :c"), {"c": campus_id},
    ).one_or_none()
    if row is None:
        raise CampusNotFound(campus_id)
    return Campus(*row)


def campus_exists(conn: Connection, campus_id: str) -> bool:
    return conn.execute(text("SELECT 1 FROM campus WHERE campus_id = :c"), {"c": campus_id}).first() is not None


def list_campuses(conn: Connection) -> list[Campus]:
    rows = conn.execute(text("SELECT campus_id, name, time_zone, iso, egrid_subregion, legal_entity,"
                             " settlement_point FROM campus ORDER BY campus_id")).all()
    return [Campus(*row) for row in rows]


def load_meters(conn: Connection, campus_id: str) -> list[Meter]:
    """Every meter of the campus (in service or not), ordered by id."""
    rows = conn.execute(
        text("SELECT meter_id, role, unit, interval_minutes, tenant_id, rated_kw, iso_meter_id, multiplier,"
             " active_from_utc, active_to_utc, devices_json, channel, carbon_free, fuel_type, parent_meter_id,"
             " generator_meter_id FROM meter WHERE campus_id = :c ORDER BY meter_id"),
        {"c": campus_id},
    ).all()
    return [_meter(row) for row in rows]


def _meter(row: Any) -> Meter:
    devices = tuple(
        Device(d["serial"], Decimal(str(d["multiplier"])), _instant(d.get("installed_utc")),
               _instant(d.get("removed_utc")), _decimal_or_none(d.get("install_read")),
               _decimal_or_none(d.get("removal_read")))
        for d in row.devices_json
    )
    return Meter(row.meter_id, MeterRole(row.role), row.unit, int(row.interval_minutes), row.tenant_id,
                 row.rated_kw, row.iso_meter_id, Decimal(row.multiplier), row.active_from_utc, row.active_to_utc,
                 devices, row.channel, row.carbon_free, row.fuel_type, row.parent_meter_id, row.generator_meter_id)


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def load_tenants(conn: Connection, campus_id: str) -> list[Tenant]:
    rows = conn.execute(
        text("SELECT tenant_id, name, legal_name, move_in, move_out, invoice_prefix, billing_address, remit_to"
             " FROM tenant WHERE campus_id = :c ORDER BY tenant_id"), {"c": campus_id},
    ).all()
    return [Tenant(*row) for row in rows]


def latest_version(conn: Connection, campus_id: str) -> tuple[int, str, dict[str, Any]] | None:
    """(version, document sha256, document) of the campus's latest applied file, or None."""
    row = conn.execute(
        text("SELECT version, document_sha256_hex, document_json FROM campus_version WHERE campus_id = :c"
             " ORDER BY version DESC LIMIT 1"), {"c": campus_id},
    ).first()
    return None if row is None else (int(row[0]), str(row[1]), dict(row[2]))


def load_channel_declarations(conn: Connection, campus_id: str) -> list[dict[str, Any]]:
    """The `[[channels]]` of the campus's latest applied file, as plain JSON (empty when none or no file)."""
    latest = latest_version(conn, campus_id)
    return [] if latest is None else list(latest[2].get("channels") or [])


def load_csv_layouts(conn: Connection, campus_id: str) -> list[dict[str, Any]]:
    """The `[[csv_layouts]]` of the campus's latest applied file, as plain JSON (empty when none or no file).
    Applied layouts never change or go (campus.plan), so the latest file holds every layout a file was received
    with."""
    latest = latest_version(conn, campus_id)
    return [] if latest is None else list(latest[2].get("csv_layouts") or [])


def campuses_with_channels(conn: Connection) -> list[str]:
    """Ids of the campuses whose latest applied file declares `[[channels]]`, in id order."""
    rows = conn.execute(
        text("SELECT campus_id FROM (SELECT DISTINCT ON (campus_id) campus_id, document_json FROM campus_version"
             " ORDER BY campus_id, version DESC) latest"
             " WHERE jsonb_array_length(COALESCE(document_json -> 'channels', '[]'::jsonb)) > 0 ORDER BY campus_id"),
    ).scalars().all()
    return [str(row) for row in rows]


def load_version(conn: Connection, campus_id: str, version: int) -> dict[str, Any] | None:
    row = conn.execute(
        text("SELECT document_json FROM campus_version WHERE campus_id = :c AND version = :v"),
        {"c": campus_id, "v": version},
    ).first()
    return None if row is None else dict(row[0])


def version_history(conn: Connection, campus_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT version, document_sha256_hex, source_name, applied_by, applied_at_utc FROM campus_version"
             " WHERE campus_id = :c ORDER BY version"), {"c": campus_id},
    ).mappings().all()
    return [dict(row) for row in rows]


def insert_version(conn: Connection, campus_id: str, version: int, document: dict[str, Any], sha256_hex: str,
                   source_name: str, applied_by: str) -> None:
    conn.execute(
        text("INSERT INTO campus_version (campus_id, version, document_json, document_sha256_hex, source_name,"
             " applied_by) VALUES (:c, :v, CAST(:doc AS jsonb), :sha, :src, :by)"),
        {"c": campus_id, "v": version, "doc": json.dumps(document, sort_keys=True), "sha": sha256_hex,
         "src": source_name, "by": applied_by},
    )


def lock_campus(conn: Connection, campus_id: str) -> None:
    """Two applies of one campus take turns (the version number and the projection are read-modify-write)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"campus:{campus_id}"})


def upsert_campus(conn: Connection, campus: dict[str, Any]) -> None:
    conn.execute(
        text("INSERT INTO campus (campus_id, name, time_zone, iso, egrid_subregion, legal_entity, settlement_point)"
             " VALUES (:id, :name, :tz, :iso, :egrid, :legal, :point) ON CONFLICT (campus_id) DO UPDATE SET"
             " name = EXCLUDED.name, time_zone = EXCLUDED.time_zone, iso = EXCLUDED.iso,"
             " egrid_subregion = EXCLUDED.egrid_subregion, legal_entity = EXCLUDED.legal_entity,"
             " settlement_point = EXCLUDED.settlement_point"),
        {"id": campus["id"], "name": campus["name"], "tz": campus["time_zone"], "iso": campus["iso"],
         "egrid": campus.get("egrid_subregion"), "legal": campus.get("legal_entity"),
         "point": campus.get("settlement_point")},
    )


def upsert_tenants(conn: Connection, campus_id: str, tenants: list[dict[str, Any]]) -> None:
    if not tenants:
        return
    conn.execute(
        text("INSERT INTO tenant (campus_id, tenant_id, name, legal_name, move_in, move_out, invoice_prefix,"
             " billing_address, remit_to) VALUES (:c, :id, :name, :legal, CAST(:move_in AS date),"
             " CAST(:move_out AS date), :prefix, :address, :remit) ON CONFLICT (campus_id, tenant_id) DO UPDATE"
             " SET name = EXCLUDED.name, legal_name = EXCLUDED.legal_name, move_in = EXCLUDED.move_in,"
             " move_out = EXCLUDED.move_out, invoice_prefix = EXCLUDED.invoice_prefix,"
             " billing_address = EXCLUDED.billing_address, remit_to = EXCLUDED.remit_to"),
        [{"c": campus_id, "id": t["id"], "name": t["name"], "legal": t.get("legal_name"),
          "move_in": t.get("move_in"), "move_out": t.get("move_out"), "prefix": t.get("invoice_prefix"),
          "address": t.get("billing_address"), "remit": t.get("remit_to")} for t in tenants],
    )


def upsert_meters(conn: Connection, campus_id: str, meters: list[dict[str, Any]]) -> None:
    """One statement for all meters: a campus of tens of thousands of meters applies in one round trip."""
    conn.execute(
        text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id, rated_kw,"
             " iso_meter_id, multiplier, active_from_utc, active_to_utc, devices_json, channel, carbon_free,"
             " fuel_type, parent_meter_id, generator_meter_id) VALUES (:c, :id, :role, :unit, :minutes, :tenant,"
             " :rated, :iso, CAST(:multiplier AS numeric), CAST(:start AS timestamptz), CAST(:end AS timestamptz),"
             " CAST(:devices AS jsonb), :channel, :carbon_free, :fuel, :parent, :generator)"
             " ON CONFLICT (campus_id, meter_id) DO UPDATE SET rated_kw = EXCLUDED.rated_kw,"
             " iso_meter_id = EXCLUDED.iso_meter_id, multiplier = EXCLUDED.multiplier,"
             " active_from_utc = EXCLUDED.active_from_utc, active_to_utc = EXCLUDED.active_to_utc,"
             " devices_json = EXCLUDED.devices_json, channel = EXCLUDED.channel,"
             " carbon_free = EXCLUDED.carbon_free, fuel_type = EXCLUDED.fuel_type,"
             " parent_meter_id = EXCLUDED.parent_meter_id, generator_meter_id = EXCLUDED.generator_meter_id"),
        [{"c": campus_id, "id": m["id"], "role": m["role"], "unit": m["unit"], "minutes": m["interval_minutes"],
          "tenant": m.get("tenant"), "rated": m.get("rated_kw"), "iso": m.get("iso_meter_id"),
          "multiplier": m["multiplier"], "start": m.get("active_from"), "end": m.get("active_to"),
          "devices": json.dumps([_device_json(d) for d in m.get("devices", [])]), "channel": m["channel"],
          "carbon_free": m["carbon_free"], "fuel": m.get("fuel_type"), "parent": m.get("parent"),
          "generator": m.get("generator")} for m in meters],
    )


def _device_json(device: dict[str, Any]) -> dict[str, Any]:
    return {"serial": device["serial"], "multiplier": device["multiplier"],
            "installed_utc": device.get("installed"), "removed_utc": device.get("removed"),
            "install_read": _text_or_none(device.get("install_read")),
            "removal_read": _text_or_none(device.get("removal_read"))}


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _latest_section(conn: Connection, campus_id: str, name: str) -> dict[str, Any]:
    """A section of the latest applied campus file; empty for a campus registered without one."""
    latest = latest_version(conn, campus_id)
    return {} if latest is None else dict(latest[2].get(name) or {})


def csv_layout_default(conn: Connection, campus_id: str) -> str | None:
    """The layout the campus file names for meter files received without one (`campus.csv_layout`), or None."""
    layout = _latest_section(conn, campus_id, "campus").get("csv_layout")
    return None if layout is None else str(layout)


def campus_address(conn: Connection, campus_id: str) -> str | None:
    """The campus file's postal address of the campus (printed as the issuer's address on invoices)."""
    address = _latest_section(conn, campus_id, "campus").get("address")
    return None if address is None else str(address)


def emissions_enabled(conn: Connection, campus_id: str) -> bool:
    return bool(_latest_section(conn, campus_id, "esg").get("enabled", True))


def esg_settings(conn: Connection, campus_id: str) -> dict[str, Any]:
    """The `[esg]` section of the latest applied campus file (plain JSON values; empty without a file)."""
    return _latest_section(conn, campus_id, "esg")


def market_settings(conn: Connection, campus_id: str) -> dict[str, Any]:
    """The `[market]` section of the latest applied campus file (plain JSON values; empty without one)."""
    return _latest_section(conn, campus_id, "market")


def load_storage_assets(conn: Connection, campus_id: str) -> list[StorageAsset]:
    """The `[[storage]]` assets of the latest applied campus file (empty when none or no file)."""
    latest = latest_version(conn, campus_id)
    return [] if latest is None else storage_assets(latest[2])


def iso_submission_settings(conn: Connection, campus_id: str) -> tuple[bool, str | None]:
    """(submission on, the sender's DUNS number for ERCOT file names) from the latest campus file."""
    section = _latest_section(conn, campus_id, "iso_submission")
    return bool(section.get("enabled", True)), section.get("duns")


def latest_version_number(conn: Connection, campus_id: str) -> int | None:
    return conn.execute(
        text("SELECT max(version) FROM campus_version WHERE campus_id = :c"), {"c": campus_id},
    ).scalar_one_or_none()
