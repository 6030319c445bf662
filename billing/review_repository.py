"""SQL for finance's review of a cycle: overrides of blocking findings and the decision record (tables of
migration 0014). The caller's connection; the database sets `recorded_at_utc`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

DECISIONS_SHOWN_MAX = 50


def insert_override(conn: Connection, cycle_id: str, settlement_version: str, finding_code: str,
                    finding_message: str, reason: str, overridden_by: str) -> bool:
    """True when stored; False when the finding was already overridden (the first override stands)."""
    row = conn.execute(
        text("INSERT INTO finding_override (cycle_id, settlement_version, finding_code, finding_message, reason,"
             " overridden_by) VALUES (:cycle_id, :version, :code, :message, :reason, :by)"
             " ON CONFLICT (cycle_id, settlement_version, finding_code) DO NOTHING RETURNING finding_code"),
        {"cycle_id": cycle_id, "version": settlement_version, "code": finding_code, "message": finding_message,
         "reason": reason, "by": overridden_by},
    ).one_or_none()
    return row is not None


def list_overrides(conn: Connection, cycle_id: str, settlement_version: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT finding_code, finding_message, reason, overridden_by, recorded_at_utc FROM finding_override"
             " WHERE cycle_id = :cycle_id AND settlement_version = :version ORDER BY recorded_at_utc, finding_code"),
        {"cycle_id": cycle_id, "version": settlement_version},
    ).mappings().all()
    return [dict(row) for row in rows]


def insert_decision(conn: Connection, cycle_id: str, decision: str, decided_by: str, comment: str,
                    phase_after: str) -> None:
    conn.execute(
        text("INSERT INTO cycle_decision (cycle_id, decision, decided_by, comment, phase_after)"
             " VALUES (:cycle_id, :decision, :by, :comment, :phase)"),
        {"cycle_id": cycle_id, "decision": decision, "by": decided_by, "comment": comment, "phase": phase_after},
    )


def list_decisions(conn: Connection, cycle_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT decision, decided_by, comment, phase_after, recorded_at_utc FROM cycle_decision"
             " WHERE cycle_id = :cycle_id ORDER BY recorded_at_utc DESC, decision_id DESC LIMIT :rows_max"),
        {"cycle_id": cycle_id, "rows_max": DECISIONS_SHOWN_MAX},
    ).mappings().all()
    return [dict(row) for row in rows]
