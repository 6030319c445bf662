"""Market routes: submissions and their attempts, statement import, shadow-settlement disputes, a
campus's price store, and the ISO node registry.

Thin over `market_adapters.submission`, `market_adapters.reconciliation`, `market_adapters.price_files.store` and
`market_adapters.nodes` service functions. Money stays integer micro-USD (as strings in JSON, so no client rounds it through a float).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import require_roles
from api.body_limit import PRICE_FILE_BYTES_MAX  # the readers hold the whole text
from api.deps import EngineDep, PrincipalDep, SettingsDep
from api.principal import Principal
from api.schemas import (
    AttemptsPublic,
    DisputesPublic,
    NodeDetailPublic,
    NodeListLoadPublic,
    NodeListsPublic,
    NodesPublic,
    StatementFileImportedPublic,
    StatementsImportedPublic,
    StoredPricesPublic,
    SubmissionsPublic,
)
from api.upload_slots import upload_slots
from common.errors import BadInput
from market_adapters.nodes import list_nodes, load_node_list, node_lists, show_node
from market_adapters.price_files import (
    FEED_DEFAULT,
    NYISO_RT_INTERVAL_MINUTES_DEFAULT,
    PRICE_FORMATS,
    store_campus_prices,
)
from market_adapters.reconciliation import (
    STATEMENT_FORMATS,
    import_iso_statement,
    import_statement_runs,
    list_disputes,
)
from market_adapters.submission import list_campus_submissions, submission_attempts

router = APIRouter(tags=["market"])

READER_ROLES = ("operator", "finance", "auditor")
# A dependency, not a call in the body: the role is checked before the upload is parsed, so a caller without
# it gets 403 rather than a validation error.
OperatorDep = Annotated[Principal, Depends(require_roles("operator"))]
StatementImporterDep = Annotated[Principal, Depends(require_roles("operator", "finance"))]
CAMPUS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
ISO_PATTERN = r"^[A-Za-z]{2,8}$"
UPLOAD_CHUNK_BYTES = 1 << 20


@router.get("/market/campuses/{campus_id}/submissions", response_model=SubmissionsPublic)
def submissions(campus_id: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)

    return {"campus_id": campus_id, "submissions": list_campus_submissions(engine, campus_id)}


@router.get("/market/submissions/{submission_key}/attempts", response_model=AttemptsPublic)
def attempts(submission_key: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)

    return {"submission_key": submission_key, "attempts": submission_attempts(engine, submission_key)}


@router.post("/market/campuses/{campus_id}/statements", response_model=StatementsImportedPublic)
def import_statements(campus_id: str, engine: EngineDep, principal: PrincipalDep,
                      statements: Annotated[list[dict[str, Any]], Body(max_length=50)]) -> dict[str, Any]:
    """Store statement runs (wattledger statement format v1); re-importing the same run is a no-op."""
    principal.require("operator", "finance")

    runs = import_statement_runs(engine, campus_id, statements)
    return {"imported": [run.statement_id for run in runs]}


@router.post("/market/campuses/{campus_id}/statement-files", status_code=201,
             response_model=StatementFileImportedPublic)
async def import_statement_file(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: StatementImporterDep,
    campus_id: Annotated[str, Path(pattern=CAMPUS_PATTERN)],
    file: Annotated[UploadFile, File(description="an ISO's statement file: ISO-NE SR_RTLOCSUM_....CSV, ERCOT RTM "
                                                 "statement CSV")],
    statement_format: Annotated[str, Form(alias="format", max_length=64,
                                          description=f"one of {', '.join(STATEMENT_FORMATS)}")] = "isone-rtlocsum",
) -> dict[str, Any]:
    """Store an ISO statement file as a run of its operating day (versions oldest first); the same version again is
    a no-op. Findings (a row's amount that is not price x quantity, a stated change from the previous run that is
    not the change) are returned and kept with the run. Reconcile it with `wattledger market shadow-statement`."""
    source_name = file.filename or "upload"
    async with upload_slots(request, settings).hold(principal.subject):
        content = await _read_upload(file, source_name)
        imported = await run_in_threadpool(import_iso_statement, engine, campus_id, statement_format, source_name,
                                           content)
    return {"imported": [imported.run.statement_id], "findings": [asdict(item) for item in imported.findings]}


@router.get("/market/campuses/{campus_id}/disputes", response_model=DisputesPublic)
def disputes(campus_id: str, engine: EngineDep, principal: PrincipalDep,
             status: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]*$")] = "open") -> dict[str, Any]:
    """Shadow-settlement discrepancies for the operator; `status=` empty lists every status."""
    principal.require(*READER_ROLES)

    rows = list_disputes(engine, campus_id, status or None)
    for row in rows:
        row["difference_usd_micros"] = str(row["difference_usd_micros"])
    return {"campus_id": campus_id, "disputes": rows}


@router.post("/campuses/{campus_id}/prices", status_code=201, response_model=StoredPricesPublic,
             responses={200: {"model": StoredPricesPublic, "description": "the same prices were stored before"}})
async def store_prices(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: OperatorDep,
    campus_id: Annotated[str, Path(pattern=CAMPUS_PATTERN)],
    file: Annotated[UploadFile, File(description="an ISO price file: CSV, JSON, or ZIP (ERCOT, CAISO)")],
    file_format: Annotated[str, Form(alias="format", description=f"one of {', '.join(PRICE_FORMATS)}")],
    feed: Annotated[str, Form(description="PJM Data Miner feed")] = FEED_DEFAULT,
    interval_minutes: Annotated[int, Form(ge=1, le=60, description="NYISO real-time interval length")] = (
        NYISO_RT_INTERVAL_MINUTES_DEFAULT),
) -> JSONResponse:
    """Convert an ISO price file to PRICE_SCHEMA and keep it in the campus's price store, where each billing
    cycle's settlement finds it. 201 stored, 200 the same prices were stored before."""

    source_name = file.filename or "upload"
    async with upload_slots(request, settings).hold(principal.subject):  # each holds up to 64 MiB while it parses
        content = await _read_upload(file, source_name)
        stored = await run_in_threadpool(store_campus_prices, engine, settings, campus_id, file_format,
                                         source_name, content, feed=feed, interval_minutes=interval_minutes)
    return JSONResponse(status_code=200 if stored.already_stored else 201, content=asdict(stored))


async def _read_upload(file: UploadFile, source_name: str) -> bytes:
    data = bytearray()
    while chunk := await file.read(UPLOAD_CHUNK_BYTES):
        data += chunk
        if len(data) > PRICE_FILE_BYTES_MAX:
            raise BadInput(source_name, None, None, f"larger than {PRICE_FILE_BYTES_MAX} bytes")
    return bytes(data)


@router.get("/market/nodes/{iso}", response_model=NodesPublic)
def nodes(iso: Annotated[str, Path(pattern=ISO_PATTERN)], engine: EngineDep, principal: PrincipalDep,
          search: Annotated[str | None, Query(max_length=200)] = None,
          node_type: Annotated[str | None, Query(alias="type", max_length=64)] = None,
          on: Annotated[date | None, Query(description="only nodes in force on this day")] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """An ISO's registry: nodes by type and name; `search` matches part of an id or name."""
    principal.require(*READER_ROLES)

    rows = list_nodes(engine, iso, search=search, node_type=node_type, on_day=on, limit=limit)
    return {"iso": iso.upper(), "nodes": rows}


@router.get("/market/nodes/{iso}/{node_id}", response_model=NodeDetailPublic)
def node(iso: Annotated[str, Path(pattern=ISO_PATTERN)], node_id: Annotated[str, Path(max_length=200)],
         engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)

    return show_node(engine, iso, node_id)


@router.get("/market/node-lists", response_model=NodeListsPublic)
def node_list_loads(engine: EngineDep, principal: PrincipalDep,
                    iso: Annotated[str | None, Query(pattern=ISO_PATTERN)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """The node lists loaded into the registry, newest first (of one ISO with `iso`)."""
    principal.require(*READER_ROLES)

    return {"lists": node_lists(engine, iso, limit=limit)}


@router.post("/market/node-lists", status_code=201, response_model=NodeListLoadPublic,
             responses={200: {"model": NodeListLoadPublic, "description": "the same list was loaded before"}})
async def load_nodes(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: OperatorDep,
    file: Annotated[UploadFile, File(description="an ISO's published node list")],
    list_kind: Annotated[str, Form(max_length=64, description="e.g. ercot-settlement-points, pjm-pnodes")],
    as_of: Annotated[date | None, Form(description="the day the list describes (ERCOT's file name says it)")] = None,
) -> JSONResponse:
    """Fold a published list into its ISO's registry: 201 loaded, 200 the same list was loaded before."""
    source_name = file.filename or "upload"
    async with upload_slots(request, settings).hold(principal.subject):
        content = await _read_upload(file, source_name)
        loaded = await run_in_threadpool(load_node_list, engine, list_kind, source_name, content, as_of=as_of,
                                         loaded_by=principal.subject)
    body = {**asdict(loaded), "as_of": loaded.as_of.isoformat()}
    return JSONResponse(status_code=200 if loaded.already_loaded else 201, content=body)
