"""SQL for submissions: our `market_submission` (+ attempts) and the core `iso_submission` row."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from market_adapters.errors import IsoRecordError


def claim_submission(conn: Connection, key: str, campus_id: str, iso: str, period: str, version: int,
                     cycle_id: str | None, document_uri: str, sha256_hex: str,
                     deadline_utc: datetime | None) -> RowMapping:
    """Insert the row once, then lock it (FOR UPDATE) so a second worker with the same key waits for us:
    NYISO has no idempotency key, so two concurrent sends would both land as versions.

    The key's advisory lock comes first: two speculative inserts racing on the table's two unique indexes
    (the key and campus/iso/period/version) can deadlock each other; serialized per key they cannot.
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    conn.execute(
        text("INSERT INTO market_submission (submission_key, campus_id, iso, period, version, cycle_id, "
             "document_uri, document_sha256_hex, status, deadline_utc) VALUES (:key, :campus, :iso, :period, "
             ":version, :cycle, :uri, :sha, 'pending', :deadline) ON CONFLICT (submission_key) DO NOTHING"),
        {"key": key, "campus": campus_id, "iso": iso, "period": period, "version": version, "cycle": cycle_id,
         "uri": document_uri, "sha": sha256_hex, "deadline": deadline_utc},
    )
    return conn.execute(
        text("SELECT submission_key, document_sha256_hex, status, iso_request_id, records_accepted, "
             "submitted_late, errors_json, deadline_utc FROM market_submission WHERE submission_key = :key "
             "FOR UPDATE"), {"key": key},
    ).mappings().one()


def next_attempt_no(conn: Connection, key: str) -> int:
    return int(conn.execute(
        text("SELECT coalesce(max(attempt_no), 0) + 1 FROM market_submission_attempt WHERE submission_key = :key"),
        {"key": key},
    ).scalar_one())


def record_attempt(conn: Connection, key: str, outcome: str, detail: str) -> None:
    conn.execute(
        text("INSERT INTO market_submission_attempt (submission_key, attempt_no, outcome, detail) "
             "VALUES (:key, :no, :outcome, :detail)"),
        {"key": key, "no": next_attempt_no(conn, key), "outcome": outcome, "detail": detail[:2000]},
    )


def record_result(conn: Connection, key: str, status: str, *, iso_request_id: str | None,
                  records_accepted: int | None, submitted_late: bool | None, errors: list[IsoRecordError],
                  response_json: str | None) -> None:
    conn.execute(
        text("UPDATE market_submission SET status = :status, iso_request_id = :request_id, "
             "records_accepted = :accepted, submitted_late = :late, errors_json = CAST(:errors AS jsonb), "
             "response_json = CAST(:response AS jsonb), updated_at_utc = now() WHERE submission_key = :key"),
        {"key": key, "status": status, "request_id": iso_request_id, "accepted": records_accepted,
         "late": submitted_late, "errors": json.dumps([asdict(e) for e in errors]), "response": response_json},
    )


def upsert_core_submission(conn: Connection, key: str, cycle_id: str, iso: str, document_uri: str,
                           sha256_hex: str, status: str, response_json: str | None) -> None:
    """Keep the core `iso_submission` row (one per business key) in step with ours."""
    conn.execute(
        text("INSERT INTO iso_submission (submission_key, cycle_id, iso, document_uri, document_sha256_hex, status,"
             " response_json) VALUES (:key, :cycle, :iso, :uri, :sha, :status, CAST(:response AS jsonb)) "
             "ON CONFLICT (submission_key) DO UPDATE SET status = EXCLUDED.status, "
             "response_json = EXCLUDED.response_json"),
        {"key": key, "cycle": cycle_id, "iso": iso, "uri": document_uri, "sha": sha256_hex, "status": status,
         "response": response_json},
    )


def list_submissions(conn: Connection, campus_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT submission_key, iso, period, version, status, iso_request_id, records_accepted, deadline_utc,"
             " submitted_late, errors_json, updated_at_utc FROM market_submission WHERE campus_id = :campus "
             "ORDER BY period, iso, version"), {"campus": campus_id},
    ).mappings().all()
    return [dict(row) for row in rows]


def list_attempts(conn: Connection, key: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT attempt_no, outcome, detail, recorded_at_utc FROM market_submission_attempt "
             "WHERE submission_key = :key ORDER BY attempt_no"), {"key": key},
    ).mappings().all()
    return [dict(row) for row in rows]
