"""Invoices over HTTP: tenant lists, invoices as JSON or signed PDF, credit notes and their PDFs, rebills.

Tenants read only their own invoices on the campuses they are bound to; for a tenant, another tenant's (or
another campus's) invoice does not exist (404), so ids cannot be probed. Thin over `invoicing`: parse, call one service function, map to a response.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from api.auth import require_roles, require_tenant_access
from api.deps import EngineDep, SettingsDep
from api.principal import TENANT_READER_STAFF_ROLES, Principal
from api.schemas import CreditNotePublic, InvoiceDetailPublic, RebillPublic
from common import storage
from invoicing import (
    INVOICES_PER_PAGE_MAX,
    CreditNoteNotFound,
    InvoiceNotFound,
    InvoiceSummary,
    cancel_and_rebill_posted,
    credit_invoice_posted,
    credit_note_owner,
    credit_note_pdf_path,
    documents_root_for,
    invoice_detail,
    invoice_owner,
    invoice_pdf_path,
    list_invoice_summaries,
)
from ledger import publish_checkpoints_after_commit

router = APIRouter(tags=["invoices"])

ReaderDep = Annotated[Principal, Depends(require_roles("tenant", "finance", "auditor", "operator"))]
StaffReaderDep = Annotated[Principal, Depends(require_roles("finance", "auditor", "operator"))]
FinanceDep = Annotated[Principal, Depends(require_roles("finance"))]
# Credited micro-USD must fit the ledger's bigint: $10 billion is beyond any invoice.
AMOUNT_USD_CENTS_MAX = 10**12


class CreditNoteCreate(BaseModel):
    amount_usd_cents: int = Field(gt=0, le=AMOUNT_USD_CENTS_MAX, description="amount credited, in US cents")
    reason: str = Field(min_length=1, max_length=2000)
    idempotency_key: str = Field(min_length=1, max_length=200)


class RebillCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def _check_invoice_access(engine: Any, principal: Principal, invoice_id: str) -> None:
    with engine.connect() as conn:
        campus_id, tenant_id = invoice_owner(conn, invoice_id)
    try:
        require_tenant_access(principal, campus_id, tenant_id)
    except HTTPException as error:
        raise InvoiceNotFound(invoice_id) from error


def _pdf_response(path_or_uri: str, file_name: str) -> Response:
    """A local PDF streamed from disk; one on the object store read whole (a few hundred kB) and sent."""
    if storage.is_local(path_or_uri):
        return FileResponse(path_or_uri, media_type="application/pdf", filename=file_name)
    return Response(storage.read_bytes(path_or_uri), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@router.get("/credit-notes/{credit_note_id}.pdf", response_class=FileResponse)
def read_credit_note_pdf(credit_note_id: str, engine: EngineDep, principal: ReaderDep) -> Response:
    with engine.connect() as conn:
        campus_id, tenant_id = credit_note_owner(conn, credit_note_id)
        try:
            require_tenant_access(principal, campus_id, tenant_id)
        except HTTPException as error:
            raise CreditNoteNotFound(credit_note_id) from error
        path = credit_note_pdf_path(conn, credit_note_id)
    return _pdf_response(path, f"{credit_note_id}.pdf")


@router.get("/tenants/{tenant_id}/invoices")
def list_tenant_invoices(tenant_id: str, engine: EngineDep, principal: ReaderDep,
                         limit: int = Query(default=100, ge=1, le=INVOICES_PER_PAGE_MAX)) -> list[InvoiceSummary]:
    """The tenant's invoices, newest first; a tenant sees those of the campuses it is bound to."""
    staff = bool(principal.roles & TENANT_READER_STAFF_ROLES)
    if not staff and principal.tenant_id != tenant_id:
        raise HTTPException(status_code=403, detail="this principal may not read that tenant's documents")
    campus_ids = None if staff else principal.campus_ids
    with engine.connect() as conn:
        return list_invoice_summaries(conn, tenant_id, None, limit, campus_ids)


@router.get("/invoices")
def list_invoices(engine: EngineDep, principal: StaffReaderDep, cycle_id: str | None = None,
                  limit: int = Query(default=100, ge=1, le=INVOICES_PER_PAGE_MAX)) -> list[InvoiceSummary]:
    with engine.connect() as conn:
        return list_invoice_summaries(conn, None, cycle_id, limit)


# Declared before `/invoices/{invoice_id}`, whose parameter would otherwise swallow the `.pdf` suffix.
@router.get("/invoices/{invoice_id}.pdf", response_class=FileResponse)
def read_invoice_pdf(invoice_id: str, engine: EngineDep, principal: ReaderDep) -> Response:
    _check_invoice_access(engine, principal, invoice_id)
    with engine.connect() as conn:
        path = invoice_pdf_path(conn, invoice_id)
    return _pdf_response(path, f"{invoice_id}.pdf")


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetailPublic)
def read_invoice(invoice_id: str, engine: EngineDep, principal: ReaderDep) -> dict[str, Any]:
    _check_invoice_access(engine, principal, invoice_id)
    with engine.connect() as conn:
        return invoice_detail(conn, invoice_id)


@router.post("/invoices/{invoice_id}/credit-notes", status_code=201, response_model=CreditNotePublic)
def create_credit_note(invoice_id: str, body: CreditNoteCreate, engine: EngineDep, settings: SettingsDep,
                       principal: FinanceDep) -> dict[str, Any]:
    with engine.begin() as conn:
        note = credit_invoice_posted(conn, settings.ledger_origin, invoice_id, body.amount_usd_cents, body.reason,
                                     body.idempotency_key, settings.signing_key_path,
                                     documents_root_for(settings.data_root_uri))
    publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                     settings.ledger_witnesses)
    return dataclasses.asdict(note)


@router.post("/invoices/{invoice_id}/cancel-and-rebill", status_code=201, response_model=RebillPublic)
def create_rebill(invoice_id: str, body: RebillCreate, engine: EngineDep, settings: SettingsDep,
                  principal: FinanceDep) -> dict[str, Any]:
    with engine.begin() as conn:
        rebill = cancel_and_rebill_posted(conn, settings.ledger_origin, invoice_id, body.reason,
                                          settings.signing_key_path, documents_root_for(settings.data_root_uri))
    publish_checkpoints_after_commit(engine, settings.ledger_origin, settings.checkpoint_publish_dir,
                                     settings.ledger_witnesses)
    return dataclasses.asdict(rebill)
