"""The billing cycle's application services: one function per step of the cycle, called by its activity.

Each takes plain arguments (cycle, campus, period, settlement version, URIs) and its unit of work (the engine);
it reads the campus, its meters and the period's bounds once (`load_campus_period`) and passes them down. They
are idempotent on business keys: the ledger keys carry the cycle id, the step and the settlement version;
invoices are unique per (cycle, tenant). The ISO step lives in `billing.iso_step`, corrections in
`billing.corrections`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, Engine

from billing import ledger_entries as legs
from billing import repository as repo
from billing.campus_period import CampusPeriod, load_campus_period
from billing.cycle_limits import check_tenant_count
from billing.cycle_states import CycleState
from billing.runs import is_correction, step_name, version_label
from billing.tenant_intervals import INTERVAL_FIGURES_KEY, tenant_interval_figures
from campus import Meter, MeterRole, emissions_enabled, load_storage_assets, load_tenants
from common.errors import BadInput
from common.uri import read_uri_bytes, write_uri_bytes
from esg.scopes import (
    CampusEmissionSettings,
    CycleEmissions,
    MeterRef,
    allocate_shared_load,
    carbon_account_specs,
    carbon_ledger_meta,
    carbon_ledger_postings,
    carried_pools,
    compute_cycle_emissions,
    load_campus_emission_settings,
)
from intervals import MeterIntervals, energy_wh_by_key, energy_wh_by_meter, read_intervals
from invoicing import IssuedInvoice, issue_invoices, removed_unless_committed, tenant_daily_usage
from invoicing.batches import (
    InvoicePlan,
    RenderedInvoice,
    issue_planned,
    plan_from_json,
    plan_invoices,
    plan_slices,
    plan_to_json,
    render_planned,
    rendered_from_json,
    rendered_to_json,
)
from ledger import (
    EntryRequest,
    Leg,
    PostingRequest,
    append_checkpointed,
    ensure_ledger,
    open_accounts,
    publish_checkpoints_after_commit,
    sign_checkpoint,
    verify_ledger,
)
from ledger.accounts import account_spec
from market_adapters.price_files import campus_price_uris
from meterdata import (
    SITE_EXPORT_V1,
    InputFileRefused,
    MeterSpec,
    VeeResult,
    ingest_files,
    meter_spec_from_campus,
    run_vee,
)
from meterdata.service import (
    collect_period_files,
    edits_for_period,
    input_files,
    quarantine_file,
    record_vee_run,
    storage_for_vee,
)
from settings import Settings
from settlement import SettlementResult, record_settlement_or_delta, result_sha256_hex, settle_cycle
from settlement.contracts import CLAUSE_FIXED_PRICE_SHARED
from settlement.storage_hours import reported_stored_wh_end
from settlement.storage_pool import pools_with_carried_amounts

log = logging.getLogger(__name__)
SHARED_CONSUMPTION_CLAUSE = "allocation.shared_consumption"
"""The clause of the lines an `allocation` contract with pool `shared_consumption` bills."""
INVOICES_PER_BATCH = 100
"""Invoices one render activity writes: about a second of one core (bench/cycle.py), so a 1,000-tenant cycle's
ten batches spread over the workers there are."""


@dataclass(frozen=True)
class IngestedPeriod:
    intervals_uri: str
    reading_count: int
    file_sha256_hex: list[str]


@dataclass(frozen=True)
class SettledCycle:
    settlement_sha256_hex: str
    total_usd_micros: int
    tenant_totals_usd_micros: dict[str, int]
    energy_balance_wh: dict[str, int]
    line_count: int
    pending_ledger_key: str


@dataclass(frozen=True)
class LedgerClose:
    entry_count: int
    verified: bool
    checkpoint_size: int | None
    first_bad_seq: int | None = None


def cycle_folder_uri(settings: Settings, campus_id: str, period: str, run_label: str = "") -> str:
    suffix = f"/{run_label}" if run_label else ""
    return f"{settings.data_root_uri}/cycles/{campus_id}/{period}{suffix}"


def meter_specs(meters: Sequence[Meter]) -> dict[str, MeterSpec]:
    return {meter.meter_id: meter_spec_from_campus(meter) for meter in meters}


def record_status(engine: Engine, cycle_id: str, status: str, detail: str | None) -> None:
    with engine.begin() as conn:
        repo.set_cycle_status(conn, cycle_id, status, detail)


def unsettled_predecessor(engine: Engine, cycle_id: str) -> str | None:
    """Why the cycle may not settle yet, or None. A period opens from what the campus's previous period closed
    with (its batteries' pools, the contract year's counted energy, the net-metering year), so it settles only
    once that period has: settled in any order, a retry after the previous one settled would open differently
    from the first attempt. A previous cycle that was cancelled never settles and holds nothing up."""
    with engine.begin() as conn:
        found = repo.predecessor_cycle(conn, cycle_id)
    if found is None:
        return None
    predecessor_id, status, settled = found
    if settled or status == CycleState.CANCELLED:
        return None
    action = "; retry or cancel it" if status == CycleState.FAILED else ""
    return f"waiting for {predecessor_id} ({status}) to settle first{action}: this period opens from its close"


def record_reminder(engine: Engine, cycle_id: str, reminder_number: int) -> None:
    detail = f"reminder {reminder_number}"
    log.info("cycle %s: approval pending, %s", cycle_id, detail)
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, f"approval-{detail}", {"reminded": True})


def record_escalation(engine: Engine, cycle_id: str, escalation_number: int) -> None:
    detail = f"escalation {escalation_number}"
    log.warning("cycle %s: approval overdue, %s", cycle_id, detail)
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, f"approval-{detail}", {"escalated": True})


def ingest(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
           run_label: str) -> IngestedPeriod:
    """Normalize the campus's period from the meter-data store into one interval Parquet file.

    The store is read again on every run (after receiving what lies in the period's inbox), so a retry or a
    re-settlement sees files received since the start. Readings outside the period are left out; where files
    overlap, the later-received one wins. A stored file refused as bad input is quarantined with its file,
    line, field and reason; the error stops the cycle until an operator sends a fixed file and retries.
    """
    with engine.begin() as conn:
        scope = load_campus_period(conn, campus_id, period)
        inbox = Path(repo.load_cycle(conn, cycle_id)["input_uri"])
        storage = load_storage_assets(conn, campus_id)
    files = collect_period_files(engine, settings.data_root_uri, campus_id, period, scope.bounds_utc, inbox)
    inputs = input_files(engine, campus_id, files)  # each read with the CSV layout it was received with
    out_uri = cycle_folder_uri(settings, campus_id, period, run_label) + "/intervals.parquet"
    try:
        result = ingest_files(inputs, meter_specs(scope.meters), SITE_EXPORT_V1, out_uri, *scope.bounds_utc,
                              outside_period="skip", storage=storage)
    except InputFileRefused as error:
        quarantine_file(engine, campus_id, error.sha256_hex, error)
        raise BadInput(error.source, error.line, error.field, error.reason) from error
    output = IngestedPeriod(result.intervals_uri, result.reading_count, [file.sha256_hex for file in files])
    with engine.begin() as conn:
        # A correction's files join the cycle only when finance approves it (billing.corrections), so a rejected
        # one leaves them pending.
        if not is_correction(run_label):
            repo.link_input_files(conn, cycle_id, output.file_sha256_hex)
        repo.record_step(conn, cycle_id, step_name("ingest", run_label), asdict(output))
    return output


def validate(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str, run_label: str,
             intervals_uri: str) -> VeeResult:
    """VEE with the manual edits made for this period; the run is kept for the API and the plots."""
    with engine.begin() as conn:
        scope = load_campus_period(conn, campus_id, period)
    start_utc, end_utc = scope.bounds_utc
    out_uri = cycle_folder_uri(settings, campus_id, period, run_label) + "/validated.parquet"
    edits = edits_for_period(engine, campus_id, start_utc, end_utc)
    storage = storage_for_vee(engine, campus_id, start_utc)
    result = run_vee(intervals_uri, meter_specs(scope.meters), start_utc, end_utc, out_uri,
                     local_time_zone=scope.campus.time_zone, edits=edits, storage=storage.assets,
                     stored_wh_start=storage.stored_wh_start)
    vee_run_id = record_vee_run(engine, campus_id, start_utc, end_utc, intervals_uri, result)
    recorded = {"validated_uri": result.validated_uri, "reading_count": result.reading_count,
                "estimated_count": result.estimated_count, "report": result.report}
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, step_name("validate", run_label), {**recorded, "vee_run_id": vee_run_id})
    return result


def tenant_consumption_wh(intervals: MeterIntervals, meters: Sequence[Meter]) -> dict[str, int]:
    """Metered consumption per tenant (every row of the file), from the same validated intervals settlement
    used."""
    tenant_of = {m.meter_id: m.tenant_id for m in meters if m.role == MeterRole.TENANT}
    return energy_wh_by_key(energy_wh_by_meter(intervals.table), tenant_of)


def tenant_of_meter(meters: Sequence[Meter]) -> dict[str, str | None]:
    return {m.meter_id: m.tenant_id for m in meters if m.role == MeterRole.TENANT}


def tenant_usage_of(scope: CampusPeriod, intervals: MeterIntervals) -> dict[str, dict[str, object]]:
    """Each tenant's daily energy for its invoice, from the read settlement priced: recorded with the step, so
    invoicing need not read the interval file again."""
    return tenant_daily_usage(intervals.table, tenant_of_meter(scope.meters), scope.campus.time_zone)


def settlement_legs(scope: CampusPeriod, intervals: MeterIntervals, result: SettlementResult) -> list[Leg]:
    """Energy and money legs of the settlement entry (carbon legs come from `esg`)."""
    balance = asdict(result.energy_balance)
    entry_legs = legs.energy_legs(scope.campus_id, balance, tenant_consumption_wh(intervals, scope.meters))
    return entry_legs + legs.money_legs(scope.campus_id, result.tenant_totals_usd_micros)


def publish_ledger_checkpoints(engine: Engine, settings: Settings) -> None:
    """After a step's transaction committed its entries and their checkpoint: publish it to the configured
    witnesses and the checkpoint folder (ledger.publication; a failure is logged and caught up next time)."""
    publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                     settings.ledger_witnesses)


def pending_key(cycle_id: str, run_label: str) -> str:
    return f"{cycle_id}:settlement:{run_label}"


def settle(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
           settlement_version: int, validated_uri: str) -> SettledCycle:
    """Price the validated intervals, store the lines and post them to the ledger as *pending*.

    The interval file is read once; settlement, emissions and the energy legs all sum that one read. Emissions
    (Decimal arithmetic in Python) are computed on a second thread while the pricing engine and the usage sums
    (numba and pyarrow, outside the GIL) run on this one."""
    label = version_label(settlement_version)
    intervals = read_intervals(validated_uri)
    with engine.begin() as conn, ThreadPoolExecutor(1, thread_name_prefix="emissions") as pool:
        scope = load_campus_period(conn, campus_id, period)
        check_tenant_count(campus_id, len(load_tenants(conn, campus_id)))
        esg = emission_settings(conn, emissions_enabled(conn, campus_id), scope)
        emitting = pool.submit(compute_emissions, esg, scope, intervals)
        result = settle_cycle(conn, campus_id, cycle_id, scope.start_utc, scope.end_utc, intervals,
                              campus_price_uris(settings, campus_id))
        usage = tenant_usage_of(scope, intervals)
        interval_figures = tenant_interval_figures(intervals.table, tenant_of_meter(scope.meters))
        emissions = emitting.result()
        if emissions is not None and esg is not None and esg.shared_load_follows_billing:
            emissions = allocate_shared_load(emissions, shared_wh_billed(result))
        if emissions is not None and emissions.storage:
            # The batteries' closing pools are kept with their grams, so the next period hands them on.
            result = replace(result, storage_pools=pools_with_carried_amounts(result.storage_pools,
                                                                              carried_pools(emissions.storage)))
        revision = record_settlement_or_delta(conn, cycle_id, result).revision
        # The hash settlement_run records: finance approves, and the ledger names, exactly what was stored.
        digest = result_sha256_hex(result)
        entry_legs = settlement_legs(scope, intervals, result)
        carbon_legs, carbon_meta = carbon(emissions, campus_id)
        legs.assert_balanced(entry_legs + carbon_legs)
        open_cycle_accounts(conn, settings, entry_legs, carbon_legs)
        entry_legs += carbon_legs
        entry = EntryRequest(
            idempotency_key=pending_key(cycle_id, label),
            kind="pending",
            effective_at_utc=scope.end_utc,
            postings=[PostingRequest(path, asset, amount) for path, asset, amount in entry_legs],
            meta={"cycle_id": cycle_id, "settlement_sha256": digest,
                  "intervals_sha256": result.intervals_sha256_hex, "version": label, **carbon_meta},
        )
        append_checkpointed(conn, settings.ledger_origin, [entry], settings.signing_key_path)
        output = SettledCycle(
            settlement_sha256_hex=digest,
            total_usd_micros=sum(result.tenant_totals_usd_micros.values()),
            tenant_totals_usd_micros=dict(result.tenant_totals_usd_micros),
            energy_balance_wh=asdict(result.energy_balance),
            line_count=len(result.lines),
            pending_ledger_key=entry.idempotency_key,
        )
        step_result: dict[str, object] = {**asdict(output), "settlement_revision": revision, "version": label,
                                          "tenant_usage": usage, INTERVAL_FIGURES_KEY: interval_figures}
        if result.storage_figures:
            # Priced batteries' figures: the export's share and its cost (the campus's), unmetered energy.
            step_result["storage"] = result.storage_figures
        if emissions is not None:
            step_result["emissions"] = json.loads(emissions.to_json())
        repo.record_step(conn, cycle_id, "settle", step_result)
    publish_ledger_checkpoints(engine, settings)
    return output


def emission_settings(conn: Connection, enabled: bool, scope: CampusPeriod) -> CampusEmissionSettings | None:
    """The campus file's ESG settings for the period (fuel types, carbon-free generators, GWP set, supplier rates,
    residual mix, Scope 3 switches, stored overrides and claims); None when the campus file turns emissions off
    (`enabled`, from `campus.emissions_enabled`) or names no eGRID subregion."""
    subregion = scope.campus.egrid_subregion
    if subregion is None or not enabled:
        return None
    return load_campus_emission_settings(conn, scope.campus_id, subregion, scope.start_utc, scope.end_utc)


def compute_emissions(esg: CampusEmissionSettings | None, scope: CampusPeriod, intervals: MeterIntervals
                      ) -> CycleEmissions | None:
    """Scope 1/2/3 for the same intervals, with the campus's settings; None without settings."""
    subregion = scope.campus.egrid_subregion
    if subregion is None or esg is None:
        return None
    meters = [MeterRef(m.meter_id, str(m.role), m.tenant_id) for m in scope.meters]
    # The batteries' reported state of charge at the period's end, as settlement reads it: both keep one pool.
    reported = reported_stored_wh_end(esg.options.storage_assets, intervals.uri, scope.end_utc)
    options = replace(esg.options, storage_stored_wh_end=reported) if reported else esg.options
    return compute_cycle_emissions(intervals, meters, subregion, scope.start_utc, scope.end_utc, esg.factor_edition,
                                   options=options)


def shared_wh_billed(result: SettlementResult) -> dict[str, int]:
    """Per tenant, the shared-consumption Wh its settlement lines bill (the shared-consumption pool, or the
    energy-share lines without one): the key the shared loads' emissions follow."""
    billed: dict[str, int] = {}
    for line in result.lines:
        if line.clause in (SHARED_CONSUMPTION_CLAUSE, CLAUSE_FIXED_PRICE_SHARED):
            billed[line.tenant_id] = billed.get(line.tenant_id, 0) + line.quantity_wh
    return billed


def carbon(emissions: CycleEmissions | None, campus_id: str) -> tuple[list[Leg], dict[str, str]]:
    """tCO2e legs and their provenance (factor edition, refs, result and meter-data hashes), or none."""
    if emissions is None:
        return [], {}
    return list(carbon_ledger_postings(emissions, campus_id)), carbon_ledger_meta(emissions)


def open_cycle_accounts(conn: Connection, settings: Settings, entry_legs: Sequence[Leg],
                        carbon_legs: Sequence[Leg]) -> None:
    ensure_ledger(conn, settings.ledger_origin)
    specs = {(path, asset): account_spec(path, asset) for path, asset, _ in entry_legs}
    open_accounts(conn, settings.ledger_origin, list(specs.values()) + carbon_account_specs(list(carbon_legs)))


def record_approval(engine: Engine, cycle_id: str, settlement_version: int, approvers: Sequence[str]) -> None:
    """Record who approved which settlement version. The approval's ledger posting happens with the invoice
    numbers (`issue_cycle_invoices`), in one transaction."""
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, f"approval-{version_label(settlement_version)}",
                         {"approved_by": ",".join(approvers)})


def void_rejected_settlement(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                             settlement_version: int, rejected_by: str, reason: str) -> None:
    """Void a rejected settlement's pending entry (approval posts it together with the invoices)."""
    label = version_label(settlement_version)
    decision = f"rejected by {rejected_by}: {reason}"
    kind = "void_pending"
    with engine.begin() as conn:
        scope = load_campus_period(conn, campus_id, period)
        entry = EntryRequest(
            idempotency_key=f"{pending_key(cycle_id, label)}:{kind}",
            kind=kind,
            effective_at_utc=scope.end_utc,
            postings=[],
            meta={"cycle_id": cycle_id, "decision": decision},
            ref_idempotency_key=pending_key(cycle_id, label),
        )
        append_checkpointed(conn, settings.ledger_origin, [entry], settings.signing_key_path)
        repo.record_step(conn, cycle_id, f"decision-{label}", {"kind": kind, "by": decision})
    publish_ledger_checkpoints(engine, settings)


def issue_cycle_invoices(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                         settlement_version: int, plan_uri: str | None = None) -> list[IssuedInvoice]:
    """Number and write the invoices and post the approved settlement in ONE transaction.

    The campus's size is checked first; a failure after documents were written removes them again, so a
    failed step leaves neither rows, ledger entries nor documents. Invoices round each tenant's exact micro-USD
    total to cents; an adjustment entry moves the sub-cent difference between the receivable and a rounding
    account, so the ledger owes exactly what was invoiced.

    A crash before commit leaves neither numbers nor the ledger entry; a retry after commit finds both
    (invoices are unique per cycle and tenant, the entries and the step `invoice` recorded with them).

    With `plan_uri` (`plan_cycle_invoices`), the documents its batches rendered are checked and recorded
    instead of rendered here (invoicing.batches: rendered again here if the plan no longer holds).
    """
    label = version_label(settlement_version)
    with removed_unless_committed() as written, engine.begin() as conn:
        scope = load_campus_period(conn, campus_id, period)
        settled_usd_micros = repo.load_step(conn, cycle_id, "settle")["tenant_totals_usd_micros"]
        # Checked before a number is taken or a document written: beyond it the ledger would refuse the entries.
        check_tenant_count(campus_id, len(settled_usd_micros))
        if plan_uri is None:
            issued = issue_invoices(conn, cycle_id, campus_id, settings.signing_key_path, settings.data_root_uri,
                                    written=written)
        else:
            plan = plan_from_json(read_uri_bytes(plan_uri))
            issued = issue_planned(conn, plan, _rendered_batches(plan_uri, plan), campus_id,
                                   settings.signing_key_path, settings.data_root_uri, written)
        if repo.find_step(conn, cycle_id, "invoice") is not None:
            # Committed before, with the entries (same transaction). Their meta may name each invoice, as entries
            # did before the digest, so posting the new form again would conflict: nothing more to do.
            return issued
        approval = repo.find_step(conn, cycle_id, f"approval-{label}") or {}
        entries = legs.invoicing_entries(cycle_id, campus_id, pending_key(cycle_id, label), scope.end_utc, issued,
                                         settled_usd_micros, str(approval.get("approved_by", "")))
        rounding = [(leg.account_path, leg.asset_code, leg.amount_minor) for e in entries[1:] for leg in e.postings]
        if rounding:
            open_cycle_accounts(conn, settings, rounding, [])
        append_checkpointed(conn, settings.ledger_origin, entries, settings.signing_key_path)
        refs = [{"invoice_id": i.invoice_id, "tenant_id": i.tenant_id, "total_usd_cents": i.total_usd_cents,
                 "document_sha256_hex": i.document_sha256_hex, "pdf_uri": i.pdf_uri} for i in issued]
        repo.record_step(conn, cycle_id, "invoice", {"invoices": refs})
    publish_ledger_checkpoints(engine, settings)
    return issued


@dataclass(frozen=True)
class InvoicesPlanned:
    plan_uri: str
    batch_count: int
    invoice_count: int


def plan_cycle_invoices(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                        settlement_version: int) -> InvoicesPlanned:
    """Plan the approved cycle's invoices (invoicing.batches) and leave the plan beside the cycle's files; the
    batches `render_cycle_invoices` renders, on any worker, are `INVOICES_PER_BATCH` invoices each."""
    with engine.begin() as conn:
        settled_usd_micros = repo.load_step(conn, cycle_id, "settle")["tenant_totals_usd_micros"]
        check_tenant_count(campus_id, len(settled_usd_micros))
        plan = plan_invoices(conn, cycle_id, campus_id)
    plan_uri = cycle_folder_uri(settings, campus_id, period, version_label(settlement_version)) + "/invoice-plan.json"
    write_uri_bytes(plan_uri, plan_to_json(plan))
    return InvoicesPlanned(plan_uri, len(plan_slices(plan, INVOICES_PER_BATCH)), len(plan.invoices))


def render_cycle_invoices(engine: Engine, settings: Settings, plan_uri: str, batch_index: int) -> int:
    """Render batch `batch_index` of the plan and leave what was written beside the plan; returns its size."""
    plan = plan_from_json(read_uri_bytes(plan_uri))
    batches = plan_slices(plan, INVOICES_PER_BATCH)
    if not 0 <= batch_index < len(batches):
        raise BadInput(plan_uri, None, "batch_index", f"{batch_index} is not one of the plan's {len(batches)} batches")
    with engine.connect() as conn:
        rendered = render_planned(conn, plan, batches[batch_index], settings.signing_key_path, settings.data_root_uri)
    write_uri_bytes(_rendered_uri(plan_uri, batch_index), rendered_to_json(rendered))
    return len(rendered)


def _rendered_uri(plan_uri: str, batch_index: int) -> str:
    return plan_uri.removesuffix(".json") + f"-{batch_index:05d}.rendered.json"


def _rendered_batches(plan_uri: str, plan: InvoicePlan) -> list[RenderedInvoice]:
    """What the batches rendered; a batch whose record is missing contributes nothing (the commit then renders
    the plan again rather than record part of it)."""
    rendered: list[RenderedInvoice] = []
    for batch_index in range(len(plan_slices(plan, INVOICES_PER_BATCH))):
        with contextlib.suppress(BadInput):
            rendered += rendered_from_json(read_uri_bytes(_rendered_uri(plan_uri, batch_index)))
    return rendered


def close_cycle_ledger(engine: Engine, settings: Settings, cycle_id: str) -> LedgerClose:
    """Sign a checkpoint over the ledger head at cycle close, then verify the whole chain."""
    with engine.begin() as conn:
        checkpoint = sign_checkpoint(conn, settings.ledger_origin, settings.signing_key_path)
    publish_ledger_checkpoints(engine, settings)
    with engine.connect() as conn:
        report = verify_ledger(conn, settings.ledger_origin)
    output = LedgerClose(report.entries_checked, report.ok, checkpoint.tree_size, report.first_bad_seq)
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, "ledger", asdict(output))
    return output
