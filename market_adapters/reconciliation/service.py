"""Shadow settlement service: import statement runs, reconcile them, record disputes, post differences.

`import_statement_runs` stores each run as an immutable version (a re-publication with other content under
the same statement id is a Conflict). `run_shadow_settlement` reconciles every stored run of one operating
day and, in the same transaction, records the result and appends the reconciliation entries to the ledger
(idempotent on `market-recon:<campus>:<statement id>`, so running it again changes nothing).
`import_iso_statement` turns an ISO's own statement file (ISO-NE SR_RTLOCSUM, ERCOT's RTM statement; the formats
are in `statement_formats`) into such a run, versions in order; `shadow_settle_statement` imports one and
reconciles its day against our interval data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine

from campus import load_campus, load_meters
from common import canonical_json
from common.errors import BadInput, Conflict
from ledger import append_checkpointed, ensure_ledger, open_accounts
from market_adapters.clock import operating_day_bounds_utc
from market_adapters.model import MARKET_TIME_ZONES, IsoMeterRef
from market_adapters.nyiso.parse import power_metering_hours
from market_adapters.prices import latest_prices, price_rows, read_prices_parquet, require_usd
from market_adapters.reconciliation import repository as repo
from market_adapters.reconciliation.charges import QuantityKey, quantities_from_metered_hours
from market_adapters.reconciliation.ledger_entries import (
    reconciliation_accounts,
    reconciliation_entries,
    reconciliation_entry_key,
)
from market_adapters.reconciliation.quantities import GRID_TIE_ROLES, quantities_from_intervals
from market_adapters.reconciliation.reconcile import PriceKey, ReconciliationResult, reconcile_runs
from market_adapters.reconciliation.statement import StatementRun, parse_statement
from market_adapters.reconciliation.statement_file import (
    StatementFile,
    StatementImport,
    latest_lines,
    statement_document,
    stored_findings,
)
from market_adapters.reconciliation.statement_formats import (
    StatementFormat,
    format_reader,
    read_statement_file,
)

RUNS_PER_DAY_MAX = 20  # ERCOT's initial/final/true-up plus resettlements stays far below this


@dataclass(frozen=True)
class ShadowStatementResult:
    """An imported statement file (its run and findings) and the reconciliation of its day."""

    statement: StatementImport
    reconciliation: ReconciliationResult


def import_statement_runs(engine: Engine, campus_id: str,
                          documents: Sequence[dict[str, Any]]) -> list[StatementRun]:
    """Check and store every run; one already stored with the same content is a no-op."""
    runs = [parse_statement(document) for document in documents]
    with engine.begin() as conn:
        for run, document in zip(runs, documents, strict=True):
            sha256_hex = canonical_json.sha256_hex(document)
            stored = repo.insert_statement_run(conn, campus_id, run, sha256_hex, document)
            if stored != sha256_hex:
                raise Conflict(f"statement {run.statement_id} was imported before with other content")
    return runs


def run_shadow_settlement(engine: Engine, *, campus_id: str, iso: str, operating_day: date,
                          quantities_mwh: Mapping[QuantityKey, Decimal], prices_usd_per_mwh: Mapping[PriceKey, Decimal],
                          ledger_origin: str, signing_key_path: Path) -> ReconciliationResult:
    """Reconcile the stored runs of `operating_day` against our quantities and the ISO's prices; the entries commit
    with a checkpoint over them, signed with the ledger key at `signing_key_path`."""
    with engine.begin() as conn:
        documents = repo.load_statement_documents(conn, campus_id, iso, operating_day)
        assert len(documents) <= RUNS_PER_DAY_MAX, f"{len(documents)} runs for one day"
        result = reconcile_runs([parse_statement(d) for d in documents], quantities_mwh, prices_usd_per_mwh)
        entries = reconciliation_entries(campus_id, iso, result.runs)
        if entries:
            ensure_ledger(conn, ledger_origin)
            open_accounts(conn, ledger_origin, reconciliation_accounts(campus_id, iso, result.runs))
            append_checkpointed(conn, ledger_origin, entries, signing_key_path)
        posted = {entry.idempotency_key for entry in entries}
        for run in result.runs:
            key = reconciliation_entry_key(campus_id, run.statement_id)
            repo.record_run(conn, campus_id, run, key if key in posted else None)
        repo.record_disputes(conn, campus_id, result.disputes)
    return result


def list_disputes(engine: Engine, campus_id: str, status: str | None = "open") -> list[dict[str, Any]]:
    """Disputes for the operator, oldest operating day first; `status=None` lists all."""
    with engine.connect() as conn:
        return repo.list_disputes(conn, campus_id, status)


def shadow_settle_day(engine: Engine, *, campus_id: str, iso: str, operating_day: date,
                      statements: Sequence[dict[str, Any]], submitted_document: dict[str, Any], prices_uri: str,
                      ledger_origin: str, signing_key_path: Path) -> ReconciliationResult:
    """Import `statements`, take our quantities from the powerMetering body we submitted and the ISO's
    latest prices from a PRICE_SCHEMA Parquet file, then reconcile and post (see run_shadow_settlement)."""
    import_statement_runs(engine, campus_id, statements)
    start_utc, end_utc = operating_day_bounds_utc(operating_day, ZoneInfo(MARKET_TIME_ZONES[iso]))
    quantities = {key: value for key, value in
                  quantities_from_metered_hours(power_metering_hours(submitted_document, "submitted")).items()
                  if start_utc <= key[2] < end_utc}
    prices = {(row.node, row.interval_start_utc): row.lmp_usd_per_mwh
              for row in price_rows(latest_prices(_usd_prices(prices_uri, iso)))}
    return run_shadow_settlement(engine, campus_id=campus_id, iso=iso, operating_day=operating_day,
                                 quantities_mwh=quantities, prices_usd_per_mwh=prices, ledger_origin=ledger_origin,
                                 signing_key_path=signing_key_path)


def import_iso_statement(engine: Engine, campus_id: str, statement_format: str, source_name: str,
                         data: bytes) -> StatementImport:
    """Store an ISO statement file as the next run of its operating day, keyed by (ISO, day, run type, publish
    time), with deltas against the runs before it. The run type is the file's own (ERCOT) or by order (ISO-NE:
    INITIAL, then RESETTLEMENT). The same file again is a no-op and another file under an imported version is a
    Conflict; so is a version older than one stored, or an initial run after any (import versions oldest first,
    so each run's deltas are against the run the ISO issued before it). Findings (the file's own arithmetic that
    does not hold) are stored with the run and returned."""
    statement = read_statement_file(statement_format, source_name, data)
    file_sha256_hex = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        repo.lock_statement_day(conn, campus_id, statement.iso, statement.operating_day)
        stored = sorted(((parse_statement(d), d) for d in repo.load_statement_documents(
            conn, campus_id, statement.iso, statement.operating_day)), key=lambda pair: pair[0].run_sequence)
        for run, document in stored:
            if run.statement_id == statement.statement_id:
                if document.get("source", {}).get("sha256_hex") != file_sha256_hex:
                    raise Conflict(f"{source_name}: {statement.statement_id} was imported before from another file")
                return StatementImport(run, stored_findings(document))
        runs = [run for run, _ in stored]
        _check_order(source_name, statement, runs)
        run_type = statement.run_type or ("RESETTLEMENT" if runs else "INITIAL")
        document, findings = statement_document(statement, run_type, len(runs) + 1, latest_lines(runs),
                                                file_sha256_hex)
        run = parse_statement(document)
        repo.insert_statement_run(conn, campus_id, run, canonical_json.sha256_hex(document), document)
    return StatementImport(run, findings)


def _check_order(source_name: str, statement: StatementFile, runs: Sequence[StatementRun]) -> None:
    later = [run for run in runs if run.published_at_utc >= statement.published_at_utc]
    if later:
        raise Conflict(f"{source_name}: version {statement.published_at_utc:%Y-%m-%d %H:%M:%S} GMT is older than "
                       f"{later[-1].statement_id}, already imported; import versions oldest first")
    if statement.run_type == "INITIAL" and runs:
        raise Conflict(f"{source_name}: an initial statement, but {runs[-1].statement_id} is already imported "
                       "for that day")


def shadow_settle_statement(engine: Engine, *, campus_id: str, statement_format: str, source_name: str,
                            data: bytes, intervals_uri: str, prices_uri: str, ledger_origin: str,
                            signing_key_path: Path) -> ShadowStatementResult:
    """Import an ISO statement file, take our quantities from validated interval Parquet (the campus's meters
    with an ISO meter id, in the ISO's settlement intervals) and the ISO's latest real-time prices, then
    reconcile the day and post. The campus's meters are checked first, so a campus that cannot be reconciled
    stores nothing."""
    reader = format_reader(statement_format, source_name)
    with engine.connect() as conn:
        meters = _statement_meters(conn, campus_id, reader, source_name)
    imported = import_iso_statement(engine, campus_id, statement_format, source_name, data)
    run = imported.run
    start_utc, end_utc = operating_day_bounds_utc(run.operating_day, ZoneInfo(MARKET_TIME_ZONES[run.iso]))
    quantities = {(reader.charge_types.get(kind, kind), resource, start): value for (kind, resource, start), value
                  in quantities_from_intervals(intervals_uri, meters, start_utc, end_utc,
                                               settlement_minutes=reader.settlement_minutes).items()}
    prices = {(row.node, row.interval_start_utc): row.lmp_usd_per_mwh
              for row in price_rows(latest_prices(_usd_prices(prices_uri, run.iso))) if row.market == "RT"}
    result = run_shadow_settlement(engine, campus_id=campus_id, iso=run.iso, operating_day=run.operating_day,
                                   quantities_mwh=quantities, prices_usd_per_mwh=prices, ledger_origin=ledger_origin,
                                   signing_key_path=signing_key_path)
    return ShadowStatementResult(imported, result)


def _statement_meters(conn: Connection, campus_id: str, reader: StatementFormat,
                      source_name: str) -> list[IsoMeterRef]:
    """The campus's meters registered with the ISO, as the statement's lines name them."""
    registered = [meter for meter in load_meters(conn, campus_id) if meter.iso_meter_id]
    if not reader.at_settlement_point:
        return [IsoMeterRef(meter.meter_id, str(meter.iso_meter_id), meter.role.value) for meter in registered]
    point = load_campus(conn, campus_id).settlement_point
    if not point:
        raise BadInput(source_name, None, "campus.settlement_point",
                       f"campus {campus_id} states no settlement point; its {reader.iso} statement settles there")
    return [IsoMeterRef(meter.meter_id, point, meter.role.value) for meter in registered
            if meter.role in GRID_TIE_ROLES]


def _usd_prices(prices_uri: str, iso: str) -> pa.Table:
    """The ISO's rows of the price file, refused if any is not USD (statements are settled in USD)."""
    table = read_prices_parquet(prices_uri)
    table = table.filter(pc.equal(table.column("iso"), iso))
    require_usd(table, prices_uri)
    return table
