"""Shadow market participation: a cycle's recorded shadow step (typed), its report as PDF, and a campus's ISO
registration package (JSON or CSV). Thin over `billing.shadow_step`; money stays integer micro-USD, energy Wh,
emissions grams. Staff only: the figures are the operator's, never a tenant's bill.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from api.deps import EngineDep, PrincipalDep
from billing.shadow_step import campus_registration, recorded_shadow, shadow_report_of
from participation.registration import registration_csv
from participation.report import shadow_report_pdf

router = APIRouter(tags=["market"])

READER_ROLES = ("operator", "finance", "auditor")
CAMPUS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class ShadowProgramPublic(BaseModel):
    program: Literal["export", "economic_dr", "coincident_peak", "storage_arbitrage", "storage_peak_shaving",
                     "storage_coincident_peak"]
    revenue_usd_micros: int
    avoided_cost_usd_micros: int
    cost_usd_micros: int
    net_usd_micros: int
    energy_wh: int
    emissions_g: int
    counted: bool = True
    """False: an alternative use of the same battery, listed but not in the period's net (docs/storage.md)."""


class ShadowBoundPublic(BaseModel):
    interval_start_utc: str
    program: str
    rules: list[str]
    reasons: list[str]


class ShadowVerdictPublic(BaseModel):
    candidate: str
    outcome: Literal["allowed", "clipped", "blocked"]
    kw: int
    rule: str
    reason: str


class ShadowDispatchPublic(BaseModel):
    interval_start_utc: str
    program: str
    executed: bool
    delivered_kw: int
    net_usd_micros: int
    verdicts: list[ShadowVerdictPublic]


class ShadowPublic(BaseModel):
    """The cycle's shadow step as recorded: `status` computed, or not_configured (no `[market]` section)."""

    cycle_id: str
    status: Literal["computed", "not_configured"]
    reason: str | None = None
    campus_id: str | None = None
    node: str | None = None
    rules_version: str | None = None
    settlement_version: int | None = None
    period_start_utc: str | None = None
    period_end_utc: str | None = None
    interval_minutes: int | None = None
    intervals: int | None = None
    priced_intervals: int | None = None
    programs: list[ShadowProgramPublic] = []
    net_usd_micros: int = 0
    tenant_bill_effect_usd_micros: dict[str, int] = {}
    bound_intervals: list[ShadowBoundPublic] = []
    dispatches: list[ShadowDispatchPublic] = []
    ledger_idempotency_key: str | None = None


@router.get("/cycles/{cycle_id}/shadow", response_model=ShadowPublic)
def read_shadow(cycle_id: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """What the campus would have earned in its ISO's markets this cycle, program by program, and what it would
    have cost each tenant; the intervals where a guardrail bound; the rules version (docs/market-participation.md)."""
    principal.require(*READER_ROLES)
    return {"cycle_id": cycle_id, **recorded_shadow(engine, cycle_id)}


@router.get("/cycles/{cycle_id}/shadow/report.pdf", response_class=Response, responses={200: {
    "description": "the shadow participation report as PDF", "content": {"application/pdf": {}}}})
def shadow_pdf(cycle_id: str, engine: EngineDep, principal: PrincipalDep) -> Response:
    """The same report as the staff page `/finance/cycles/{id}/shadow`, as PDF."""
    principal.require(*READER_ROLES)
    return Response(shadow_report_pdf(shadow_report_of(engine, cycle_id)), media_type="application/pdf")


class RegistrationResourcePublic(BaseModel):
    generation_kw: int
    interruptible_kw: int
    offered_kw: int
    meters: list[str]
    telemetry_points: list[str]


class RegistrationFieldPublic(BaseModel):
    section: str
    field: str
    value: str
    source: str


class RegistrationPublic(BaseModel):
    """The JSON form of the registration package (`format=csv` answers the fields as CSV)."""

    iso: Literal["PJM", "ERCOT"]
    campus_id: str
    campus_iso: str
    node: str
    rules_version: str | None
    resource: RegistrationResourcePublic
    fields: list[RegistrationFieldPublic]
    missing: list[str]


@router.get("/market/campuses/{campus_id}/registration", response_class=Response, responses={200: {
    "description": "the registration package as JSON or CSV", "model": RegistrationPublic,
    "content": {"text/csv": {}}}})
def registration(campus_id: Annotated[str, Path(pattern=CAMPUS_PATTERN)], engine: EngineDep, principal: PrincipalDep,
                 iso: Annotated[Literal["PJM", "ERCOT"], Query(description="whose registration fields")],
                 format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response:
    """The campus's resource data (meters, node, capacity, telemetry points, generators, tenants' interruptible
    MW) in the ISO's registration fields, from its latest campus file; `missing` lists the fields to supply."""
    principal.require(*READER_ROLES)
    package = campus_registration(engine, campus_id, iso)
    if format == "csv":
        return Response(registration_csv(package), media_type="text/csv")
    return Response(RegistrationPublic.model_validate(package).model_dump_json(), media_type="application/json")
