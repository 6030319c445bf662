"""Finance pages: cycles awaiting approval, one cycle's decision page, invoices.

Server-rendered with Jinja (autoescaped, `api.web.routes.templates`). The approve and reject forms post JSON to the
same cycle endpoints the API offers (`POST /cycles/{id}/approve|reject`, which run the workflow's Update), from a
small script that adds the `X-WattLedger-Page` header the cookie login requires for unsafe methods.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from temporalio.service import RPCError

from api.deps import EngineDep
from api.web import repository
from api.web.charts import BALANCE_KEYS, energy_balance_svg
from api.web.routes import PagePrincipalDep, render, templates
from billing import repository as cycles_repository
from billing import review, review_repository
from billing.cycle_states import CycleState
from billing.findings import ReviewLimits, change_permille, effective_rate_usd_per_mwh
from invoicing import list_invoice_summaries, render_draft_pdf
from workflows.billing_cycle import BillingCycleWorkflow

router = APIRouter(prefix="/finance", tags=["finance pages"], include_in_schema=False)

CYCLES_SHOWN_MAX = 200
INVOICES_SHOWN_MAX = 200

templates.globals["change_permille"] = change_permille
templates.globals["effective_rate"] = effective_rate_usd_per_mwh
# Peak demand recorded in W, shown in kW to the watt ("1,234.567"); "–" for a month settled before it was recorded.
templates.filters["kw"] = lambda demand_w: "–" if demand_w is None else f"{Decimal(demand_w) / 1000:,.3f}"
# An ISO timestamp as the page prints times before the script shows them in local time ("2026-01-02 18:00 UTC").
templates.filters["utc_text"] = lambda iso_text: datetime.fromisoformat(iso_text).astimezone(UTC).strftime(
    "%Y-%m-%d %H:%M UTC")
# A change in per-mille as a signed percentage with one decimal ("+12.5 %").
templates.filters["permille_pct"] = lambda permille: f"{permille / 10:+.1f} %"


CYCLE_STATES = tuple(state.value for state in CycleState if state is not CycleState.STARTED)
PAGE_SIZE = 25
AWAITING_SHOWN_MAX = 100


@router.get("/", response_class=HTMLResponse)
def cycles_page(request: Request, engine: EngineDep, principal: PagePrincipalDep,
                q: Annotated[str, Query(max_length=100)] = "",
                status: Annotated[str, Query(max_length=64, pattern=r"^[a-z_]*$")] = "",
                campus: Annotated[str, Query(max_length=200)] = "",
                period: Annotated[str, Query(pattern=r"^([0-9]{4}-[0-9]{2})?$")] = "",
                sort: Annotated[Literal["updated", "period", "campus", "amount", "status"], Query()] = "updated",
                page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    """Awaiting cycles with their totals, then every cycle: search, filters, sort and pages (`?q=&status=...`)."""
    query = repository.CycleFilter(q.strip(), status, campus, period, sort, page, PAGE_SIZE)
    with engine.connect() as conn:
        awaiting, _ = repository.find_cycles(conn, repository.CycleFilter(
            status="awaiting_approval", sort="updated", page_size=AWAITING_SHOWN_MAX))
        cycles, matching = repository.find_cycles(conn, query)
        campuses = repository.campus_names(conn)
    pages = max(1, -(-matching // PAGE_SIZE))
    return render("cycles.html", request, principal=principal, awaiting=awaiting, cycles=cycles, matching=matching,
                  query=query, pages=pages, campuses=campuses, states=CYCLE_STATES,
                  page_url=lambda number: "/finance/?" + urlencode(
                      {"q": query.search, "status": status, "campus": campus, "period": period, "sort": sort,
                       "page": number}))


@router.get("/cycles/{cycle_id}", response_class=HTMLResponse)
async def cycle_page(cycle_id: str, request: Request, engine: EngineDep, principal: PagePrincipalDep) -> HTMLResponse:
    limits = review.review_limits(request.app.state.settings)
    view = await run_in_threadpool(_cycle_view, engine, cycle_id, limits)
    approvals = await _live_approvals(request, cycle_id)
    settle = view["cycle"]["steps"].get("settle") or {}
    balance = settle.get("energy_balance_wh") or settle.get("energy_balance")
    chart = None
    if isinstance(balance, dict) and all(isinstance(balance.get(key), int) for key in BALANCE_KEYS):
        chart = Markup(energy_balance_svg(balance))
    total_usd_micros = sum(total.amount_usd_micros for total in view["totals"])
    threshold_usd_micros = request.app.state.settings.four_eyes_threshold_usd_micros
    return render("cycle.html", request, principal=principal, chart=chart, total_usd_micros=total_usd_micros,
                  settlement_sha256_hex=settle.get("settlement_sha256_hex"), approvals=approvals,
                  four_eyes=0 < threshold_usd_micros < total_usd_micros, limits=limits,
                  tenant_names={tenant.tenant_id: tenant.name for tenant in view["review"].tenants},
                  can_decide="finance" in principal.roles and view["cycle"]["status"] == "awaiting_approval"
                  and principal.subject not in (approvals or []), **view)


@router.get("/cycles/{cycle_id}/state.json")
def cycle_state(cycle_id: str, engine: EngineDep, principal: PagePrincipalDep) -> dict[str, Any]:
    """What the decision page polls while a cycle moves: its status and how many decisions and invoices exist."""
    with engine.connect() as conn:
        return page_state(conn, cycle_id)


def page_state(conn: Any, cycle_id: str) -> dict[str, Any]:
    cycle = cycles_repository.load_cycle(conn, cycle_id)
    return {"cycle_id": cycle_id, "status": cycle["status"], "status_detail": cycle["status_detail"],
            "steps": sorted(cycle["steps"]), "decision_count": len(review_repository.list_decisions(conn, cycle_id)),
            "invoice_count": len(list_invoice_summaries(conn, None, cycle_id, INVOICES_SHOWN_MAX))}


def _cycle_view(engine: Any, cycle_id: str, limits: ReviewLimits) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            "cycle": cycles_repository.load_cycle(conn, cycle_id),
            "lines": repository.settlement_lines(conn, cycle_id),
            "totals": repository.tenant_totals(conn, cycle_id),
            "invoices": list_invoice_summaries(conn, None, cycle_id, INVOICES_SHOWN_MAX),
            "review": review.load_review(conn, cycle_id, limits),
        }


async def _live_approvals(request: Request, cycle_id: str) -> list[str] | None:
    """Who has approved so far (four eyes needs two), from the running workflow; None when it cannot say."""
    client = request.app.state.temporal_client
    if client is None:
        return None
    try:
        status = await client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id).query(
            BillingCycleWorkflow.status)
    except RPCError:
        return None  # closed or unknown workflow: the page shows the stored status only
    return list(status.approvals) if status is not None else None


@router.get("/cycles/{cycle_id}/drafts/{tenant_id}.pdf")
def draft_invoice_pdf(cycle_id: str, tenant_id: str, engine: EngineDep, principal: PagePrincipalDep) -> Response:
    """The unnumbered draft of a tenant's invoice, for review before approval."""
    with engine.connect() as conn:
        pdf = render_draft_pdf(conn, cycle_id, tenant_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="draft-{tenant_id}.pdf"'})


@router.get("/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, engine: EngineDep, principal: PagePrincipalDep) -> HTMLResponse:
    with engine.connect() as conn:
        invoices = list_invoice_summaries(conn, None, None, INVOICES_SHOWN_MAX)
    return render("invoices.html", request, principal=principal, invoices=invoices)
