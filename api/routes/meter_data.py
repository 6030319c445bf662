"""HTTP routes for meter data: streamed upload, file status, quarantine, pending corrections, manual edits,
VEE reports and plots.

Thin over `meterdata.service`; the upload body is streamed to the raw store chunk by chunk, never held
whole in memory.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import EngineDep, PrincipalDep, SettingsDep
from api.schemas import (
    EditCreatedPublic,
    ManualEditPublic,
    PendingCorrectionPublic,
    QuarantinedFilePublic,
    ReceivedFilePublic,
    VeeRunPublic,
)
from api.upload_slots import upload_slots
from common.errors import BadInput
from meterdata import RawFileWriter, StoredBytes, UploadLimits, UploadTooLarge, service
from settings import Settings

router = APIRouter(prefix="/meter-data", tags=["meter-data"])

FILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$"
CAMPUS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
LAYOUT_HELP = ("CSV layout of the file: SITE_EXPORT_V1 or a `[[csv_layouts]]` name of the campus file; default: the "
               "campus file's `campus.csv_layout`, else SITE_EXPORT_V1. An unknown name is refused (422) before "
               "anything is stored.")


class EditCreate(BaseModel):
    campus_id: str = Field(pattern=CAMPUS_PATTERN)
    meter_id: str = Field(min_length=1, max_length=63)
    channel: str = Field(default="main", min_length=1, max_length=63)
    interval_start_utc: datetime
    energy_wh: int = Field(ge=-(10**15), le=10**15)
    reason: str = Field(min_length=3, max_length=2000)


@router.post("", status_code=201, response_model=ReceivedFilePublic,
             responses={200: {"model": ReceivedFilePublic, "description": "the same bytes were accepted before"}})
async def upload_meter_file(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    campus_id: Annotated[str, Query(pattern=CAMPUS_PATTERN)], name: Annotated[str, Query(pattern=FILE_NAME_PATTERN)],
    layout: Annotated[str | None, Query(max_length=63, description=LAYOUT_HELP)] = None,
    mapping: Annotated[str | None, Query(max_length=63, deprecated=True, description="Former name of `layout`.")] = None,
) -> JSONResponse:
    """Body = the file's bytes. 201 accepted, 200 the same bytes were accepted before, 422 quarantined (also
    when the same bytes were refused before and still are), empty or of an unknown layout (nothing stored), 409
    the same bytes are another campus's, 413 beyond a size limit (nothing stored), 429 too many uploads of this
    principal at once."""
    principal.require("ingest", "operator")
    layout_name = _layout_name(layout, mapping)
    limits = UploadLimits.of(settings)
    _refuse_declared_size(request, name, min(limits.bytes_max(name), settings.upload_request_bytes_max))
    async with upload_slots(request, settings).hold(principal.subject):
        meters = await run_in_threadpool(service.campus_meters, engine, campus_id)
        csv_mapping = await run_in_threadpool(service.csv_layout, engine, campus_id, layout_name)
        stored = await _store_body(request, settings, name, limits)
        outcome = await run_in_threadpool(service.record_received, engine, campus_id, name, stored, meters,
                                          csv_mapping)
    status = {"accepted": 201, "duplicate": 200, "quarantined": 422}[outcome.status]
    if outcome.status == "duplicate" and outcome.error is not None:
        status = 409  # the same bytes belong to another campus's store: not received here, not a success
    return JSONResponse(status_code=status, content=jsonable_encoder(dataclasses.asdict(outcome)))


def _layout_name(layout: str | None, mapping: str | None) -> str | None:
    """`layout`, or the older `mapping` (both given must agree); None: the campus's default layout."""
    if layout is not None and mapping is not None and layout != mapping:
        raise BadInput("query", None, "layout", f"layout {layout!r} and mapping {mapping!r} differ: give layout only")
    return layout or mapping


def _refuse_declared_size(request: Request, name: str, bytes_max: int) -> None:
    """A body whose declared length is beyond the limit is refused before a byte of it is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > bytes_max:
        raise UploadTooLarge(name, None, None, f"body of {declared} bytes exceeds the limit of {bytes_max} bytes "
                                               "for this format and request: nothing stored")




async def _store_body(request: Request, settings: Settings, name: str, limits: UploadLimits) -> StoredBytes:
    """Stream the body to the raw store chunk by chunk; the writer refuses a file, line or request beyond its
    limit as the bytes arrive and then keeps nothing of it."""
    writer = RawFileWriter(settings.data_root_uri, name, limits)
    request_bytes = 0
    try:
        async for chunk in request.stream():
            request_bytes += len(chunk)
            if request_bytes > settings.upload_request_bytes_max:
                raise UploadTooLarge(name, None, None, f"request body exceeds {settings.upload_request_bytes_max} "
                                                       "bytes: nothing stored")
            writer.write(chunk)
        if writer.size_bytes == 0:
            # Every empty body has the same sha256: stored, it would be "a duplicate" of any campus's empty file.
            raise BadInput(name, 1, None, "empty file: no header line, no reading; nothing stored")
    except BaseException:
        writer.abort()
        raise
    return writer.finish()


@router.get("/files/{sha256_hex}", response_model=ReceivedFilePublic)
def read_file_status(sha256_hex: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("operator", "auditor", "ingest")
    return service.file_status(engine, sha256_hex)


@router.get("/quarantine", response_model=list[QuarantinedFilePublic])
def list_quarantine(engine: EngineDep, principal: PrincipalDep, campus_id: Annotated[str, Query(pattern=CAMPUS_PATTERN)],
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    principal.require("operator", "auditor", "ingest")
    return service.quarantined_files(engine, campus_id, limit)


@router.get("/pending-corrections", response_model=list[PendingCorrectionPublic])
def list_pending_corrections(
    engine: EngineDep, principal: PrincipalDep, campus_id: Annotated[str, Query(pattern=CAMPUS_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Files accepted for a period whose billing cycle completed without them, oldest period first."""
    principal.require("operator", "finance", "auditor")
    return [dataclasses.asdict(row) for row in service.pending_corrections(engine, campus_id, limit)]


@router.post("/edits", status_code=201, response_model=EditCreatedPublic)
def create_edit(body: EditCreate, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """A manual edit of one interval; the editor is the authenticated user, the reason is required."""
    principal.require("operator")
    edit_id = service.record_edit(engine, body.campus_id, body.meter_id, body.channel, body.interval_start_utc,
                                  body.energy_wh, principal.subject, body.reason)
    return {"edit_id": edit_id, "edited_by": principal.subject}


@router.get("/edits", response_model=list[ManualEditPublic])
def list_edits(engine: EngineDep, principal: PrincipalDep, campus_id: Annotated[str, Query(pattern=CAMPUS_PATTERN)],
               start_utc: datetime, end_utc: datetime) -> list[dict[str, Any]]:
    principal.require("operator", "auditor")
    return [edit.__dict__ for edit in service.edits_for_period(engine, campus_id, start_utc, end_utc)]


@router.get("/vee-runs/{vee_run_id}", response_model=VeeRunPublic)
def read_vee_run(vee_run_id: int, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("operator", "auditor", "finance")
    return service.vee_run(engine, vee_run_id)


@router.get("/vee-runs/{vee_run_id}/quality/{meter_id}.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}},
                             "description": "the plot as SVG"}})
def read_quality_plot(vee_run_id: int, meter_id: str, engine: EngineDep, principal: PrincipalDep) -> Response:
    """The data-quality plot of one meter for one VEE run (SVG, opens in any browser)."""
    principal.require("operator", "auditor", "finance")
    return Response(content=service.quality_plot(engine, vee_run_id, meter_id), media_type="image/svg+xml")
