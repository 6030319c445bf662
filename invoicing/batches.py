"""A cycle's invoices rendered in parallel batches and issued in one transaction.

Rendering and signing a PDF is most of the cost of issuing an invoice, and one process renders one at a time. So
a large cycle is issued in three parts:

1. `plan_invoices`: which tenants still need an invoice, the number each will take (the series' last number
   plus its rank, read under the series lock but not kept), the issue time, and everything each document prints
   besides its lines (usage and emissions, read once). No number is taken and nothing is written to the
   invoices; the plan is a value the caller stores.
2. `render_planned`: any slice of the plan, on any worker, in any order: build, render, sign and write each
   document under the name its planned number gives it. Nothing is recorded.
3. `issue_invoices(..., prepared=...)`: under the series locks, if every series still ends where the plan
   read it and no planned tenant was invoiced meanwhile, each rendered document is checked against its hash
   and recorded with its planned number; otherwise (another issuer took numbers in between) the documents are
   rendered again with the numbers now free, as without a plan. Either way the numbers stay gapless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from common import canonical_json, storage
from common.errors import BadInput
from invoicing import repository
from invoicing.document import TenantUsage, build_invoice_document
from invoicing.parties import campus_parties
from invoicing.service import (
    PAYMENT_TERMS_DAYS,
    IssuedInvoice,
    already_issued,
    document_path,
    existing_cycle,
    invoice_header,
    invoice_id_of,
    invoice_inputs,
    issue_invoices,
    lock_series,
    record_invoice,
    signed_invoice_pdf,
)
from invoicing.signing import load_signing_key
from invoicing.storage import move_document, remove_empty_folder, write_document


@dataclass(frozen=True)
class PlannedInvoice:
    tenant_id: str
    issuer: str
    number: int
    usage: TenantUsage

    @property
    def invoice_id(self) -> str:
        return invoice_id_of(self.issuer, self.number)


@dataclass(frozen=True)
class InvoicePlan:
    cycle_id: str
    issued_at_utc: datetime
    payment_terms_days: int
    last_numbers: dict[str, int]
    """Each series' last number when planned: the plan holds only while they are unchanged."""
    invoices: list[PlannedInvoice]


@dataclass(frozen=True)
class RenderedInvoice:
    """A written document of the plan: where it is and the hashes the commit checks it against."""

    invoice_id: str
    tenant_id: str
    total_usd_cents: int
    document_sha256_hex: str
    json_path: str
    pdf_path: str
    pdf_sha256_hex: str


def plan_invoices(conn: Connection, cycle_id: str, issuer: str,
                  payment_terms_days: int = PAYMENT_TERMS_DAYS) -> InvoicePlan:
    """The plan for the cycle's tenants without a live invoice, in tenant order (as `issue_invoices` numbers
    them). Run it in a short transaction of its own: the series locks it takes end with it."""
    inputs = invoice_inputs(conn, cycle_id, issuer)
    issuer_of = inputs.issuer_of
    last_numbers, existing = lock_series(conn, cycle_id, issuer_of)
    next_numbers = dict(last_numbers)
    planned = []
    for tenant_id in sorted(inputs.lines_by_tenant):
        if tenant_id in existing:
            continue
        next_numbers[issuer_of[tenant_id]] += 1
        planned.append(PlannedInvoice(tenant_id, issuer_of[tenant_id], next_numbers[issuer_of[tenant_id]],
                                      inputs.context.for_tenant(tenant_id)))
    return InvoicePlan(cycle_id, repository.transaction_now_utc(conn), payment_terms_days, last_numbers, planned)


def render_planned(conn: Connection, plan: InvoicePlan, invoices: Sequence[PlannedInvoice], signing_key_path: Path,
                   documents_root: str) -> list[RenderedInvoice]:
    """Build, render, sign and write the documents of `invoices` (a slice of `plan`) to the plan's staging
    folder; records nothing. Never the final names: until the commit checks the numbers, one of them may
    belong to an invoice another issuer recorded meanwhile."""
    key = load_signing_key(signing_key_path)
    cycle = existing_cycle(conn, plan.cycle_id)
    lines_by_tenant = repository.load_settlement_lines(conn, plan.cycle_id, [i.tenant_id for i in invoices])
    parties = campus_parties(conn, cycle.campus_id)
    rendered = []
    for invoice in invoices:
        header = invoice_header(cycle, invoice.issuer, invoice.number, invoice.tenant_id, parties[invoice.tenant_id],
                                plan.issued_at_utc, plan.payment_terms_days, None)
        document = build_invoice_document(header, lines_by_tenant[invoice.tenant_id], invoice.usage)
        sha256_hex = canonical_json.sha256_hex(document)
        json_path, _ = write_document(documents_root, _staged_path(plan, header.invoice_id, "json"),
                                      canonical_json.canonical_bytes(document))
        signed_pdf = signed_invoice_pdf(document, sha256_hex, key)
        pdf_path, pdf_sha256_hex = write_document(documents_root, _staged_path(plan, header.invoice_id, "pdf"),
                                                  signed_pdf)
        rendered.append(RenderedInvoice(header.invoice_id, invoice.tenant_id, document["total_usd_cents"], sha256_hex,
                                        json_path, pdf_path, pdf_sha256_hex))
    return rendered


def issue_planned(conn: Connection, plan: InvoicePlan, rendered: Sequence[RenderedInvoice], issuer: str,
                  signing_key_path: Path, documents_root: str, written: list[str]) -> list[IssuedInvoice]:
    """`issue_invoices` for a rendered plan, in the caller's transaction: the staged documents are moved to their
    final names (appended to `written`) and recorded with their planned numbers when the plan still holds and
    every document is intact; otherwise they are discarded and the invoices issued as without a plan."""
    last_numbers = {sequence: repository.lock_sequence(conn, sequence) for sequence in sorted(plan.last_numbers)}
    existing = repository.live_invoices_of_cycle(conn, plan.cycle_id)
    staged = {invoice.tenant_id: invoice for invoice in rendered}
    documents = _intact_documents(plan, staged) if plan_still_holds(plan, last_numbers, list(existing)) else None
    if documents is None:
        _discard(rendered)
        _remove_staging_folder(plan, documents_root)
        return issue_invoices(conn, plan.cycle_id, issuer, signing_key_path, documents_root,
                              plan.payment_terms_days, written)
    cycle = existing_cycle(conn, plan.cycle_id)
    parties = campus_parties(conn, cycle.campus_id)
    issued = [already_issued(conn, row) for row in existing.values()]
    for invoice in plan.invoices:
        header = invoice_header(cycle, invoice.issuer, invoice.number, invoice.tenant_id, parties[invoice.tenant_id],
                                plan.issued_at_utc, plan.payment_terms_days, None)
        staged_invoice = staged[invoice.tenant_id]
        json_path = move_document(documents_root, _staged_path(plan, header.invoice_id, "json"),
                                  document_path(header, "json"), written)
        pdf_path = move_document(documents_root, _staged_path(plan, header.invoice_id, "pdf"),
                                 document_path(header, "pdf"), written)
        issued.append(record_invoice(conn, header, documents[invoice.tenant_id], staged_invoice.document_sha256_hex,
                                     (json_path, pdf_path, staged_invoice.pdf_sha256_hex)))
        last_numbers[invoice.issuer] = invoice.number
    for sequence, number in last_numbers.items():
        repository.store_sequence(conn, sequence, number)
    _remove_staging_folder(plan, documents_root)
    return sorted(issued, key=lambda invoice: invoice.tenant_id)


def plan_slices(plan: InvoicePlan, invoices_per_batch: int) -> list[list[PlannedInvoice]]:
    """The plan cut into batches of at most `invoices_per_batch`, in plan order."""
    if invoices_per_batch < 1:
        raise ValueError(f"invoices_per_batch must be at least 1, not {invoices_per_batch}")
    return [plan.invoices[i:i + invoices_per_batch] for i in range(0, len(plan.invoices), invoices_per_batch)]


def plan_to_json(plan: InvoicePlan) -> bytes:
    return json.dumps({
        "cycle_id": plan.cycle_id, "issued_at_utc": plan.issued_at_utc.isoformat(),
        "payment_terms_days": plan.payment_terms_days, "last_numbers": plan.last_numbers,
        "invoices": [{"tenant_id": i.tenant_id, "issuer": i.issuer, "number": i.number, "usage": _usage_json(i.usage)}
                     for i in plan.invoices],
    }, sort_keys=True).encode()


def plan_from_json(data: bytes) -> InvoicePlan:
    raw = json.loads(data)
    return InvoicePlan(
        raw["cycle_id"], datetime.fromisoformat(raw["issued_at_utc"]), int(raw["payment_terms_days"]),
        {str(key): int(value) for key, value in raw["last_numbers"].items()},
        [PlannedInvoice(i["tenant_id"], i["issuer"], int(i["number"]), _usage_from_json(i["usage"]))
         for i in raw["invoices"]])


def rendered_to_json(rendered: Sequence[RenderedInvoice]) -> bytes:
    return json.dumps([asdict(invoice) for invoice in rendered], sort_keys=True).encode()


def rendered_from_json(data: bytes) -> list[RenderedInvoice]:
    return [RenderedInvoice(**invoice) for invoice in json.loads(data)]


def _intact_documents(plan: InvoicePlan, staged: Mapping[str, RenderedInvoice]) -> dict[str, dict[str, Any]] | None:
    """Each planned tenant's JSON document, when every one was rendered and its files still match the hashes
    taken when they were written; None otherwise (rendered again instead of recorded)."""
    documents = {}
    for invoice in plan.invoices:
        rendered = staged.get(invoice.tenant_id)
        if rendered is None or rendered.invoice_id != invoice.invoice_id:
            return None
        try:
            document: dict[str, Any] = json.loads(storage.read_bytes(rendered.json_path))
            pdf_sha256_hex = hashlib.sha256(storage.read_bytes(rendered.pdf_path)).hexdigest()
        except (OSError, ValueError, BadInput):
            return None
        if canonical_json.sha256_hex(document) != rendered.document_sha256_hex or \
                pdf_sha256_hex != rendered.pdf_sha256_hex:
            return None
        documents[invoice.tenant_id] = document
    return documents


def _discard(rendered: Sequence[RenderedInvoice]) -> None:
    for invoice in rendered:
        storage.delete(invoice.json_path)
        storage.delete(invoice.pdf_path)


def _staging_folder(plan: InvoicePlan) -> str:
    # `.staging` cannot be an issuer (ISSUER_PATTERN starts with a letter or digit).
    return f"invoices/.staging/{plan.cycle_id.replace(':', '_')}"


def _staged_path(plan: InvoicePlan, invoice_id: str, kind: str) -> str:
    return f"{_staging_folder(plan)}/{invoice_id}.{kind}"


def _remove_staging_folder(plan: InvoicePlan, documents_root: str) -> None:
    """The plan's staging folder once it is empty (a batch still writing, or files of a failed attempt, keep it)."""
    remove_empty_folder(documents_root, _staging_folder(plan))


def plan_still_holds(plan: InvoicePlan, last_numbers: Mapping[str, int], invoiced_tenants: Sequence[str]) -> bool:
    """True when every series ends where the plan read it and no planned tenant was invoiced since."""
    planned_tenants = {invoice.tenant_id for invoice in plan.invoices}
    return dict(last_numbers) == plan.last_numbers and not planned_tenants.intersection(invoiced_tenants)


def _usage_json(usage: TenantUsage) -> dict[str, Any]:
    return {"daily_energy_wh": {day.isoformat(): wh for day, wh in usage.daily_energy_wh.items()},
            "tou_energy_wh": usage.tou_energy_wh, "emissions_g_co2e": usage.emissions_g_co2e}


def _usage_from_json(raw: Mapping[str, Any]) -> TenantUsage:
    return TenantUsage({date.fromisoformat(day): int(wh) for day, wh in raw["daily_energy_wh"].items()},
                       {str(key): int(wh) for key, wh in raw["tou_energy_wh"].items()},
                       None if raw["emissions_g_co2e"] is None else {
                           str(key): int(g) for key, g in raw["emissions_g_co2e"].items()})
