"""The fake ISO's statement and NYISO MIS price endpoints.

`GET /finance/settlements/v1/statements?operatingDay=YYYY-MM-DD` (basic auth): every run for that day in
wattledger statement format v1. `GET /public/csv/damlbmp/<YYYYMMDD>damlbmp_zone.csv` (anonymous): the
fake's hourly prices as a NYISO MIS CSV, corrected prices replacing the first ones, as NYISO re-posts files.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from devtools.fake_iso.access import refusal_for
from devtools.fake_iso.nyiso_rules import EASTERN
from devtools.fake_iso.state import FakeIsoState
from devtools.fake_iso.statements import statement_runs
from market_adapters.nyiso import format_lbmp_csv


def settlement_router(state: FakeIsoState) -> APIRouter:
    router = APIRouter()

    @router.get("/finance/settlements/v1/statements")
    async def statements(request: Request, operatingDay: str) -> JSONResponse:
        refusal = refusal_for(state, request)
        if refusal is not None:
            return refusal
        try:
            day = date.fromisoformat(operatingDay)
        except ValueError:
            return JSONResponse({"status": 400, "detail": "operatingDay must be YYYY-MM-DD"}, status_code=400)
        return JSONResponse({"statements": statement_runs(state, day)})

    @router.get("/public/csv/damlbmp/{file_name}")
    async def damlbmp(file_name: str) -> PlainTextResponse:
        if not file_name.endswith("damlbmp_zone.csv") or len(file_name) != 24:
            return PlainTextResponse("not found", status_code=404)
        day = datetime.strptime(file_name[:8], "%Y%m%d").date()
        start_utc = datetime.combine(day, datetime.min.time(), EASTERN).astimezone(UTC)
        end_utc = datetime.combine(day + timedelta(days=1), datetime.min.time(), EASTERN).astimezone(UTC)
        with state.lock:
            rows = [row for row in state.prices if start_utc <= row.interval_start_utc < end_utc
                    and row.interval_minutes == 60]
        latest = {}
        for row in sorted(rows, key=lambda r: r.version):
            latest[(row.node, row.interval_start_utc)] = row
        ptids = {node: ptid for ptid, node in state.ptid_nodes.items()}
        return PlainTextResponse(format_lbmp_csv(latest.values(), ptids, stamp_is_end=False), media_type="text/csv")

    return router
