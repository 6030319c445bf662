"""SQL for the ESG tables (migration 0007). Plain statements; the service decides, this module stores and reads."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from campus import campus_exists, load_campus, load_meters
from esg.certificates.model import CertificateClaim, CertificateLot
from esg.factors.combustion import FactorOverride
from esg.scopes.hourly_energy import MeterRef


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


def lot(conn: Connection, lot_id: str, for_update: bool) -> CertificateLot | None:
    lock = " FOR UPDATE" if for_update else ""
    row = (
        conn.execute(
            text(f"SELECT * FROM esg_certificate_lot WHERE lot_id = :lot_id{lock}"), {"lot_id": lot_id}
        )
        .mappings()
        .first()
    )
    return _lot(dict(row)) if row else None


def _lot(row: dict[str, Any]) -> CertificateLot:
    return CertificateLot(
        row["lot_id"],
        row["instrument"],
        row["technology"],
        row["zone"],
        row["vintage_start_utc"],
        row["vintage_end_utc"],
        row["energy_wh"],
        row["emission_rate_g_co2e_per_mwh"],
        row["registry"],
        row["facility"],
        row["commissioning_date"],
    )


def insert_lot(conn: Connection, lot: CertificateLot) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_certificate_lot (lot_id, instrument, technology, zone, vintage_start_utc, vintage_end_utc,"
            " energy_wh, emission_rate_g_co2e_per_mwh, registry, facility, commissioning_date) VALUES (:lot_id,"
            " :instrument, :technology, :zone, :vintage_start_utc, :vintage_end_utc, :energy_wh,"
            " :emission_rate_g_co2e_per_mwh, :registry, :facility, :commissioning_date)"
        ),
        lot.__dict__,
    )


def claimed_wh(conn: Connection, lot_id: str) -> int:
    return int(
        conn.execute(
            text("SELECT coalesce(sum(energy_wh), 0) FROM esg_certificate_claim WHERE lot_id = :lot_id"),
            {"lot_id": lot_id},
        ).scalar_one()
    )


def claim(conn: Connection, claim_id: str) -> tuple[str, CertificateClaim] | None:
    row = (
        conn.execute(
            text("SELECT * FROM esg_certificate_claim WHERE claim_id = :claim_id"), {"claim_id": claim_id}
        )
        .mappings()
        .first()
    )
    return (row["campus_id"], _claim(dict(row))) if row else None


def _claim(row: dict[str, Any]) -> CertificateClaim:
    return CertificateClaim(
        row["claim_id"],
        row["lot_id"],
        row["beneficiary"],
        row["energy_wh"],
        row["consumption_start_utc"],
        row["consumption_end_utc"],
    )


def insert_claim(conn: Connection, campus_id: str, claim: CertificateClaim) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_certificate_claim (claim_id, lot_id, campus_id, beneficiary, energy_wh,"
            " consumption_start_utc, consumption_end_utc) VALUES (:claim_id, :lot_id, :campus_id, :beneficiary,"
            " :energy_wh, :consumption_start_utc, :consumption_end_utc)"
        ),
        {**claim.__dict__, "campus_id": campus_id},
    )


def claims_overlapping(
    conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime
) -> list[tuple[CertificateLot, CertificateClaim]]:
    rows = conn.execute(
        text(
            "SELECT c.*, l.instrument, l.technology, l.zone, l.vintage_start_utc, l.vintage_end_utc,"
            " l.energy_wh AS lot_energy_wh, l.emission_rate_g_co2e_per_mwh, l.registry, l.facility, l.commissioning_date"
            " FROM esg_certificate_claim c JOIN esg_certificate_lot l USING (lot_id)"
            " WHERE c.campus_id = :campus_id AND c.consumption_start_utc < :end_utc AND c.consumption_end_utc > :start_utc"
            " ORDER BY c.claim_id"
        ),
        {"campus_id": campus_id, "start_utc": start_utc, "end_utc": end_utc},
    ).mappings()
    return [(_lot({**dict(row), "energy_wh": row["lot_energy_wh"]}), _claim(dict(row))) for row in rows]


def campus_meters(conn: Connection, campus_id: str) -> list[MeterRef]:
    """The campus's meters as emissions see them (read through the campus package, the one reader)."""
    return [MeterRef(meter.meter_id, str(meter.role), meter.tenant_id) for meter in load_meters(conn, campus_id)]


def campus_egrid_subregion(conn: Connection, campus_id: str) -> str | None:
    return load_campus(conn, campus_id).egrid_subregion if campus_exists(conn, campus_id) else None


def latest_result(conn: Connection, cycle_key: str) -> tuple[int, str, str] | None:
    row = conn.execute(
        text(
            "SELECT version, result_json, result_sha256 FROM esg_cycle_emissions WHERE cycle_key = :cycle_key"
            " ORDER BY version DESC LIMIT 1"
        ),
        {"cycle_key": cycle_key},
    ).first()
    return (row.version, row.result_json, row.result_sha256) if row else None


def result_versions(conn: Connection, cycle_key: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT version, factor_edition, gwp_set, result_sha256, intervals_file_sha256, reason, recorded_at_utc"
            " FROM esg_cycle_emissions WHERE cycle_key = :cycle_key ORDER BY version"
        ),
        {"cycle_key": cycle_key},
    ).mappings()
    return [dict(row) for row in rows]


def result_json(conn: Connection, cycle_key: str, version: int) -> str | None:
    return conn.execute(
        text(
            "SELECT result_json FROM esg_cycle_emissions WHERE cycle_key = :cycle_key AND version = :version"
        ),
        {"cycle_key": cycle_key, "version": version},
    ).scalar()


def insert_result(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_cycle_emissions (cycle_key, version, campus_id, factor_edition, gwp_set, period_start_utc,"
            " period_end_utc, result_json, result_sha256, intervals_file_sha256, reason) VALUES (:cycle_key, :version,"
            " :campus_id, :factor_edition, :gwp_set, :period_start_utc, :period_end_utc, :result_json, :result_sha256,"
            " :intervals_file_sha256, :reason)"
        ),
        row,
    )


def rows_json(rows: list[dict[str, str]]) -> str:
    return json.dumps(rows, sort_keys=True, separators=(",", ":"))


def result_campus_id(conn: Connection, cycle_key: str) -> str | None:
    return conn.execute(
        text("SELECT campus_id FROM esg_cycle_emissions WHERE cycle_key = :cycle_key LIMIT 1"),
        {"cycle_key": cycle_key},
    ).scalar()


def billing_cycle(conn: Connection, cycle_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text(
                "SELECT campus_id, period_start_utc, period_end_utc FROM billing_cycle WHERE cycle_id = :cycle_id"
            ),
            {"cycle_id": cycle_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def cycle_step_result(conn: Connection, cycle_id: str, step: str) -> dict[str, Any] | None:
    return conn.execute(
        text("SELECT result_json FROM cycle_step WHERE cycle_id = :cycle_id AND step = :step"),
        {"cycle_id": cycle_id, "step": step},
    ).scalar()
