"""The staff page of a cycle's shadow market participation, and the same report as PDF (one model:
`participation.report`). Figures only: nothing here changes a bill."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.deps import EngineDep
from api.web.routes import PagePrincipalDep, render
from billing.shadow_step import shadow_report_of
from participation.report import shadow_report_pdf

router = APIRouter(prefix="/finance", tags=["finance pages"], include_in_schema=False)


@router.get("/cycles/{cycle_id}/shadow", response_class=HTMLResponse)
async def shadow_page(cycle_id: str, request: Request, engine: EngineDep, principal: PagePrincipalDep) -> HTMLResponse:
    report = await run_in_threadpool(shadow_report_of, engine, cycle_id)
    return render("shadow.html", request, principal=principal, cycle_id=cycle_id, r=report)


@router.get("/cycles/{cycle_id}/shadow.pdf")
async def shadow_pdf(cycle_id: str, engine: EngineDep, principal: PagePrincipalDep) -> Response:
    report = await run_in_threadpool(shadow_report_of, engine, cycle_id)
    return Response(shadow_report_pdf(report), media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="shadow-participation.pdf"'})
