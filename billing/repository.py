"""SQL for cycles and their recorded steps (campus facts are read through `campus`). Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from billing.cycle_states import CycleState
from common.errors import NotFound


def insert_cycle(
    conn: Connection,
    cycle_id: str,
    campus_id: str,
    period: str,
    bounds_utc: tuple[datetime, datetime],
    input_uri: str,
    campus_version: int | None,
) -> bool:
    """Record a new cycle with the campus version it settles against; False when it already exists (a
    repeated start is not an error)."""
    result = conn.execute(
        text(
            "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc,"
            " status, workflow_id, input_uri, campus_version) VALUES (:id, :campus, :period, :start, :end,"
            " :started, :id, :input, :version) ON CONFLICT (cycle_id) DO NOTHING"
        ),
        {"id": cycle_id, "campus": campus_id, "period": period, "start": bounds_utc[0],
         "end": bounds_utc[1], "input": input_uri, "version": campus_version, "started": CycleState.STARTED.value},
    )
    return result.rowcount == 1


def delete_unstarted_cycle(conn: Connection, cycle_id: str) -> bool:
    """Remove a cycle row whose workflow never started (still `started`, no step recorded); True when removed."""
    result = conn.execute(
        text("DELETE FROM billing_cycle WHERE cycle_id = :id AND status = :started"
             " AND NOT EXISTS (SELECT 1 FROM cycle_step WHERE cycle_id = :id)"),
        {"id": cycle_id, "started": CycleState.STARTED.value},
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


def record_step(conn: Connection, cycle_id: str, step: str, result: dict[str, Any]) -> None:
    """Keep the latest result of a step (its report, hashes and totals) for the status page and audits."""
    conn.execute(
        text(
            "INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, :step, CAST(:result AS jsonb))"
            " ON CONFLICT (cycle_id, step) DO UPDATE SET result_json = EXCLUDED.result_json,"
            " recorded_at_utc = now()"
        ),
        {"id": cycle_id, "step": step, "result": json.dumps(result, sort_keys=True, default=str)},
    )


def load_cycle(conn: Connection, cycle_id: str) -> dict[str, Any]:
    row = conn.execute(
        text(
            "SELECT cycle_id, campus_id, period, period_start_utc, period_end_utc, status, status_detail,"
            " workflow_id, input_uri, campus_version, created_at_utc, updated_at_utc FROM billing_cycle"
            " WHERE cycle_id = :id"
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


def list_cycles(conn: Connection, status: str | None, limit_max: int) -> list[dict[str, Any]]:
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
    return str(conn.execute(
        text("SELECT status FROM iso_submission WHERE submission_key = :key"), {"key": key}
    ).scalar_one())


def load_step(conn: Connection, cycle_id: str, step: str) -> dict[str, Any]:
    result = conn.execute(
        text("SELECT result_json FROM cycle_step WHERE cycle_id = :id AND step = :step"),
        {"id": cycle_id, "step": step},
    ).scalar_one_or_none()
    if result is None:
        raise NotFound(f"cycle {cycle_id!r} has no recorded {step!r} step")
    return dict(result)


def lock_cycle(conn: Connection, cycle_id: str) -> str:
    """Lock the cycle's row until the caller's transaction ends (serialises its corrections); returns its status."""
    status = conn.execute(
        text("SELECT status FROM billing_cycle WHERE cycle_id = :id FOR UPDATE"), {"id": cycle_id}
    ).scalar_one_or_none()
    if status is None:
        raise NotFound(f"cycle {cycle_id!r} does not exist")
    return str(status)


def find_step(conn: Connection, cycle_id: str, step: str) -> dict[str, Any] | None:
    """The recorded result of a step, or None when it has not been recorded."""
    try:
        return load_step(conn, cycle_id, step)
    except NotFound:
        return None


def latest_settlement_revision(conn: Connection, cycle_id: str) -> int:
    """The cycle's latest settlement revision (0 = the original settlement); -1 when it was never settled."""
    revision = conn.execute(
        text("SELECT max(revision) FROM settlement_run WHERE cycle_id = :id"), {"id": cycle_id}
    ).scalar_one()
    return -1 if revision is None else int(revision)


def predecessor_cycle(conn: Connection, cycle_id: str) -> tuple[str, str, bool] | None:
    """The campus's cycle whose period ends last at or before this one's start (the period a settlement opens
    from), its status and whether it has recorded a settlement; None when there is none."""
    row = conn.execute(text(
        "SELECT p.cycle_id, p.status, EXISTS (SELECT 1 FROM settlement_run s WHERE s.cycle_id = p.cycle_id)"
        " FROM billing_cycle c JOIN billing_cycle p"
        " ON p.campus_id = c.campus_id AND p.period_end_utc <= c.period_start_utc"
        " WHERE c.cycle_id = :id ORDER BY p.period_end_utc DESC LIMIT 1"), {"id": cycle_id}).first()
    return None if row is None else (str(row[0]), str(row[1]), bool(row[2]))


def step_recorded_times(conn: Connection, cycle_id: str) -> dict[str, datetime]:
    """When each step's result was recorded, in order (a step's duration is the gap to the one before it)."""
    rows = conn.execute(
        text("SELECT step, recorded_at_utc FROM cycle_step WHERE cycle_id = :id ORDER BY recorded_at_utc"),
        {"id": cycle_id},
    ).all()
    return {step: recorded_at_utc for step, recorded_at_utc in rows}
