"""Contracts over HTTP: append a contract version, list a campus's contract history, and the tariff calculator.

Thin over `settlement.campus_contracts` and `settlement.tariffs.calculator`. Contract terms are JSON (shapes in
`settlement/contracts/kinds.py`); decimals are best sent as strings, which stay exact.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import require_roles
from api.deps import EngineDep
from api.principal import Principal
from api.schemas import TariffBillPublic
from common.bounds import Day
from settlement import add_contract, list_contracts
from settlement.contracts import KINDS, ContractVersion
from settlement.tariffs import bill_tariff_json, zone_named

router = APIRouter(tags=["contracts"])

StaffDep = Annotated[Principal, Depends(require_roles("operator", "finance", "auditor"))]
EditorDep = Annotated[Principal, Depends(require_roles("operator", "finance"))]
CalculatorDep = Annotated[Principal, Depends(require_roles("operator", "finance", "auditor", "tenant"))]


class ContractCreate(BaseModel):
    contract_key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,126}$")
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    tenant_id: str | None = None
    effective_from: Day
    terms: dict[str, Any]


class ContractPublic(BaseModel):
    contract_version_id: int
    contract_key: str
    version: int
    kind: str
    tenant_id: str | None
    effective_from: date
    terms: dict[str, Any]
    terms_sha256_hex: str


class TariffBillRequest(BaseModel):
    urdb: dict[str, Any] = Field(description="a URDB rate object or an API response with one item")
    load_csv: str = Field(description="CSV text: interval_start (ISO 8601 with offset), energy_kwh")
    export_csv: str | None = Field(default=None, description="CSV text like load_csv: energy exported to the grid, "
                                   "billed by the tariff's dgrules (not netted or credited when it has none)")
    time_zone: str = Field(max_length=64, description="IANA time zone, e.g. America/Chicago")
    holidays: list[Day] = Field(default_factory=list, max_length=1000)
    tier_fill: str = "shared"
    holidays_as_weekend: bool = True
    demand_window: str = Field(default="block", max_length=16, description="how the tariff's demandwindow is "
                               "measured: block (clock-aligned) or rolling (docs/tariffs.md)")


def _public(contract: ContractVersion) -> ContractPublic:
    # Decimals read from the database go out as strings, so no digit is lost on the way.
    terms = json.loads(json.dumps(contract.terms, default=str))
    return ContractPublic(contract_version_id=contract.contract_version_id, contract_key=contract.contract_key,
                          version=contract.version, kind=contract.kind, tenant_id=contract.tenant_id,
                          effective_from=contract.effective_from, terms=terms,
                          terms_sha256_hex=contract.terms_sha256_hex)


@router.post("/campuses/{campus_id}/contracts", status_code=201)
def create_contract_version(campus_id: str, body: ContractCreate, engine: EngineDep,
                            principal: EditorDep) -> ContractPublic:
    """Append the next version of `contract_key` (amendments never overwrite earlier versions)."""
    with engine.begin() as conn:
        contract = add_contract(conn, campus_id, body.contract_key, body.kind, body.tenant_id, body.effective_from,
                                body.terms)
    return _public(contract)


@router.get("/campuses/{campus_id}/contracts")
def list_contract_versions(campus_id: str, engine: EngineDep, principal: StaffDep,
                           contract_key: str | None = Query(default=None)) -> list[ContractPublic]:
    """Every version of every contract of the campus (or of one key), oldest first."""
    with engine.connect() as conn:
        return [_public(contract) for contract in list_contracts(conn, campus_id, contract_key)]


@router.post("/tariffs/bill", response_model=TariffBillPublic)
def bill_tariff(body: TariffBillRequest, principal: CalculatorDep) -> dict[str, Any]:
    """The `wattledger tariff bill` calculator over HTTP: monthly charges of a load under a URDB tariff."""
    return bill_tariff_json("urdb", json.dumps(body.urdb), "load_csv", body.load_csv, zone_named(body.time_zone),
                            frozenset(body.holidays), body.tier_fill, body.holidays_as_weekend,
                            export_source="export_csv", export_text=body.export_csv,
                            demand_window=body.demand_window)
