"""SQL for stored cycle results and their versions (migrations 0007, 0009), and the billing-cycle rows a restatement reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text


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
            "SELECT version, factor_edition, gwp_set, result_sha256, intervals_file_sha256, reason, recorded_at_utc,"
            " ledger_idempotency_key FROM esg_cycle_emissions WHERE cycle_key = :cycle_key ORDER BY version"
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
            " period_end_utc, result_json, result_sha256, intervals_file_sha256, reason, ledger_idempotency_key)"
            " VALUES (:cycle_key, :version, :campus_id, :factor_edition, :gwp_set, :period_start_utc, :period_end_utc,"
            " :result_json, :result_sha256, :intervals_file_sha256, :reason, :ledger_idempotency_key)"
        ),
        row,
    )


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


def lock_cycle_versions(conn: Connection, cycle_key: str) -> None:
    """Serialize restatements of one cycle until commit: each reads the latest version, then adds the next."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 18))"),
        {"key": f"esg_cycle_emissions\n{cycle_key}"},
    )
