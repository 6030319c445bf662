"""SQL for statement runs, reconciliation rows and disputes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from market_adapters.reconciliation.reconcile import Dispute, RunReconciliation
from market_adapters.reconciliation.statement import StatementRun


def insert_statement_run(conn: Connection, campus_id: str, run: StatementRun, sha256_hex: str,
                         document: dict[str, Any]) -> str | None:
    """Store the run once; returns the stored sha256 so the caller can spot a changed re-publication."""
    conn.execute(
        text("INSERT INTO market_statement_run (statement_id, iso, campus_id, operating_day, run_type, run_sequence,"
             " published_at_utc, document_sha256_hex, document_json) VALUES (:id, :iso, :campus, :day, :type, :seq,"
             " :published, :sha, CAST(:doc AS jsonb)) ON CONFLICT (campus_id, statement_id) DO NOTHING"),
        {"id": run.statement_id, "iso": run.iso, "campus": campus_id, "day": run.operating_day,
         "type": run.run_type, "seq": run.run_sequence, "published": run.published_at_utc, "sha": sha256_hex,
         "doc": json.dumps(document)},
    )
    return conn.execute(text("SELECT document_sha256_hex FROM market_statement_run "
                             "WHERE campus_id = :campus AND statement_id = :id"),
                        {"campus": campus_id, "id": run.statement_id}).scalar_one_or_none()


def lock_statement_day(conn: Connection, campus_id: str, iso: str, operating_day: date) -> None:
    """One import per campus, ISO and day at a time: each run's sequence and deltas follow the run stored before."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('statement:' || :campus || ':' || :iso || ':' || :day))"),
                 {"campus": campus_id, "iso": iso, "day": operating_day.isoformat()})


def load_statement_documents(conn: Connection, campus_id: str, iso: str,
                             operating_day: date) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT document_json FROM market_statement_run WHERE campus_id = :campus AND iso = :iso "
             "AND operating_day = :day ORDER BY run_sequence"), {"campus": campus_id, "iso": iso, "day": operating_day},
    ).scalars().all()
    return list(rows)


def record_run(conn: Connection, campus_id: str, run: RunReconciliation, entry_key: str | None) -> None:
    for charge in run.charges:
        conn.execute(
            text("INSERT INTO market_reconciliation (campus_id, statement_id, charge_type, iso_amount_usd_micros, "
                 "shadow_amount_usd_micros, difference_usd_micros, posted_delta_usd_micros, ledger_entry_key) "
                 "VALUES (:campus, :id, :charge, :iso, :shadow, :diff, :delta, :key) "
                 "ON CONFLICT (campus_id, statement_id, charge_type) DO UPDATE SET iso_amount_usd_micros = EXCLUDED."
                 "iso_amount_usd_micros, shadow_amount_usd_micros = EXCLUDED.shadow_amount_usd_micros, "
                 "difference_usd_micros = EXCLUDED.difference_usd_micros, posted_delta_usd_micros = "
                 "EXCLUDED.posted_delta_usd_micros, ledger_entry_key = EXCLUDED.ledger_entry_key"),
            {"campus": campus_id, "id": run.statement_id, "charge": charge.charge_type, "iso": charge.iso_amount_usd_micros,
             "shadow": charge.shadow_amount_usd_micros, "diff": charge.difference_usd_micros,
             "delta": charge.posted_delta_usd_micros, "key": entry_key},
        )


def record_disputes(conn: Connection, campus_id: str, disputes: tuple[Dispute, ...]) -> None:
    # A `missing_line` has no statement line (line_no 0); it is stored under -n, its place in the list, so
    # that the (statement, line) key stays unique and recognisable.
    for number, dispute in enumerate(disputes, start=1):
        item = dispute.discrepancy
        detail = {"iso_quantity_mwh": item.iso_quantity_mwh, "shadow_quantity_mwh": item.shadow_quantity_mwh,
                  "iso_price_usd_per_mwh": item.iso_price_usd_per_mwh,
                  "shadow_price_usd_per_mwh": item.shadow_price_usd_per_mwh, "statement_line_no": item.line_no}
        conn.execute(
            text("INSERT INTO market_dispute (campus_id, statement_id, line_no, charge_type, resource_id, "
                 "interval_start_utc, cause, difference_usd_micros, detail_json, status) VALUES (:campus, :id, :no, "
                 ":charge, :resource, :start, :cause, :diff, CAST(:detail AS jsonb), :status) "
                 "ON CONFLICT (campus_id, statement_id, line_no) DO UPDATE "
                 "SET status = CASE WHEN market_dispute.status = 'filed' THEN 'filed' ELSE EXCLUDED.status END"),
            {"campus": campus_id, "id": item.statement_id, "no": item.line_no or -number, "charge": item.charge_type,
             "resource": item.resource_id, "start": item.interval_start_utc, "cause": item.cause,
             "diff": item.difference_usd_micros, "detail": json.dumps(detail, default=str), "status": dispute.status},
        )


def list_disputes(conn: Connection, campus_id: str, status: str | None) -> list[dict[str, Any]]:
    rows = conn.execute(
        text("SELECT d.statement_id, d.line_no, d.charge_type, d.resource_id, d.interval_start_utc, d.cause, "
             "d.difference_usd_micros, d.detail_json, d.status, r.run_type, r.operating_day, r.iso "
             "FROM market_dispute d JOIN market_statement_run r USING (campus_id, statement_id) "
             "WHERE r.campus_id = :campus AND (CAST(:status AS text) IS NULL OR d.status = :status) "
             "ORDER BY r.operating_day, r.run_sequence, d.line_no"), {"campus": campus_id, "status": status},
    ).mappings().all()
    return [dict(row) for row in rows]
