"""HTTP routes for the market-rate library: supplier-specific rates, residual mixes and grid upstream factors,
each a versioned row with its provenance. Thin over `esg.factors`; a bad field is a 400 naming it, the same id with
other content a 409."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import EngineDep, PrincipalDep
from api.schemas import MarketRateCreatedPublic, MarketRatesPublic
from esg.factors import MarketRateRow, market_rate_from_json, market_rates, register_market_rate

router = APIRouter(tags=["esg"])

READER_ROLES = ("operator", "finance", "auditor")


@router.post("/esg/market-rates", status_code=201, response_model=MarketRateCreatedPublic)
def create_market_rate(body: dict[str, Any], engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Register one row: rate_id, kind (supplier | residual_mix | grid_upstream), zone, g_co2e_per_mwh (a decimal
    string), source, edition, valid_from, valid_to (exclusive, optional), supplier (for supplier rates), note."""
    principal.require("operator")
    row = market_rate_from_json(body, "market rate")
    with engine.begin() as conn:
        created = register_market_rate(conn, row)
    return {"rate_id": row.rate_id, "created": created, "ref": row.ref}


@router.get("/esg/market-rates", response_model=MarketRatesPublic)
def list_market_rates(
    engine: EngineDep,
    principal: PrincipalDep,
    kind: Annotated[Literal["supplier", "residual_mix", "grid_upstream"] | None, Query()] = None,
    zone: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    with engine.connect() as conn:
        rows = market_rates(conn, kind, zone)
    return {"rates": [market_rate_public(row) for row in rows]}


def market_rate_public(row: MarketRateRow) -> dict[str, Any]:
    return {**row.content(), "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "supplier": row.supplier, "ref": row.ref}
