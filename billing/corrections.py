"""Re-settlement of a completed cycle: settle it again as a delta revision, rebill after finance approves.

A completed period is never settled or invoiced again in place. A correction reads the period from the meter
data store again, computes the new settlement's differences as revision n, and, once finance approves, records
them (`settlement.record_delta`: only the differences are stored) and cancels and rebills the live invoice of
every tenant whose amount changed (`invoicing.corrections.cancel_and_rebill_posted`: a credit note for what is left, a replacement
from the cycle's current lines, their ledger entries). Every step is idempotent on (cycle, revision).
`billing.correction_starter` starts one.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Connection, Engine

from billing import repository as repo
from billing.periods import period_bounds_utc
from billing.service import step_name
from campus import load_campus
from common.errors import Conflict, NotFound
from settings import Settings
from settlement.types import SettlementResult
from workflows.types import CorrectionDecision, CorrectionSettled, RebilledInvoice, RebillInput, StepInput


def settle_correction(engine: Engine, settings: Settings, step: StepInput) -> CorrectionSettled:
    """Settle the re-validated intervals (`step.uri`) and compute the differences as the cycle's next revision,
    without recording them: a revision is recorded only when finance approves (`rebill_correction`), so a rejected
    correction leaves the cycle's settlement exactly as it was. The step `correction-r{n}-settle` keeps what
    finance is asked to approve: the revision, the per-tenant differences and the result's fingerprint."""
    from settlement import preview_delta
    from settlement.repository import result_sha256_hex

    name = step_name("settle", step.attempt_label)
    with engine.begin() as conn:
        repo.lock_cycle(conn, step.cycle_id)
        result = _settle(conn, settings, step.cycle_id, step.campus_id, step.period, step.uri)
        earlier = repo.find_step(conn, step.cycle_id, name)
        if earlier is not None and earlier["result_sha256_hex"] == result_sha256_hex(result):
            # A retry (even after finance approved and the revision was recorded) returns what was approved.
            return CorrectionSettled(earlier["revision"], earlier["tenant_deltas_usd_micros"], earlier["changed"])
        delta = preview_delta(conn, step.cycle_id, result)
        deltas = {tenant_id: int(amount) for tenant_id, amount in sorted(delta.tenant_deltas_usd_micros.items())}
        settled = CorrectionSettled(delta.revision, deltas, any(amount != 0 for amount in deltas.values()))
        repo.record_step(conn, step.cycle_id, name, {
            **asdict(settled), "intervals_uri": step.uri, "result_sha256_hex": result_sha256_hex(result),
            "adjustment_line_count": len(delta.adjustments)})
    return settled


def _settle(conn: Connection, settings: Settings, cycle_id: str, campus_id: str, period: str,
            intervals_uri: str) -> SettlementResult:
    from market_adapters.price_store import campus_price_uris
    from settlement import settle_cycle

    campus = load_campus(conn, campus_id)
    start_utc, end_utc = period_bounds_utc(period, campus.time_zone)
    return settle_cycle(conn, campus_id, cycle_id, start_utc, end_utc, intervals_uri,
                        campus_price_uris(settings, campus_id))


def rebill_correction(engine: Engine, settings: Settings, inp: RebillInput) -> list[RebilledInvoice]:
    """Record the approved revision and cancel and rebill the live invoice of every tenant in `inp.tenant_ids`,
    all in one transaction.

    The period is settled again from the approved intervals; if the result is not the one finance approved (a
    contract or price changed meanwhile) nothing is recorded and the step fails, so a new correction shows the
    new figures. `cancel_and_rebill` refuses an invoice that is already cancelled, so the step is idempotent by
    its recorded result: the cycle row is locked first, and a retry after commit finds `correction-r{n}-rebill`.
    """
    from invoicing.corrections import cancel_and_rebill_posted
    from invoicing.repository import live_invoices_of_cycle
    from invoicing.storage import documents_root_for
    from settlement import record_delta
    from settlement.repository import result_sha256_hex

    name = step_name("rebill", inp.attempt_label)
    with engine.begin() as conn:
        repo.lock_cycle(conn, inp.cycle_id)
        earlier = repo.find_step(conn, inp.cycle_id, name)
        if earlier is not None:
            return [RebilledInvoice(**row) for row in earlier["invoices"]]
        approved = repo.load_step(conn, inp.cycle_id, step_name("settle", inp.attempt_label))
        cycle = repo.load_cycle(conn, inp.cycle_id)
        result = _settle(conn, settings, inp.cycle_id, cycle["campus_id"], cycle["period"], approved["intervals_uri"])
        if result_sha256_hex(result) != approved["result_sha256_hex"]:
            raise Conflict(f"{inp.cycle_id}: the settlement differs from the one approved (contracts or prices "
                           "changed meanwhile); start a new correction")
        recorded = record_delta(conn, inp.cycle_id, result)
        assert recorded.revision == approved["revision"], "the cycle row lock serializes corrections"
        ingested = repo.load_step(conn, inp.cycle_id, step_name("ingest", inp.attempt_label))
        repo.link_input_files(conn, inp.cycle_id, ingested["file_sha256_hex"])  # no longer pending
        live = live_invoices_of_cycle(conn, inp.cycle_id)
        rebilled: list[RebilledInvoice] = []
        for tenant_id in sorted(inp.tenant_ids):
            original = live.get(tenant_id)
            if original is None:
                raise NotFound(f"cycle {inp.cycle_id!r} has no live invoice for tenant {tenant_id!r}")
            rebill = cancel_and_rebill_posted(conn, settings.ledger_origin, original.invoice_id, inp.reason,
                                              settings.signing_key_path, documents_root_for(settings.data_root_uri))
            credit_note_id = None if rebill.credit_note is None else rebill.credit_note.credit_note_id
            rebilled.append(RebilledInvoice(tenant_id, original.invoice_id, original.total_usd_cents,
                                            rebill.new_invoice.invoice_id, rebill.new_invoice.total_usd_cents,
                                            credit_note_id))
        repo.record_step(conn, inp.cycle_id, name, {"invoices": [asdict(row) for row in rebilled],
                                                     "reason": inp.reason, "revision": recorded.revision})
    return rebilled


def record_decision(engine: Engine, decision: CorrectionDecision) -> None:
    """Record finance's decision on a correction as the step `correction-r{n}-decision` (a rejected correction's
    figures stay in its settle step; the cycle's settlement and invoices are unchanged)."""
    with engine.begin() as conn:
        repo.record_step(conn, decision.cycle_id, step_name("decision", decision.attempt_label), asdict(decision))
