"""The tenant portal's emissions page (`/tenant/emissions/{cycle_id}`): the tenant's emissions statement of a
billing cycle inside the portal, from the moment the cycle's settlement is recorded (the settled result until a
restatement, then the latest version): both Scope 2 methods, the market-based method of its grid supply by MWh and
hours, Scope 3 category 3 in its parts. Thin over `esg.reporting.statement_for_cycle`; the cycle must be one of the
tenant's bound campuses (404 otherwise), like the usage page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.deps import EngineDep
from api.web.routes import render
from api.web.tenant import TenantDep
from common.errors import NotFound
from esg.reporting import render_statement_html, statement_for_cycle
from invoicing.portal import tenant_cycle

router = APIRouter(prefix="/tenant", tags=["tenant portal"], include_in_schema=False)


@router.get("/emissions/{cycle_id}", response_class=HTMLResponse)
def emissions_page(cycle_id: str, request: Request, engine: EngineDep, principal: TenantDep) -> HTMLResponse:
    tenant_id = principal.tenant_id or ""
    with engine.connect() as conn:
        cycle = tenant_cycle(conn, cycle_id, tenant_id, principal.campus_ids)
        try:
            statement = statement_for_cycle(conn, cycle.cycle_id, tenant_id)
        except NotFound:
            statement = None  # the cycle has not settled yet: nothing to show, and the page says so
    # The statement fragment is rendered by its own autoescaping template, so it is markup already.
    fragment = Markup(render_statement_html(statement)) if statement is not None else None
    return render("tenant_emissions.html", request, principal=principal, tenant_id=tenant_id, cycle=cycle,
                  statement=statement, statement_html=fragment)
