"""The fake ISO's anonymous-ish price feeds: PJM Data Miner 2 (key, paging, versions, 429), ERCOT MIS
(document list, ZIP downloads, `_retry_` re-posts) and CAISO OASIS (ZIP answers, ERR_CODE payloads, 429 with
an HTML body when called faster than once per `oasis_min_interval_s`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from devtools.fake_iso.state import FakeIsoState
from market_adapters.caiso import error_payload_xml, format_price_csv, zip_members
from market_adapters.ercot import document_file_name, format_np6_905_csv, zip_csv
from market_adapters.prices import PriceRow

EASTERN = ZoneInfo("America/New_York")
PJM_FEEDS = {"da_hrl_lmps": ("DA", "_da"), "rt_hrl_lmps": ("RT", "_rt"), "rt_fivemin_hrl_lmps": ("RT5", "_rt")}
OASIS_DAYS_MAX = 31
OASIS_MARKETS = {"DAM": "DA", "RTM": "RT5", "RTPD": "RT15", "HASP": "HASP"}


def price_feeds_router(state: FakeIsoState) -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/{feed}")
    async def data_miner(feed: str, request: Request) -> JSONResponse:
        if request.headers.get("ocp-apim-subscription-key") not in state.pjm_subscription_keys:
            return JSONResponse({"statusCode": 401, "message": "missing subscription key"}, status_code=401)
        fault = state.take_fault()
        if fault is not None:
            return JSONResponse({"statusCode": fault}, status_code=fault, headers={"Retry-After": "1"})
        if feed not in PJM_FEEDS:
            return JSONResponse({"message": "unknown feed"}, status_code=404)
        return _data_miner_page(state, feed, request)

    @router.get("/misapp/servlets/IceDocListJsonWS")
    async def ercot_list(reportTypeId: int) -> JSONResponse:
        with state.lock:
            documents = [{"Document": {key: value for key, value in doc.items() if key != "blob"}}
                         for doc in state.ercot_documents if doc["ReportTypeID"] == reportTypeId]
        return JSONResponse({"ListDocsByRptTypeRes": {"DocumentList": documents}})

    @router.get("/misdownload/servlets/mirDownload")
    async def ercot_download(doclookupId: int) -> Response:
        with state.lock:
            blob = next((doc["blob"] for doc in state.ercot_documents if doc["DocID"] == doclookupId), None)
        if blob is None:
            return Response(status_code=404)
        return Response(blob, media_type="application/zip")

    @router.get("/oasisapi/SingleZip")
    async def oasis(request: Request) -> Response:
        now_s = time.monotonic()
        with state.lock:
            last_s, state.oasis_last_request_monotonic_s = state.oasis_last_request_monotonic_s, now_s
        if last_s is not None and now_s - last_s < state.oasis_min_interval_s:
            return HTMLResponse("<html><body><h1>429 Too Many Requests</h1></body></html>", status_code=429)
        return _oasis_answer(state, request)

    return router


def _data_miner_page(state: FakeIsoState, feed: str, request: Request) -> JSONResponse:
    market, suffix = PJM_FEEDS[feed]
    query = request.query_params
    first_text, _, last_text = query.get("datetime_beginning_ept", "").partition("to")
    try:
        first, last = (datetime.strptime(text, "%m/%d/%Y %H:%M") for text in (first_text, last_text))
        start_row, row_count = int(query.get("startRow", "1")), int(query.get("rowCount", "100"))
    except ValueError:
        return JSONResponse({"message": "bad datetime_beginning_ept, startRow or rowCount"}, status_code=400)
    row_count = min(row_count, state.pjm_page_rows_max)
    with state.lock:
        rows = [row for row in state.prices if row.iso == "PJM" and row.market == market
                and first <= row.interval_start_utc.astimezone(EASTERN).replace(tzinfo=None) <= last]
    rows.sort(key=lambda row: (row.interval_start_utc, row.node, row.version))
    newest = {}
    for row in rows:
        newest[(row.node, row.interval_start_utc)] = row.version
    page = rows[start_row - 1:start_row - 1 + row_count]
    items = [_pjm_item(row, suffix, newest[(row.node, row.interval_start_utc)] == row.version) for row in page]
    links = []
    if start_row - 1 + row_count < len(rows):
        following = dict(query) | {"startRow": str(start_row + row_count), "rowCount": str(row_count)}
        links.append({"rel": "next", "href": f"/api/v1/{feed}?{urlencode(following)}"})
    return JSONResponse({"items": items, "totalRows": len(rows), "links": links})


def _pjm_item(row: PriceRow, suffix: str, current: bool) -> dict[str, Any]:
    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {"datetime_beginning_utc": row.interval_start_utc.replace(tzinfo=None).isoformat(),
            "datetime_beginning_ept": row.interval_start_utc.astimezone(EASTERN).replace(tzinfo=None).isoformat(),
            "pnode_id": int(row.node), "pnode_name": f"PNODE {row.node}", "type": "HUB",
            f"system_energy_price{suffix}": number(row.energy_usd_per_mwh), f"total_lmp{suffix}": number(row.lmp_usd_per_mwh),
            f"congestion_price{suffix}": number(row.congestion_usd_per_mwh),
            f"marginal_loss_price{suffix}": number(row.loss_usd_per_mwh),
            "row_is_current": current, "version_nbr": row.version}


def _oasis_answer(state: FakeIsoState, request: Request) -> Response:
    query = request.query_params
    try:
        start = datetime.strptime(query["startdatetime"], "%Y%m%dT%H:%M%z").astimezone(UTC)
        end = datetime.strptime(query["enddatetime"], "%Y%m%dT%H:%M%z").astimezone(UTC)
        market = OASIS_MARKETS[query["market_run_id"]]
        assert query["queryname"] == "PRC_LMP" and query.get("resultformat") == "6"
    except (KeyError, ValueError, AssertionError):
        return _oasis_error(1001, "Invalid Parameters of the given report name")
    if end - start > timedelta(days=OASIS_DAYS_MAX):
        return _oasis_error(1004, "Date range exceeds 31 days")
    with state.lock:
        rows = [row for row in state.prices if row.iso == "CAISO" and row.market == market
                and start <= row.interval_start_utc < end and row.node == query.get("node", row.node)]
    if not rows:
        return _oasis_error(1000, "No data returned for the specified selection")
    name = f"{start:%Y%m%d}_{end:%Y%m%d}_PRC_LMP_{query['market_run_id']}_v1.csv"
    return Response(zip_members({name: format_price_csv(rows).encode()}), media_type="application/zip")


def _oasis_error(code: int, description: str) -> Response:
    return Response(zip_members({"INVALID_REQUEST.xml": error_payload_xml(code, description)}),
                    media_type="application/zip")


def publish_ercot_rt_document(state: FakeIsoState, rows: list[PriceRow], publish_time_utc: datetime,
                              name: str, *, retry: bool) -> None:
    """Add one NP6-905-CD document (a ZIP holding one CSV) to the fake MIS listing, followed, as in the real
    listing, by its XML twin (a ZIP the readers never download)."""
    file_name = document_file_name(12301, publish_time_utc, name, retry=retry)
    twin_name = document_file_name(12301, publish_time_utc, name, retry=retry, document_format="xml")
    blob = zip_csv(file_name, format_np6_905_csv(rows, "HU"))
    with state.lock:
        for constructed, data in ((file_name, blob), (twin_name, zip_members({"report.xml": b"<ERCOT/>"}))):
            state.ercot_documents.append({"DocID": 900_000 + len(state.ercot_documents), "ReportTypeID": 12301,
                                          "ConstructedName": constructed, "FriendlyName": name,
                                          "PublishDate": publish_time_utc.isoformat(), "blob": data})
