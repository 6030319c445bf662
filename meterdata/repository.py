"""SQL for meter data: received files, quarantine, acceptance (with each file's span of readings), the
per-campus store a cycle reads, pending corrections, manual edits, VEE runs.

Functions take a SQLAlchemy Connection inside the caller's transaction; they never commit. Campus facts
(meters) come from `campus`, the one reader of the meter table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

import campus
from common.errors import BadInput
from meterdata.edits import ManualEdit
from meterdata.specs import MeterSpec, meter_spec_from_campus


@dataclass(frozen=True)
class StoreFile:
    """An accepted file of a campus's meter-data store; its readings' interval starts span
    [first_interval_start_utc, last_interval_start_utc]."""

    sha256_hex: str
    original_name: str
    stored_uri: str
    size_bytes: int
    reading_count: int
    first_interval_start_utc: datetime
    last_interval_start_utc: datetime
    received_at_utc: datetime
    csv_layout: str
    """The CSV layout the file was received with; every read of it uses it again."""


@dataclass(frozen=True)
class PendingCorrection:
    """An accepted file whose readings overlap the period of a completed cycle that did not read it."""

    cycle_id: str
    period: str
    cycle_completed_at_utc: datetime
    sha256_hex: str
    original_name: str
    reading_count: int
    first_interval_start_utc: datetime
    last_interval_start_utc: datetime
    received_at_utc: datetime
    resettle_command: str = ""  # what re-settles the period with this file (filled by the service)


def load_meter_specs(conn: Connection, campus_id: str) -> dict[str, MeterSpec]:
    return {meter.meter_id: meter_spec_from_campus(meter) for meter in campus.load_meters(conn, campus_id)}


def campus_exists(conn: Connection, campus_id: str) -> bool:
    return campus.campus_exists(conn, campus_id)


def insert_raw_file(conn: Connection, sha256_hex: str, campus_id: str, name: str, size_bytes: int, uri: str,
                    csv_layout: str) -> bool:
    """True when this content is new; False when the same bytes were received before (a no-op)."""
    inserted = conn.execute(
        text(
            "INSERT INTO raw_file (sha256_hex, campus_id, original_name, size_bytes, stored_uri, csv_layout)"
            " VALUES (:sha, :campus, :name, :size, :uri, :layout) ON CONFLICT (sha256_hex) DO NOTHING RETURNING 1"
        ),
        {"sha": sha256_hex, "campus": campus_id, "name": name, "size": size_bytes, "uri": uri, "layout": csv_layout},
    ).first()
    return inserted is not None


def set_csv_layout(conn: Connection, sha256_hex: str, csv_layout: str) -> None:
    """A stored file not accepted before, checked again with this layout: later reads use it."""
    conn.execute(text("UPDATE raw_file SET csv_layout = :layout WHERE sha256_hex = :sha"),
                 {"sha": sha256_hex, "layout": csv_layout})


def insert_quarantine(conn: Connection, sha256_hex: str, campus_id: str, error: BadInput) -> None:
    conn.execute(
        text(
            "INSERT INTO meter_data_quarantine (sha256_hex, campus_id, source, line, field, reason)"
            " VALUES (:sha, :campus, :source, :line, :field, :reason) ON CONFLICT (sha256_hex) DO NOTHING"
        ),
        {"sha": sha256_hex, "campus": campus_id, "source": error.source, "line": error.line, "field": error.field,
         "reason": error.reason},
    )


def replace_quarantine(conn: Connection, sha256_hex: str, campus_id: str, error: BadInput) -> None:
    """Quarantine a file with this refusal: a file refused again keeps one row, with the latest reason."""
    conn.execute(
        text(
            "INSERT INTO meter_data_quarantine (sha256_hex, campus_id, source, line, field, reason)"
            " VALUES (:sha, :campus, :source, :line, :field, :reason) ON CONFLICT (sha256_hex) DO UPDATE"
            " SET source = EXCLUDED.source, line = EXCLUDED.line, field = EXCLUDED.field, reason = EXCLUDED.reason,"
            " quarantined_at_utc = now()"
        ),
        {"sha": sha256_hex, "campus": campus_id, "source": error.source, "line": error.line, "field": error.field,
         "reason": error.reason},
    )


def release_quarantine(conn: Connection, sha256_hex: str) -> None:
    """A quarantined file received again that now passes its check leaves the quarantine."""
    conn.execute(text("DELETE FROM meter_data_quarantine WHERE sha256_hex = :sha"), {"sha": sha256_hex})


def insert_accepted(conn: Connection, sha256_hex: str, campus_id: str, reading_count: int,
                    first_interval_start_utc: datetime | None, last_interval_start_utc: datetime | None) -> None:
    """Accept a checked file with the span of its readings (None, None when it holds no reading)."""
    conn.execute(
        text(
            "INSERT INTO meter_data_accepted (sha256_hex, campus_id, reading_count, first_interval_start_utc,"
            " last_interval_start_utc) VALUES (:sha, :campus, :n, :first, :last) ON CONFLICT (sha256_hex) DO NOTHING"
        ),
        {"sha": sha256_hex, "campus": campus_id, "n": reading_count, "first": first_interval_start_utc,
         "last": last_interval_start_utc},
    )


def file_status(conn: Connection, sha256_hex: str) -> dict[str, Any] | None:
    row = conn.execute(
        text(
            "SELECT f.sha256_hex, f.campus_id, f.original_name, f.size_bytes, f.stored_uri, f.received_at_utc,"
            " f.csv_layout,"
            " a.reading_count, a.first_interval_start_utc, a.last_interval_start_utc,"
            " q.source, q.line, q.field, q.reason"
            " FROM raw_file f LEFT JOIN meter_data_accepted a USING (sha256_hex)"
            " LEFT JOIN meter_data_quarantine q USING (sha256_hex) WHERE f.sha256_hex = :sha"
        ),
        {"sha": sha256_hex},
    ).mappings().first()
    return dict(row) if row is not None else None


def list_quarantine(conn: Connection, campus_id: str, rows_max: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT q.sha256_hex, f.original_name, q.source, q.line, q.field, q.reason, q.quarantined_at_utc"
            " FROM meter_data_quarantine q JOIN raw_file f USING (sha256_hex)"
            " WHERE q.campus_id = :campus ORDER BY q.quarantine_id DESC LIMIT :n"
        ),
        {"campus": campus_id, "n": rows_max},
    ).mappings().all()
    return [dict(row) for row in rows]


def accepted_files_overlapping(conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime,
                               rows_max: int) -> list[StoreFile]:
    """The campus's accepted, not quarantined files holding a reading that starts in [start_utc, end_utc),
    in received order (a later file corrects an earlier one)."""
    rows = conn.execute(
        text(
            "SELECT a.sha256_hex, f.original_name, f.stored_uri, f.size_bytes, a.reading_count,"
            " a.first_interval_start_utc, a.last_interval_start_utc, f.received_at_utc, f.csv_layout"
            " FROM meter_data_accepted a JOIN raw_file f USING (sha256_hex)"
            " WHERE a.campus_id = :campus AND a.first_interval_start_utc < :end"
            " AND a.last_interval_start_utc >= :start"
            " AND NOT EXISTS (SELECT 1 FROM meter_data_quarantine q WHERE q.sha256_hex = a.sha256_hex)"
            " ORDER BY f.received_at_utc, a.accepted_at_utc, a.sha256_hex LIMIT :n"
        ),
        {"campus": campus_id, "start": start_utc, "end": end_utc, "n": rows_max},
    ).all()
    return [StoreFile(*row) for row in rows]


def pending_corrections(conn: Connection, campus_id: str, rows_max: int) -> list[PendingCorrection]:
    """Accepted, not quarantined files overlapping a completed cycle's period that the cycle did not read."""
    rows = conn.execute(
        text(
            "SELECT c.cycle_id, c.period, c.updated_at_utc, a.sha256_hex, f.original_name, a.reading_count,"
            " a.first_interval_start_utc, a.last_interval_start_utc, f.received_at_utc"
            " FROM billing_cycle c"
            " JOIN meter_data_accepted a ON a.campus_id = c.campus_id"
            " AND a.first_interval_start_utc < c.period_end_utc AND a.last_interval_start_utc >= c.period_start_utc"
            " JOIN raw_file f USING (sha256_hex)"
            " WHERE c.campus_id = :campus AND c.status = 'completed'"
            " AND NOT EXISTS (SELECT 1 FROM cycle_input_file l WHERE l.cycle_id = c.cycle_id"
            " AND l.sha256_hex = a.sha256_hex)"
            " AND NOT EXISTS (SELECT 1 FROM meter_data_quarantine q WHERE q.sha256_hex = a.sha256_hex)"
            " ORDER BY c.period, f.received_at_utc, a.sha256_hex LIMIT :n"
        ),
        {"campus": campus_id, "n": rows_max},
    ).all()
    return [PendingCorrection(*row) for row in rows]


def insert_edit(conn: Connection, campus_id: str, edit: ManualEdit) -> int:
    return int(conn.execute(
        text(
            "INSERT INTO meter_data_edit (campus_id, meter_id, channel, interval_start_utc, energy_wh, edited_by, reason)"
            " VALUES (:campus, :meter, :channel, :start, :wh, :by, :reason) RETURNING edit_id"
        ),
        {"campus": campus_id, "meter": edit.meter_id, "channel": edit.channel, "start": edit.interval_start_utc,
         "wh": edit.energy_wh, "by": edit.edited_by, "reason": edit.reason},
    ).scalar_one())


def edits_for_period(conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime) -> list[ManualEdit]:
    rows = conn.execute(
        text(
            "SELECT edit_id, meter_id, channel, interval_start_utc, energy_wh, edited_by, reason FROM meter_data_edit"
            " WHERE campus_id = :campus AND interval_start_utc >= :start AND interval_start_utc < :end"
            " ORDER BY edit_id"
        ),
        {"campus": campus_id, "start": start_utc, "end": end_utc},
    ).all()
    return [ManualEdit(r.meter_id, r.channel, r.interval_start_utc, r.energy_wh, r.edited_by, r.reason, r.edit_id)
            for r in rows]


def insert_vee_run(conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime, intervals_uri: str,
                   result: Any) -> int:
    return int(conn.execute(
        text(
            "INSERT INTO vee_run (campus_id, period_start_utc, period_end_utc, intervals_uri, validated_uri,"
            " exceptions_uri, reading_count, estimated_count, score, report_json)"
            " VALUES (:campus, :start, :end, :intervals, :validated, :exceptions, :n, :est, :score, CAST(:report AS jsonb))"
            " RETURNING vee_run_id"
        ),
        {"campus": campus_id, "start": start_utc, "end": end_utc, "intervals": intervals_uri,
         "validated": result.validated_uri, "exceptions": result.exceptions_uri, "n": result.reading_count,
         "est": result.estimated_count, "score": str(result.report["score"]), "report": json.dumps(result.report)},
    ).scalar_one())


def load_vee_run(conn: Connection, vee_run_id: int) -> dict[str, Any] | None:
    row = conn.execute(text("SELECT * FROM vee_run WHERE vee_run_id = :id"), {"id": vee_run_id}).mappings().first()
    return dict(row) if row is not None else None


def latest_validated_uri_ending_at(conn: Connection, campus_id: str, end_utc: datetime) -> str | None:
    """The validated file of the campus's latest VEE run whose period ends at `end_utc` (the period before one
    starting there), or None."""
    uri = conn.execute(
        text("SELECT validated_uri FROM vee_run WHERE campus_id = :campus AND period_end_utc = :end"
             " ORDER BY vee_run_id DESC LIMIT 1"),
        {"campus": campus_id, "end": end_utc},
    ).scalar_one_or_none()
    return None if uri is None else str(uri)
