"""SQL for campuses, meters, cycles and their recorded steps. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from common.errors import NotFound


@dataclass(frozen=True)
class Campus:
    campus_id: str
    name: str
    time_zone: str
    iso: str


@dataclass(frozen=True)
class MeterRow:
    meter_id: str
    role: str
    unit: str
    interval_minutes: int
    tenant_id: str | None
    rated_kw: int | None
    iso_meter_id: str | None


def load_campus(conn: Connection, campus_id: str) -> Campus:
    row = conn.execute(
        text("SELECT campus_id, name, time_zone, iso FROM campus WHERE campus_id = :c"), {"c": campus_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"campus {campus_id!r} is not registered")
    return Campus(*row)


def load_meters(conn: Connection, campus_id: str) -> list[MeterRow]:
    rows = conn.execute(
        text(
            "SELECT meter_id, role, unit, interval_minutes, tenant_id, rated_kw, iso_meter_id"
            " FROM meter WHERE campus_id = :c ORDER BY meter_id"
        ),
        {"c": campus_id},
    ).all()
    return [MeterRow(*row) for row in rows]


def insert_cycle(
    conn: Connection,
    cycle_id: str,
    campus_id: str,
    period: str,
    bounds_utc: tuple[datetime, datetime],
    input_uri: str,
) -> bool:
    """Record a new cycle; returns False when it already exists (a repeated start is not an error)."""
    result = conn.execute(
        text(
            "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc,"
            " status, workflow_id, input_uri) VALUES (:id, :campus, :period, :start, :end, 'started', :id,"
            " :input) ON CONFLICT (cycle_id) DO NOTHING"
        ),
        {"id": cycle_id, "campus": campus_id, "period": period, "start": bounds_utc[0],
         "end": bounds_utc[1], "input": input_uri},
    )
    return result.rowcount == 1


def set_cycle_status(conn: Connection, cycle_id: str, status: str, detail: str | None) -> None:
    conn.execute(
        text(
            "UPDATE billing_cycle SET status = :status, status_detail = :detail, updated_at_utc = now()"
            " WHERE cycle_id = :id"
        ),
        {"id": cycle_id, "status": status, "detail": detail},
    )


def record_step(conn: Connection, cycle_id: str, step: str, result: dict) -> None:
    """Keep the latest result of a step (its report, hashes and totals) for the status page and audits."""
    conn.execute(
        text(
            "INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, :step, CAST(:result AS jsonb))"
            " ON CONFLICT (cycle_id, step) DO UPDATE SET result_json = EXCLUDED.result_json,"
            " recorded_at_utc = now()"
        ),
        {"id": cycle_id, "step": step, "result": json.dumps(result, sort_keys=True, default=str)},
    )


def load_cycle(conn: Connection, cycle_id: str) -> dict:
    row = conn.execute(
        text(
            "SELECT cycle_id, campus_id, period, period_start_utc, period_end_utc, status, status_detail,"
            " workflow_id, input_uri, created_at_utc, updated_at_utc FROM billing_cycle WHERE cycle_id = :id"
        ),
        {"id": cycle_id},
    ).mappings().one_or_none()
    if row is None:
        raise NotFound(f"cycle {cycle_id!r} does not exist")
    steps = conn.execute(
        text("SELECT step, result_json FROM cycle_step WHERE cycle_id = :id ORDER BY recorded_at_utc"),
        {"id": cycle_id},
    ).all()
    return {**dict(row), "steps": {step: result for step, result in steps}}


def list_cycles(conn: Connection, status: str | None, limit_max: int) -> list[dict]:
    query = (
        "SELECT cycle_id, campus_id, period, status, status_detail, updated_at_utc FROM billing_cycle"
        + (" WHERE status = :status" if status else "")
        + " ORDER BY updated_at_utc DESC LIMIT :limit"
    )
    rows = conn.execute(text(query), {"status": status, "limit": limit_max}).mappings().all()
    return [dict(row) for row in rows]


def link_input_files(conn: Connection, cycle_id: str, sha256_hex: Sequence[str]) -> None:
    for digest in sha256_hex:
        conn.execute(
            text(
                "INSERT INTO cycle_input_file (cycle_id, sha256_hex) VALUES (:id, :sha)"
                " ON CONFLICT DO NOTHING"
            ),
            {"id": cycle_id, "sha": digest},
        )


def campus_egrid_subregion(conn: Connection, campus_id: str) -> str | None:
    return conn.execute(
        text("SELECT egrid_subregion FROM campus WHERE campus_id = :c"), {"c": campus_id}
    ).scalar_one_or_none()


def record_iso_submission(
    conn: Connection, key: str, cycle_id: str, iso: str, document_uri: str, sha256_hex: str
) -> str:
    """Insert the submission once per business key; a repeat returns the status already recorded."""
    conn.execute(
        text(
            "INSERT INTO iso_submission (submission_key, cycle_id, iso, document_uri, document_sha256_hex,"
            " status) VALUES (:key, :cycle, :iso, :uri, :sha, 'written') ON CONFLICT (submission_key) DO NOTHING"
        ),
        {"key": key, "cycle": cycle_id, "iso": iso, "uri": document_uri, "sha": sha256_hex},
    )
    return conn.execute(
        text("SELECT status FROM iso_submission WHERE submission_key = :key"), {"key": key}
    ).scalar_one()


def load_step(conn: Connection, cycle_id: str, step: str) -> dict:
    result = conn.execute(
        text("SELECT result_json FROM cycle_step WHERE cycle_id = :id AND step = :step"),
        {"id": cycle_id, "step": step},
    ).scalar_one_or_none()
    if result is None:
        raise NotFound(f"cycle {cycle_id!r} has no recorded {step!r} step")
    return result
