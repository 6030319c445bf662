"""The tenant portal (`/tenant/...`): a signed-in tenant sees its own invoices (PDF download), credit notes,
usage (daily and interval charts; CSV and Parquet downloads), emissions statements and ledger statement, on every
campus its principal is bound to (`Principal.campus_ids`) and nowhere else.

Thin over `invoicing.portal` and the ledger's statement: parse, call one service function, render. Another
tenant's cycle, or a cycle of a campus the principal is not bound to, does not exist here (404). Invoice and
credit-note PDFs are the API's own routes (`/invoices/{id}.pdf`, `/credit-notes/{id}.pdf`), which check the same
binding. Anonymous visitors are sent to the sign-in page; staff use the finance pages instead (403 here).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import EngineDep, SettingsDep
from api.principal import Principal
from api.web.routes import render, signed_in
from api.web.usage_charts import kwh_text, usage_chart_svg
from invoicing import campuses_billing_tenant
from invoicing.portal import tenant_cycle, tenant_documents, tenant_interval_usage
from ledger.balances import tenant_statement

router = APIRouter(prefix="/tenant", tags=["tenant portal"], include_in_schema=False)

# The ledger statement page covers this many days back from now.
STATEMENT_DAYS = 400


def tenant_page_principal(request: Request) -> Principal:
    """The signed-in tenant; anonymous visitors go to the sign-in page, other roles are refused."""
    principal = signed_in(request)
    principal.require("tenant")
    if principal.tenant_id is None:
        raise HTTPException(status_code=403, detail="this principal is not bound to a tenant")
    return principal


TenantDep = Annotated[Principal, Depends(tenant_page_principal)]


def _tenant_id(principal: Principal) -> str:
    assert principal.tenant_id is not None  # tenant_page_principal guarantees it
    return principal.tenant_id


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, engine: EngineDep, principal: TenantDep) -> HTMLResponse:
    tenant_id = _tenant_id(principal)
    with engine.connect() as conn:
        documents = tenant_documents(conn, tenant_id, principal.campus_ids)
    return render("tenant_overview.html", request, principal=principal, tenant_id=tenant_id, documents=documents,
                  campus_ids=sorted(principal.campus_ids))


@router.get("/usage/{cycle_id}", response_class=HTMLResponse)
def usage_page(cycle_id: str, request: Request, engine: EngineDep, principal: TenantDep) -> HTMLResponse:
    tenant_id = _tenant_id(principal)
    with engine.connect() as conn:
        usage = tenant_interval_usage(conn, tenant_cycle(conn, cycle_id, tenant_id, principal.campus_ids), tenant_id)
    zone = usage.cycle.time_zone
    daily = usage.daily_energy_wh()
    intervals = list(zip(usage.table.column("interval_start_local").to_pylist(),
                         usage.table.column("energy_wh").to_pylist(), strict=True))
    daily_svg = usage_chart_svg([(day[5:], wh) for day, wh in daily], f"Daily energy, {usage.cycle.period}",
                                f"Local day ({zone})", bars=True)
    interval_svg = usage_chart_svg([(local[5:16].replace("T", " "), wh) for local, wh in intervals],
                                   f"Energy per interval, {usage.cycle.period}", f"Local time ({zone})", bars=False)
    return render("tenant_usage.html", request, principal=principal, tenant_id=tenant_id, cycle=usage.cycle,
                  daily=daily, daily_svg=daily_svg, interval_svg=interval_svg, interval_count=len(intervals),
                  total_kwh=kwh_text(sum(wh for _, wh in daily)), kwh=kwh_text)


@router.get("/usage/{cycle_id}/intervals.{extension}")
def usage_download(cycle_id: str, extension: str, engine: EngineDep, principal: TenantDep) -> Response:
    """The tenant's interval energy as CSV or Parquet (columns interval_start_utc, interval_start_local, energy_wh)."""
    if extension not in ("csv", "parquet"):
        raise HTTPException(status_code=404, detail="downloads are .csv or .parquet")
    tenant_id = _tenant_id(principal)
    with engine.connect() as conn:
        usage = tenant_interval_usage(conn, tenant_cycle(conn, cycle_id, tenant_id, principal.campus_ids), tenant_id)
    name = f"{tenant_id}-{usage.cycle.campus_id}-{usage.cycle.period}-intervals.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if extension == "csv":
        return Response(usage.csv_bytes(), media_type="text/csv", headers=headers)
    return Response(usage.parquet_bytes(), media_type="application/vnd.apache.parquet", headers=headers)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, engine: EngineDep, settings: SettingsDep, principal: TenantDep) -> HTMLResponse:
    """The tenant's posted ledger movements over the last STATEMENT_DAYS days. The ledger's tenant accounts span
    every campus with this tenant id, so the page shows them only to a tenant bound to all of those campuses."""
    tenant_id = _tenant_id(principal)
    to_utc = datetime.now(UTC)
    from_utc = to_utc - timedelta(days=STATEMENT_DAYS)
    with engine.connect() as conn:
        campus_ids = campuses_billing_tenant(conn, tenant_id)
        complete = bool(principal.campus_ids) and campus_ids <= principal.campus_ids
        statement = tenant_statement(conn, settings.ledger_origin, tenant_id, from_utc, to_utc) if complete else None
    return render("tenant_ledger.html", request, principal=principal, tenant_id=tenant_id, statement=statement,
                  from_utc=from_utc, to_utc=to_utc)
