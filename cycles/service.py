"""Service functions behind the billing-cycle activities. Each takes its unit of work as arguments.

They are idempotent on business keys: the ledger keys carry the cycle id, the step and the settlement
version; invoices are unique per (cycle, tenant). The ISO step lives in `cycles.iso_step`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from campus import Campus, Meter, MeterRole, load_campus, load_meters
from campus.repository import emissions_enabled
from cycles import ledger_entries as legs
from cycles import repository as repo
from cycles.periods import period_bounds_utc
from intervals import MeterIntervals, energy_wh_by_key, energy_wh_by_meter, read_intervals
from settings import Settings
from workflows.types import (
    CycleInput,
    IngestOutput,
    InvoiceRef,
    LedgerOutput,
    SettleOutput,
    StepInput,
    VeeOutput,
)


def cycle_folder_uri(settings: Settings, campus_id: str, period: str, version_label: str = "") -> str:
    suffix = f"/{version_label}" if version_label else ""
    return f"{settings.data_root_uri}/cycles/{campus_id}/{period}{suffix}"


def is_correction(attempt_label: str) -> bool:
    """A correction's runs are labelled r1, r2, ... (the revision they would record); the cycle's own v1, v2."""
    return attempt_label.startswith("r")


def step_name(step: str, attempt_label: str) -> str:
    """The recorded step name: a correction's runs sit beside the cycle's own steps."""
    return f"correction-{attempt_label}-{step}" if is_correction(attempt_label) else step


def _meter_specs(meters: Sequence[Meter]) -> dict:
    from meterdata.specs import meter_spec_from_campus

    return {meter.meter_id: meter_spec_from_campus(meter) for meter in meters}


def ingest(engine: Engine, settings: Settings, inp: CycleInput) -> IngestOutput:
    """Normalize the campus's period from the meter-data store into one interval Parquet file.

    The store is read again on every run (after receiving what lies in the period's inbox), so a retry or a
    re-settlement sees files received since the start. Readings outside the period are left out; where files
    overlap, the later-received one wins. A stored file refused as bad input is quarantined with its file,
    line, field and reason; the error stops the cycle until an operator sends a fixed file and retries.
    """
    from common.errors import BadInput
    from meterdata import SITE_EXPORT_V1, ingest_files
    from meterdata.ingest import InputFile, InputFileRefused
    from meterdata.service import campus_meters, collect_period_files, quarantine_file

    with engine.begin() as conn:
        campus = load_campus(conn, inp.campus_id)
        inbox = Path(repo.load_cycle(conn, inp.cycle_id)["input_uri"])
    bounds_utc = period_bounds_utc(inp.period, campus.time_zone)
    files = collect_period_files(engine, settings.data_root_uri, inp.campus_id, inp.period, bounds_utc, inbox)
    inputs = [InputFile(file.stored_uri, file.original_name, file.sha256_hex) for file in files]
    out_uri = cycle_folder_uri(settings, inp.campus_id, inp.period, inp.attempt_label) + "/intervals.parquet"
    try:
        result = ingest_files(inputs, campus_meters(engine, inp.campus_id), SITE_EXPORT_V1, out_uri, *bounds_utc,
                              outside_period="skip")
    except InputFileRefused as error:
        quarantine_file(engine, inp.campus_id, error.sha256_hex, error)
        raise BadInput(error.source, error.line, error.field, error.reason) from error
    output = IngestOutput(result.intervals_uri, result.reading_count, [file.sha256_hex for file in files])
    with engine.begin() as conn:
        # A correction's files join the cycle only when finance approves it (cycles.corrections), so a rejected
        # one leaves them pending.
        if not is_correction(inp.attempt_label):
            repo.link_input_files(conn, inp.cycle_id, output.file_sha256_hex)
        repo.record_step(conn, inp.cycle_id, step_name("ingest", inp.attempt_label), asdict(output))
    return output


def validate(engine: Engine, settings: Settings, step: StepInput) -> VeeOutput:
    """VEE with the manual edits made for this period; the run is kept for the API and the plots."""
    from meterdata import run_vee
    from meterdata.service import edits_for_period, record_vee_run

    with engine.begin() as conn:
        campus = load_campus(conn, step.campus_id)
        meters = load_meters(conn, step.campus_id)
    start_utc, end_utc = period_bounds_utc(step.period, campus.time_zone)
    out_uri = cycle_folder_uri(settings, step.campus_id, step.period, step.attempt_label) + "/validated.parquet"
    edits = edits_for_period(engine, step.campus_id, start_utc, end_utc)
    result = run_vee(step.uri, _meter_specs(meters), start_utc, end_utc, out_uri,
                     local_time_zone=campus.time_zone, edits=edits)
    vee_run_id = record_vee_run(engine, step.campus_id, start_utc, end_utc, step.uri, result)
    output = VeeOutput(result.validated_uri, result.reading_count, result.estimated_count, result.report)
    with engine.begin() as conn:
        repo.record_step(conn, step.cycle_id, step_name("validate", step.attempt_label),
                         {**asdict(output), "vee_run_id": vee_run_id})
    return output


def tenant_consumption_wh(intervals: MeterIntervals, meters: Sequence[Meter]) -> dict[str, int]:
    """Metered consumption per tenant (every row of the file), from the same validated intervals settlement
    used."""
    tenant_of = {m.meter_id: m.tenant_id for m in meters if m.role == MeterRole.TENANT}
    return energy_wh_by_key(energy_wh_by_meter(intervals.table), tenant_of)


def settlement_legs(conn: Connection, campus_id: str, intervals: MeterIntervals, result) -> list[legs.Leg]:  # type: ignore[no-untyped-def]
    """Energy and money legs of the settlement entry (carbon legs come from `esg`)."""
    meters = load_meters(conn, campus_id)
    balance = asdict(result.energy_balance)
    entry_legs = legs.energy_legs(campus_id, balance, tenant_consumption_wh(intervals, meters))
    return entry_legs + legs.money_legs(campus_id, result.tenant_totals_usd_micros)


def settlement_digest(result) -> str:  # type: ignore[no-untyped-def]
    """sha256 over the settlement's lines and totals, so finance approves exactly what it saw."""
    payload = json.dumps(asdict(result), sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()


def pending_key(cycle_id: str, label: str) -> str:
    return f"{cycle_id}:settlement:{label}"


def settle(engine: Engine, settings: Settings, step: StepInput) -> SettleOutput:
    """Price the validated intervals, store the lines and post them to the ledger as *pending*.

    The interval file is read once; settlement, emissions and the energy legs all sum that one read."""
    from ledger import EntryRequest, PostingRequest, append_entries
    from market_adapters.price_store import campus_price_uris
    from settlement import record_settlement_or_delta, settle_cycle

    intervals = read_intervals(step.uri)
    with engine.begin() as conn:
        campus = load_campus(conn, step.campus_id)
        start_utc, end_utc = period_bounds_utc(step.period, campus.time_zone)
        result = settle_cycle(conn, step.campus_id, step.cycle_id, start_utc, end_utc, intervals,
                              campus_price_uris(settings, step.campus_id))
        emissions = compute_emissions(conn, campus, intervals, start_utc, end_utc)
        revision = record_settlement_or_delta(conn, step.cycle_id, result).revision
        digest = settlement_digest(result)
        entry_legs = settlement_legs(conn, step.campus_id, intervals, result)
        carbon_legs, carbon_meta = _carbon(emissions, step.campus_id)
        legs.assert_balanced(entry_legs + carbon_legs)
        open_cycle_accounts(conn, settings, entry_legs, carbon_legs)
        entry_legs += carbon_legs
        entry = EntryRequest(
            idempotency_key=pending_key(step.cycle_id, step.attempt_label),
            kind="pending",
            effective_at_utc=end_utc,
            postings=[PostingRequest(path, asset, amount) for path, asset, amount in entry_legs],
            meta={"cycle_id": step.cycle_id, "settlement_sha256": digest,
                  "intervals_sha256": result.intervals_sha256_hex, "version": step.attempt_label, **carbon_meta},
        )
        append_entries(conn, settings.ledger_origin, [entry])
        output = SettleOutput(
            settlement_sha256_hex=digest,
            total_usd_micros=sum(result.tenant_totals_usd_micros.values()),
            tenant_totals_usd_micros=dict(result.tenant_totals_usd_micros),
            energy_balance_wh=asdict(result.energy_balance),
            line_count=len(result.lines),
            pending_ledger_key=entry.idempotency_key,
        )
        step_result = {**asdict(output), "settlement_revision": revision, "version": step.attempt_label}
        if emissions is not None:
            step_result["emissions"] = json.loads(emissions.to_json())
        repo.record_step(conn, step.cycle_id, "settle", step_result)
    return output


def compute_emissions(conn: Connection, campus: Campus, intervals: MeterIntervals, start_utc: datetime,
                      end_utc: datetime):  # type: ignore[no-untyped-def]
    """Scope 1/2/3 for the same intervals; None when the campus file turns emissions off or names no eGRID
    subregion."""
    from esg import MeterRef, compute_cycle_emissions

    subregion = campus.egrid_subregion
    if subregion is None or not emissions_enabled(conn, campus.campus_id):
        return None
    meters = [MeterRef(m.meter_id, str(m.role), m.tenant_id) for m in load_meters(conn, campus.campus_id)]
    return compute_cycle_emissions(intervals, meters, subregion, start_utc, end_utc)


def _carbon(emissions, campus_id: str) -> tuple[list[legs.Leg], dict[str, str]]:  # type: ignore[no-untyped-def]
    """tCO2e legs and their provenance (factor edition, refs, result and meter-data hashes), or none."""
    if emissions is None:
        return [], {}
    from esg import carbon_ledger_postings
    from esg.ledger_legs import carbon_ledger_meta

    return list(carbon_ledger_postings(emissions, campus_id)), carbon_ledger_meta(emissions)


def open_cycle_accounts(conn: Connection, settings: Settings, entry_legs: Sequence[legs.Leg],
                        carbon_legs: Sequence[legs.Leg]) -> None:
    from esg.ledger_legs import carbon_account_specs
    from ledger import AccountSpec, ensure_ledger, open_accounts

    ensure_ledger(conn, settings.ledger_origin)
    specs = {(path, asset): AccountSpec(path, asset, legs.normal_side(path)) for path, asset, _ in entry_legs}
    open_accounts(conn, settings.ledger_origin, list(specs.values()) + carbon_account_specs(list(carbon_legs)))


def resolve_pending(engine: Engine, settings: Settings, step: StepInput, kind: str) -> None:
    """Void a rejected settlement's pending entry (approval posts it together with the invoices)."""
    from ledger import EntryRequest, append_entries

    with engine.begin() as conn:
        entry = EntryRequest(
            idempotency_key=f"{pending_key(step.cycle_id, step.attempt_label)}:{kind}",
            kind=kind,
            effective_at_utc=_period_end(conn, step),
            postings=[],
            meta={"cycle_id": step.cycle_id, "decision": step.uri},
            ref_idempotency_key=pending_key(step.cycle_id, step.attempt_label),
        )
        append_entries(conn, settings.ledger_origin, [entry])
        repo.record_step(conn, step.cycle_id, f"decision-{step.attempt_label}", {"kind": kind, "by": step.uri})


def _period_end(conn: Connection, step: StepInput) -> datetime:
    campus = load_campus(conn, step.campus_id)
    return period_bounds_utc(step.period, campus.time_zone)[1]


def issue_cycle_invoices(engine: Engine, settings: Settings, step: StepInput) -> list:
    """Number and write the invoices and post the approved settlement in ONE transaction.

    Invoices round each tenant's exact micro-USD total to cents; an adjustment entry moves the sub-cent
    difference between the receivable and a rounding account, so the ledger owes exactly what was invoiced.

    A crash before commit leaves neither numbers nor the ledger entry; a retry after commit finds both
    (invoices are unique per cycle and tenant, the ledger entry by its idempotency key).
    """
    from invoicing import issue_invoices
    from ledger import EntryRequest, PostingRequest, append_entries

    with engine.begin() as conn:
        issued = issue_invoices(conn, step.cycle_id, step.campus_id, settings.signing_key_path,
                                settings.data_root_uri)
        meta = {"cycle_id": step.cycle_id, "approved_by": step.uri}
        for invoice in issued:
            meta[f"invoice:{invoice.invoice_id}:sha256"] = invoice.document_sha256_hex
        entry = EntryRequest(
            idempotency_key=f"{pending_key(step.cycle_id, step.attempt_label)}:post_pending",
            kind="post_pending",
            effective_at_utc=_period_end(conn, step),
            postings=[],
            meta=meta,
            ref_idempotency_key=pending_key(step.cycle_id, step.attempt_label),
        )
        settled_usd_micros = repo.load_step(conn, step.cycle_id, "settle")["tenant_totals_usd_micros"]
        rounding = legs.invoice_rounding_legs(step.campus_id, settled_usd_micros,
                                              {i.tenant_id: i.total_usd_cents for i in issued})
        entries = [entry]
        if rounding:
            entries.append(EntryRequest(
                idempotency_key=f"{entry.idempotency_key}:invoice_rounding",
                kind="adjustment",
                effective_at_utc=entry.effective_at_utc,
                postings=[PostingRequest(path, asset, amount) for path, asset, amount in rounding],
                meta={"cycle_id": step.cycle_id, "reason_code": "invoice_rounding_to_cents"},
                ref_idempotency_key=entry.idempotency_key,
            ))
            open_cycle_accounts(conn, settings, rounding, [])
        append_entries(conn, settings.ledger_origin, entries)
        refs = [InvoiceRef(i.invoice_id, i.tenant_id, i.total_usd_cents, i.document_sha256_hex, i.pdf_uri)
                for i in issued]
        repo.record_step(conn, step.cycle_id, "invoice", {"invoices": [asdict(ref) for ref in refs]})
    return refs


def close_cycle_ledger(engine: Engine, settings: Settings, step: StepInput):  # type: ignore[no-untyped-def]
    """Sign a checkpoint over the ledger head at cycle close, then verify the whole chain."""
    from ledger import verify_ledger
    from ledger.checkpoint import sign_checkpoint

    with engine.begin() as conn:
        checkpoint = sign_checkpoint(conn, settings.ledger_origin, settings.signing_key_path)
    with engine.connect() as conn:
        report = verify_ledger(conn, settings.ledger_origin)
    output = LedgerOutput(report.entries_checked, report.ok, checkpoint.tree_size, report.first_bad_seq)
    with engine.begin() as conn:
        repo.record_step(conn, step.cycle_id, "ledger", asdict(output))
    return output
