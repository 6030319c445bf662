"""HTTP routes for emissions: factor editions, stored cycle results, tenant statements, reports, exports,
certificate lots and claims, factor overrides. Thin over the service functions of the `esg` subpackages;
figures are integer grams and Wh.

Tenants see only their own statement; operators, finance and auditors see the campus.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field, model_validator

from api.deps import EngineDep, PrincipalDep, SettingsDep
from api.routes.cycles import acting_subject
from api.schemas import (
    CertificateClaimCreatedPublic,
    CertificateLotCreatedPublic,
    EmissionsVersionsPublic,
    FactorEditionsPublic,
    FactorOverrideCreatedPublic,
    RestatedPublic,
)
from common.bounds import INT32_MAX, INT64_MAX, Day, Instant
from esg.certificates import (
    CertificateClaim,
    CertificateLot,
    claim_certificate,
    register_certificate_lot,
    retirement_key,
)
from esg.factors import FactorOverride, list_factor_editions, record_factor_override
from esg.reporting import (
    TenantStatement,
    campus_report_html,
    campus_report_pdf,
    export_csv,
    export_parquet_bytes,
    render_statement_html,
    render_statement_pdf,
    render_statement_text,
    report_for_cycle,
    restate_billing_cycle,
    statement_for_cycle,
    stored_cycle,
)
from esg.reporting import cycle_versions as versions_of
from esg.scopes import CycleEmissions
from ledger import publish_checkpoints_after_commit

router = APIRouter(tags=["esg"])

READER_ROLES = ("operator", "finance", "auditor")
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class CertificateLotCreate(BaseModel):
    lot_id: str = Field(min_length=1, max_length=200)
    instrument: Literal["REC", "GO", "GC", "PPA"]
    technology: str = Field(min_length=1, max_length=100)
    zone: str = Field(min_length=1, max_length=50)
    vintage_start_utc: Instant
    vintage_end_utc: Instant
    energy_wh: int = Field(gt=0, le=INT64_MAX)
    emission_rate_g_co2e_per_mwh: int = Field(ge=0, le=INT64_MAX)
    registry: str = Field(min_length=1, max_length=200, description="issuing registry, e.g. ERCOT REC Program")
    facility: str = Field(default="", max_length=200)
    commissioning_date: Day | None = None
    serial_prefix: str = Field(default="", max_length=200, description="the registry's block prefix, if any")
    serial_start: int = Field(ge=0, le=INT64_MAX, description="first serial of the lot (inclusive)")
    serial_end: int = Field(ge=0, le=INT64_MAX, description="last serial of the lot (inclusive)")
    certificate_wh: int = Field(default=1_000_000, gt=0, le=INT64_MAX, description="Wh each serial certifies")
    location: str = Field(min_length=1, max_length=200, description="where the generator is, e.g. US-TX")


class CertificateClaimCreate(BaseModel):
    claim_id: str = Field(min_length=1, max_length=200)
    lot_id: str = Field(min_length=1, max_length=200)
    campus_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    beneficiary: str = Field(pattern=r"^(campus|tenant:[a-z0-9][a-z0-9_-]{0,62})$")
    energy_wh: int = Field(gt=0, le=INT64_MAX)
    consumption_start_utc: Instant
    consumption_end_utc: Instant


class FactorOverrideCreate(BaseModel):
    override_id: str = Field(min_length=1, max_length=200)
    campus_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    meter_id: str = Field(min_length=1, max_length=63)
    kind: Literal["stack_test", "cems", "supplier_heating_value", "engine_methane"]
    parameter: Literal["co2_kg_per_mmbtu", "ch4_g_per_mmbtu", "n2o_g_per_mmbtu", "heat_content_mmbtu_per_scf"]
    value: str = Field(pattern=r"^[0-9]{1,15}(\.[0-9]{1,12})?$", description="decimal string, never a float")
    valid_from: Day
    valid_to: Day | None = None
    approved_by: str | None = Field(default=None, min_length=1, max_length=200,
                                    description="optional; the approver is the authenticated caller, and a name "
                                    "given here must be theirs")
    reason: str = Field(min_length=1, max_length=2000)
    evidence_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _valid_window(self) -> FactorOverrideCreate:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} must be after valid_from {self.valid_from}")
        return self


@router.get("/esg/factor-editions", response_model=FactorEditionsPublic)
def factor_editions(engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        editions = list_factor_editions(conn)
    return {"editions": [{k: str(v) if v is not None else None for k, v in row.items()} for row in editions]}


@router.get("/esg/cycles/{cycle_key}/emissions", response_class=Response,
            responses={200: {"model": CycleEmissions, "description": "the cycle's emissions result (canonical JSON)"}})
def cycle_emissions(
    cycle_key: str, engine: EngineDep, principal: PrincipalDep,
    version: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> Response:
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        _, emissions = stored_cycle(conn, cycle_key, version)
    return Response(emissions.to_json(), media_type="application/json")


@router.get("/esg/cycles/{cycle_key}/versions", response_model=EmissionsVersionsPublic)
def cycle_versions(cycle_key: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        versions = versions_of(conn, cycle_key)
    return {
        "cycle_key": cycle_key,
        "versions": [
            {k: str(v) if k == "recorded_at_utc" and v is not None else v for k, v in row.items()}
            for row in versions
        ],
    }


def _campus_of_cycle_key(cycle_key: str) -> str:
    """The campus of a cycle key `cycle:{campus}:{period}` (billing.periods.cycle_id_for); '' when malformed,
    which no tenant is bound to."""
    parts = cycle_key.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "cycle" else ""


@router.get("/esg/cycles/{cycle_key}/tenants/{tenant_id}/statement", response_class=Response, responses={200: {
    "model": TenantStatement, "description": "the statement: JSON (format=json), or as HTML, text or PDF",
    "content": {"text/html": {}, "text/plain": {}, "application/pdf": {}}}})
def tenant_statement(
    cycle_key: str,
    tenant_id: str,
    engine: EngineDep,
    principal: PrincipalDep,
    format: Literal["json", "html", "text", "pdf"] = "json",
) -> Response:
    principal.require("tenant", *READER_ROLES)
    if not principal.may_read_tenant(_campus_of_cycle_key(cycle_key), tenant_id):
        raise HTTPException(status_code=403, detail="a tenant may read only its own statement on its own campuses")
    with engine.connect() as conn:
        statement = statement_for_cycle(conn, cycle_key, tenant_id)
    if format == "html":
        return Response(render_statement_html(statement), media_type="text/html")
    if format == "text":
        return Response(render_statement_text(statement), media_type="text/plain")
    if format == "pdf":
        return Response(render_statement_pdf(statement), media_type="application/pdf")
    return Response(json.dumps(dataclasses.asdict(statement), sort_keys=True), media_type="application/json")


@router.get("/esg/cycles/{cycle_key}/report.{extension}", response_class=Response, responses={200: {
    "description": "the report as HTML or PDF", "content": {"text/html": {}, "application/pdf": {}}}})
def campus_report(
    cycle_key: str, extension: Literal["html", "pdf"], engine: EngineDep, principal: PrincipalDep,
    base_year: Annotated[int | None, Query(ge=1990, le=2100, description="the entity's base year")] = None,
) -> Response:
    """The campus GHG report of the cycle's latest version (the settled result until a restatement): one model,
    HTML or PDF; the caller is named as preparer and today (UTC) as the issue date."""
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        emissions, context = report_for_cycle(conn, cycle_key, principal.subject, datetime.now(UTC).date(),
                                              base_year)
    if extension == "html":
        return Response(campus_report_html(emissions, context), media_type="text/html")
    return Response(campus_report_pdf(emissions, context), media_type="application/pdf")


@router.get("/esg/cycles/{cycle_key}/exports/{kind}.{extension}", response_class=Response, responses={200: {
    "description": "the export as CSV or Parquet",
    "content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}})
def export(
    cycle_key: str,
    kind: Literal["parties", "hourly", "campus", "methods", "storage"],
    extension: Literal["csv", "parquet"],
    engine: EngineDep,
    principal: PrincipalDep,
) -> Response:
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        _, emissions = stored_cycle(conn, cycle_key)
    body: str | bytes = (
        export_csv(emissions, kind) if extension == "csv" else export_parquet_bytes(emissions, kind)
    )
    return Response(body, media_type=MEDIA_TYPES[extension])


@router.post("/esg/certificates/lots", status_code=201, response_model=CertificateLotCreatedPublic)
def create_lot(body: CertificateLotCreate, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("operator")
    with engine.begin() as conn:
        created = register_certificate_lot(conn, CertificateLot(**body.model_dump()))
    return {"lot_id": body.lot_id, "created": created}


@router.post("/esg/certificates/claims", status_code=201, response_model=CertificateClaimCreatedPublic)
def create_claim(
    body: CertificateClaimCreate, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Retire Wh of a lot for a tenant (or the campus) and period; the retirement is a ledger entry."""
    principal.require("operator")
    fields = body.model_dump(exclude={"campus_id"})
    with engine.begin() as conn:
        created = claim_certificate(
            conn, body.campus_id, CertificateClaim(**fields), settings.ledger_origin, settings.signing_key_path
        )
    publish_checkpoints_after_commit(
        engine, settings.ledger_origin, settings.checkpoint_publish_dir, settings.ledger_witnesses
    )
    return {"claim_id": body.claim_id, "created": created,
            "retirement_ledger_key": retirement_key(body.campus_id, body.claim_id)}


@router.post("/esg/overrides", status_code=201, response_model=FactorOverrideCreatedPublic)
def create_override(body: FactorOverrideCreate, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require("operator")
    override = FactorOverride(
        body.override_id,
        body.meter_id,
        body.kind,
        body.parameter,
        Decimal(body.value),
        body.valid_from,
        body.valid_to,
        acting_subject(principal, body.approved_by),
        body.reason,
    )
    with engine.begin() as conn:
        created = record_factor_override(conn, body.campus_id, override, body.evidence_sha256)
    return {"override_id": body.override_id, "created": created}


class RestateBody(BaseModel):
    factor_edition: str | None = Field(default=None, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/esg/cycles/{cycle_id}/restate", response_model=RestatedPublic)
def restate(
    cycle_id: str, body: RestateBody, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Recompute a settled cycle's emissions; a changed result becomes a new version and its delta legs are
    posted to the ledger as an adjustment of the settlement, in the same transaction."""
    principal.require("operator")
    with engine.begin() as conn:
        outcome = restate_billing_cycle(
            conn, cycle_id, body.factor_edition, body.reason, settings.ledger_origin, settings.signing_key_path
        )
    publish_checkpoints_after_commit(
        engine, settings.ledger_origin, settings.checkpoint_publish_dir, settings.ledger_witnesses
    )
    delta = dataclasses.asdict(outcome.delta) if outcome.delta is not None else None
    return {"cycle_id": cycle_id, "status": outcome.status, "version": outcome.version, "delta": delta,
            "ledger_idempotency_key": outcome.ledger_idempotency_key if outcome.status == "restated" else None}
