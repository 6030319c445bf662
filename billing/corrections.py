"""Re-settlement of a completed cycle: settle it again as a delta revision, rebill after finance approves.

A completed period is never settled or invoiced again in place. A correction reads the period from the meter
data store again, computes the new settlement's differences as revision n, and, once finance approves, records
them (`settlement.record_delta`: only the differences are stored) and cancels and rebills the live invoice of
every tenant whose amount changed (`invoicing.corrections.cancel_and_rebill_posted`: a credit note for what is left, a replacement
from the cycle's current lines, their ledger entries). Every step is idempotent on (cycle, revision).
`workflows.cycle_correction_start` starts one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from sqlalchemy import Connection, Engine

from billing import repository as repo
from billing.periods import period_bounds_utc
from billing.runs import revision_label, step_name
from campus import load_campus, load_meters
from common.errors import BadInput, Conflict, NotFound
from esg.scopes import carried_storage_pools
from invoicing import (
    cancel_and_rebill_posted,
    documents_root_for,
    live_invoices_of_cycle,
    removed_unless_committed,
)
from ledger import publish_checkpoints_after_commit
from market_adapters.price_files import campus_price_uris
from settings import Settings
from settlement import SettlementResult, preview_delta, record_delta, result_sha256_hex, settle_cycle
from settlement.storage_pool import pools_with_carried_amounts


@dataclass(frozen=True)
class CompletedCycle:
    """A completed cycle and the settlement revision a correction of it would record next."""

    cycle_id: str
    campus_id: str
    period: str
    revision_next: int
    meter_count: int  # the campus's meters: the starter scales the steps' timeouts with it


@dataclass(frozen=True)
class CorrectionDelta:
    """The revision a correction would record and its per-tenant differences (micro-USD)."""

    revision: int
    tenant_deltas_usd_micros: dict[str, int]
    changed: bool


@dataclass(frozen=True)
class RebilledInvoice:
    tenant_id: str
    cancelled_invoice_id: str
    cancelled_total_usd_cents: int
    invoice_id: str
    total_usd_cents: int
    credit_note_id: str | None


def correction_id_for(cycle_id: str, revision: int) -> str:
    return f"correction:{cycle_id}:r{revision}"


def completed_cycle(engine: Engine, cycle_id: str, requested_by: str) -> CompletedCycle:
    """The cycle a correction re-settles; only a completed cycle is corrected, on an operator's request."""
    if not requested_by.strip():
        raise BadInput("correction", None, "operator", "a correction needs the operator's name")
    with engine.begin() as conn:
        cycle = repo.load_cycle(conn, cycle_id)
        revision = repo.latest_settlement_revision(conn, cycle_id)
        meter_count = len(load_meters(conn, cycle["campus_id"]))
    if cycle["status"] != "completed" or revision < 0:
        raise Conflict(f"{cycle_id} is {cycle['status']}; only a completed cycle is corrected by re-settlement")
    # A correction records its revision only when finance approves it, so until then every start names the
    # same next revision: a running correction is returned, one that ended unapproved (rejected, no change,
    # failed) runs again under the same id.
    return CompletedCycle(cycle_id, cycle["campus_id"], cycle["period"], revision + 1, meter_count)


def settle_correction(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                      revision: int, validated_uri: str) -> CorrectionDelta:
    """Settle the re-validated intervals and compute the differences as the cycle's next revision, without
    recording them: a revision is recorded only when finance approves (`rebill_correction`), so a rejected
    correction leaves the cycle's settlement exactly as it was. The step `correction-r{n}-settle` keeps what
    finance is asked to approve: the revision, the per-tenant differences and the result's fingerprint."""
    name = step_name("settle", revision_label(revision))
    with engine.begin() as conn:
        repo.lock_cycle(conn, cycle_id)
        result = _settle(conn, settings, cycle_id, campus_id, period, validated_uri)
        earlier = repo.find_step(conn, cycle_id, name)
        if earlier is not None and earlier["result_sha256_hex"] == result_sha256_hex(result):
            # A retry (even after finance approved and the revision was recorded) returns what was approved.
            return CorrectionDelta(earlier["revision"], earlier["tenant_deltas_usd_micros"], earlier["changed"])
        delta = preview_delta(conn, cycle_id, result)
        deltas = {tenant_id: int(amount) for tenant_id, amount in sorted(delta.tenant_deltas_usd_micros.items())}
        settled = CorrectionDelta(delta.revision, deltas, any(amount != 0 for amount in deltas.values()))
        repo.record_step(conn, cycle_id, name, {
            **asdict(settled), "intervals_uri": validated_uri, "result_sha256_hex": result_sha256_hex(result),
            "adjustment_line_count": len(delta.adjustments)})
    return settled


def _settle(conn: Connection, settings: Settings, cycle_id: str, campus_id: str, period: str,
            intervals_uri: str) -> SettlementResult:
    campus = load_campus(conn, campus_id)
    start_utc, end_utc = period_bounds_utc(period, campus.time_zone)
    result = settle_cycle(conn, campus_id, cycle_id, start_utc, end_utc, intervals_uri,
                          campus_price_uris(settings, campus_id))
    # The revision keeps the batteries' pools with their grams, as the cycle's settle step does (billing.service).
    carried = carried_storage_pools(conn, campus_id, intervals_uri, start_utc, end_utc)
    return replace(result, storage_pools=pools_with_carried_amounts(result.storage_pools, carried)) if carried \
        else result


def rebill_correction(engine: Engine, settings: Settings, cycle_id: str, revision: int, tenant_ids: Sequence[str],
                      reason: str) -> list[RebilledInvoice]:
    """Record the approved revision and cancel and rebill the live invoice of every tenant in `tenant_ids`,
    all in one transaction.

    The period is settled again from the approved intervals; if the result is not the one finance approved (a
    contract or price changed meanwhile) nothing is recorded and the step fails, so a new correction shows the
    new figures. `cancel_and_rebill` refuses an invoice that is already cancelled, so the step is idempotent by
    its recorded result: the cycle row is locked first, and a retry after commit finds `correction-r{n}-rebill`.
    """
    label = revision_label(revision)
    name = step_name("rebill", label)
    with removed_unless_committed() as written, engine.begin() as conn:
        repo.lock_cycle(conn, cycle_id)
        earlier = repo.find_step(conn, cycle_id, name)
        if earlier is not None:
            return [RebilledInvoice(**row) for row in earlier["invoices"]]
        approved = repo.load_step(conn, cycle_id, step_name("settle", label))
        cycle = repo.load_cycle(conn, cycle_id)
        result = _settle(conn, settings, cycle_id, cycle["campus_id"], cycle["period"], approved["intervals_uri"])
        if result_sha256_hex(result) != approved["result_sha256_hex"]:
            raise Conflict(f"{cycle_id}: the settlement differs from the one approved (contracts or prices "
                           "changed meanwhile); start a new correction")
        recorded = record_delta(conn, cycle_id, result)
        assert recorded.revision == approved["revision"], "the cycle row lock serializes corrections"
        ingested = repo.load_step(conn, cycle_id, step_name("ingest", label))
        repo.link_input_files(conn, cycle_id, ingested["file_sha256_hex"])  # no longer pending
        live = live_invoices_of_cycle(conn, cycle_id)
        rebilled: list[RebilledInvoice] = []
        for tenant_id in sorted(tenant_ids):
            original = live.get(tenant_id)
            if original is None:
                raise NotFound(f"cycle {cycle_id!r} has no live invoice for tenant {tenant_id!r}")
            rebill = cancel_and_rebill_posted(conn, settings.ledger_origin, original.invoice_id, reason,
                                              settings.signing_key_path, documents_root_for(settings.data_root_uri),
                                              written)
            credit_note_id = None if rebill.credit_note is None else rebill.credit_note.credit_note_id
            rebilled.append(RebilledInvoice(tenant_id, original.invoice_id, original.total_usd_cents,
                                            rebill.new_invoice.invoice_id, rebill.new_invoice.total_usd_cents,
                                            credit_note_id))
        repo.record_step(conn, cycle_id, name, {"invoices": [asdict(row) for row in rebilled],
                                                "reason": reason, "revision": recorded.revision})
    publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                     settings.ledger_witnesses)
    return rebilled


def record_decision(engine: Engine, cycle_id: str, revision: int, approved: bool, approvers: Sequence[str],
                    rejected_by: str | None, rejection_reason: str | None) -> None:
    """Record finance's decision on a correction as the step `correction-r{n}-decision` (a rejected correction's
    figures stay in its settle step; the cycle's settlement and invoices are unchanged)."""
    label = revision_label(revision)
    decision = {"cycle_id": cycle_id, "attempt_label": label, "approved": approved, "approvers": list(approvers),
                "rejected_by": rejected_by, "rejection_reason": rejection_reason}
    with engine.begin() as conn:
        repo.record_step(conn, cycle_id, step_name("decision", label), decision)
