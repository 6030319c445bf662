"""The operator page of a campus's live meter channels, `/finance/campuses/{campus_id}/live`: the same view as
`GET /campuses/{id}/live` (connectors.live), refreshed by the browser every `REFRESH_SECONDS`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.deps import EngineDep
from api.web.routes import PagePrincipalDep, render
from connectors.live import campus_live

router = APIRouter(prefix="/finance", tags=["finance pages"], include_in_schema=False)
REFRESH_SECONDS = 10


@router.get("/campuses/{campus_id}/live", response_class=HTMLResponse)
async def live_page(campus_id: str, request: Request, engine: EngineDep, principal: PagePrincipalDep) -> HTMLResponse:
    view = await run_in_threadpool(campus_live, engine, campus_id, datetime.now(UTC))
    return render("live.html", request, principal=principal, view=view, refresh_seconds=REFRESH_SECONDS)
