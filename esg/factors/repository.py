"""SQL for the factor library tables (migration 0007): published tables, editions and factor overrides."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from esg.factors.combustion import FactorOverride


def factor_table_sha256(conn: Connection, table_id: str) -> str | None:
    return conn.execute(
        text("SELECT file_sha256 FROM esg_factor_table WHERE table_id = :table_id"), {"table_id": table_id}
    ).scalar()


def insert_factor_table(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_factor_table (table_id, publication_id, publisher, publication_edition, kind, file_name,"
            " file_sha256, workbook_sha256, confidence, licence, note, rows_json)"
            " VALUES (:table_id, :publication_id, :publisher, :publication_edition, :kind, :file_name,"
            " :file_sha256, :workbook_sha256, :confidence, :licence, :note, CAST(:rows_json AS jsonb))"
        ),
        row,
    )


def rows_json(rows: list[dict[str, str]]) -> str:
    return json.dumps(rows, sort_keys=True, separators=(",", ":"))


def edition_content_sha256(conn: Connection, edition_id: str) -> str | None:
    return conn.execute(
        text("SELECT content_sha256 FROM esg_factor_edition WHERE edition_id = :edition_id"),
        {"edition_id": edition_id},
    ).scalar()


def insert_edition(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_factor_edition (edition_id, valid_from, valid_to, description, tables_json, content_sha256)"
            " VALUES (:edition_id, :valid_from, :valid_to, :description, CAST(:tables_json AS jsonb), :content_sha256)"
        ),
        row,
    )


def list_editions(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT edition_id, valid_from, valid_to, description, tables_json, content_sha256, registered_at_utc"
            " FROM esg_factor_edition ORDER BY valid_from, edition_id"
        )
    ).mappings()
    return [dict(row) for row in rows]


def override_row(conn: Connection, override_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text("SELECT * FROM esg_factor_override WHERE override_id = :override_id"),
            {"override_id": override_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def insert_override(
    conn: Connection, campus_id: str, override: FactorOverride, evidence_sha256: str | None
) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_factor_override (override_id, campus_id, meter_id, kind, parameter, value, valid_from,"
            " valid_to, approved_by, reason, evidence_sha256) VALUES (:override_id, :campus_id, :meter_id, :kind,"
            " :parameter, :value, :valid_from, :valid_to, :approved_by, :reason, :evidence_sha256)"
        ),
        {**override_params(override), "campus_id": campus_id, "evidence_sha256": evidence_sha256},
    )


def override_params(override: FactorOverride) -> dict[str, Any]:
    return {
        "override_id": override.override_id,
        "meter_id": override.meter_id,
        "kind": override.kind,
        "parameter": override.parameter,
        "value": override.value,
        "valid_from": override.valid_from,
        "valid_to": override.valid_to,
        "approved_by": override.approved_by,
        "reason": override.reason,
    }


def overrides_for_campus(conn: Connection, campus_id: str) -> list[FactorOverride]:
    rows = conn.execute(
        text(
            "SELECT * FROM esg_factor_override WHERE campus_id = :campus_id ORDER BY recorded_at_utc, override_id"
        ),
        {"campus_id": campus_id},
    ).mappings()
    return [
        FactorOverride(
            row["override_id"],
            row["meter_id"],
            row["kind"],
            row["parameter"],
            Decimal(row["value"]).normalize(),
            row["valid_from"],
            row["valid_to"],
            row["approved_by"],
            row["reason"],
        )
        for row in rows
    ]


def market_rate_content_sha256(conn: Connection, rate_id: str) -> str | None:
    return conn.execute(
        text("SELECT content_sha256 FROM esg_market_rate WHERE rate_id = :rate_id"), {"rate_id": rate_id}
    ).scalar()


def insert_market_rate(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_market_rate (rate_id, kind, zone, g_co2e_per_mwh, source, edition, valid_from, valid_to,"
            " supplier, note, content_sha256) VALUES (:rate_id, :kind, :zone, :g_co2e_per_mwh, :source, :edition,"
            " :valid_from, :valid_to, :supplier, :note, :content_sha256)"
        ),
        row,
    )


def market_rate_rows(conn: Connection, kind: str | None = None, zone: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT rate_id, kind, zone, g_co2e_per_mwh, source, edition, valid_from, valid_to, supplier, note,"
            " registered_at_utc FROM esg_market_rate WHERE (CAST(:kind AS text) IS NULL OR kind = :kind)"
            " AND (CAST(:zone AS text) IS NULL OR zone = :zone) ORDER BY kind, zone, valid_from, rate_id"
        ),
        {"kind": kind, "zone": zone},
    ).mappings()
    return [dict(row) for row in rows]
