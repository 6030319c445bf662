"""Campuses over HTTP: apply a campus file (TOML or the same document as JSON), read what is applied.

Thin over `campus.service`. `PUT /campuses/{id}` takes the campus file as the body (`Content-Type:
application/toml`, or `application/json` for the same document); URDB rates go inline as `terms.urdb` (the server
cannot read files named on the caller's disk). `?dry_run=true` returns the plan and stores nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from sqlalchemy import Connection

from api.auth import require_roles
from api.deps import EngineDep
from api.principal import Principal
from api.schemas import (
    CampusAppliedPublic,
    CampusDocumentPublic,
    CampusRowPublic,
    CampusVersionPublic,
    MeterPublic,
    TenantPublic,
)
from campus import CampusFileInvalid, CampusNotFound, Problem, campus_exists, load_meters, load_tenants
from campus.file import FILE_BYTES_MAX, CampusDocument, campus_document, parse_campus_text
from campus.service import apply, export_toml, history, list_campuses, plan, show
from common.bounds import INT32_MAX
from common.errors import BadInput
from market_adapters.nodes import check_settlement_node

router = APIRouter(tags=["campuses"])

StaffDep = Annotated[Principal, Depends(require_roles("operator", "finance", "auditor"))]
OperatorDep = Annotated[Principal, Depends(require_roles("operator"))]
CAMPUS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
VersionQuery = Annotated[int | None, Query(ge=1, le=INT32_MAX, description="an applied version (1, 2, ...)")]


async def _body(request: Request, source: str) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > FILE_BYTES_MAX:
            raise CampusFileInvalid(source, [Problem(None, None, f"larger than {FILE_BYTES_MAX} bytes")])
    return bytes(data)


def _document(source: str, data: bytes, content_type: str) -> CampusDocument:
    if "json" not in content_type:
        return parse_campus_text(source, data, read_urdb=None)
    try:
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadInput(source, getattr(error, "lineno", None), None, f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise BadInput(source, None, None, "expected a JSON object (the campus document)")
    return campus_document(source, raw, "", read_urdb=None)


@router.put("/campuses/{campus_id}", response_model=CampusAppliedPublic)
async def put_campus(campus_id: Annotated[str, Path(pattern=CAMPUS_PATTERN)], request: Request,
                     engine: EngineDep, principal: OperatorDep, dry_run: bool = False) -> dict[str, Any]:
    """Apply a campus file: a new version when it changes anything, atomically; the same file again is a no-op."""
    source = f"PUT /campuses/{campus_id}"
    document = _document(source, await _body(request, source), request.headers.get("content-type", ""))
    if document.campus_id != campus_id:
        raise BadInput(source, None, "campus.id", f"{document.campus_id!r} is not the campus in the URL")

    def check_node() -> list[str]:  # the settlement point against the ISO's node registry (422 when refused)
        with engine.connect() as conn:
            return check_settlement_node(conn, document.document, source, document.settlement_point_line)

    warnings = await run_in_threadpool(check_node)
    if dry_run:
        def preview() -> list[str]:
            with engine.connect() as conn:
                return [str(change) for change in plan(conn, document)]
        return {"campus_id": campus_id, "dry_run": True, "changes": await run_in_threadpool(preview),
                "warnings": warnings}
    result = await run_in_threadpool(apply, engine, document, principal.subject)
    return {**asdict(result), "warnings": warnings}


@router.get("/campuses", response_model=list[CampusRowPublic])
def get_campuses(engine: EngineDep, principal: StaffDep) -> list[dict[str, Any]]:
    """Every registered campus with its latest applied version."""
    with engine.connect() as conn:
        return list_campuses(conn)


@router.get("/campuses/{campus_id}", response_model=CampusDocumentPublic)
def get_campus(campus_id: str, engine: EngineDep, principal: StaffDep,
               version: VersionQuery = None) -> dict[str, Any]:
    """The applied campus document (latest, or `version`) with its version, sha256 and who applied it."""
    with engine.connect() as conn:
        return show(conn, campus_id, version)


@router.get("/campuses/{campus_id}/history", response_model=list[CampusVersionPublic])
def get_campus_history(campus_id: str, engine: EngineDep, principal: StaffDep) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return history(conn, campus_id)


@router.get("/campuses/{campus_id}/export", response_class=PlainTextResponse)
def export_campus(campus_id: str, engine: EngineDep, principal: StaffDep, version: VersionQuery = None) -> str:
    """The applied campus as a campus file (TOML); applying it again changes nothing."""
    with engine.connect() as conn:
        return export_toml(conn, campus_id, version)


@router.get("/campuses/{campus_id}/tenants", response_model=list[TenantPublic])
def list_tenants(campus_id: str, engine: EngineDep, principal: StaffDep) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        _require_campus(conn, campus_id)
        return [asdict(tenant) for tenant in load_tenants(conn, campus_id)]


@router.get("/campuses/{campus_id}/meters", response_model=list[MeterPublic])
def list_meters(campus_id: str, engine: EngineDep, principal: StaffDep) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        _require_campus(conn, campus_id)
        return [json.loads(json.dumps(asdict(meter), default=str)) for meter in load_meters(conn, campus_id)]


def _require_campus(conn: Connection, campus_id: str) -> None:
    if not campus_exists(conn, campus_id):
        raise CampusNotFound(campus_id)
