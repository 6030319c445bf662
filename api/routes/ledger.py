"""Read-only ledger routes: entries, balances, checkpoints, inclusion and consistency proofs.

Thin over `ledger.*` service functions; amounts are integers in the asset's minor unit, serialized as
strings in JSON so no client rounds them through a float. `GET /ledger/verify` lives in
`api/routes/ledger_verify.py`.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from api.deps import EngineDep, PrincipalDep, SettingsDep
from api.schemas import (
    LedgerBalancesPublic,
    LedgerCheckpointsPublic,
    LedgerEntriesPublic,
    TenantStatementPublic,
)
from common.bounds import INT64_MAX, Instant
from common.errors import BadInput
from invoicing import campuses_billing_tenant
from ledger import (
    ConsistencyProof,
    InclusionProof,
    ledger_id_for,
    list_checkpoints,
    list_entries,
    prove_consistency,
    prove_inclusion,
)
from ledger.balances import balances as balances_as_of
from ledger.balances import tenant_statement

router = APIRouter(tags=["ledger"])

READER_ROLES = ("auditor", "finance", "operator")


# Sequence numbers and tree sizes are bigint; instants are aware, in years 1900 to 2999 (common.bounds), so a
# query for year 1 or 9999 is refused naming its parameter instead of overflowing a conversion or a column.
Seq = Annotated[int, Query(ge=0, le=INT64_MAX)]
Size = Annotated[int, Query(ge=1, le=INT64_MAX)]


@router.get("/ledger/entries", response_model=LedgerEntriesPublic)
def entries(
    engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    after_seq: Seq = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    principal.require(*READER_ROLES)

    with engine.connect() as conn:
        page = list_entries(conn, settings.ledger_origin, after_seq, limit)
    return {"origin": settings.ledger_origin, "entries": [dataclasses.asdict(entry) for entry in page],
            "next_after_seq": page[-1].seq if page else None}


@router.get("/ledger/balances", response_model=LedgerBalancesPublic)
def balances(
    engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    prefix: Annotated[str, Query(max_length=1000)] = "", as_of_seq: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    as_of_recorded_utc: Instant | None = None, as_of_effective_utc: Instant | None = None,
) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    if sum(value is not None for value in (as_of_seq, as_of_recorded_utc, as_of_effective_utc)) > 1:
        raise HTTPException(status_code=422, detail="give at most one of as_of_seq, as_of_recorded_utc, as_of_effective_utc")

    with engine.connect() as conn:
        rows = balances_as_of(conn, settings.ledger_origin, as_of_seq=as_of_seq, as_of_recorded_utc=as_of_recorded_utc,
                              as_of_effective_utc=as_of_effective_utc, path_prefix=prefix)
    return {"origin": settings.ledger_origin, "balances": [
        {"path": row.path, "asset_code": row.asset_code, "normal_side": row.normal_side,
         "posted_minor": str(row.posted_minor), "pending_debits_minor": str(row.pending_debits_minor),
         "pending_credits_minor": str(row.pending_credits_minor),
         "normal_balance_minor": str(row.normal_balance_minor)}
        for row in rows
    ]}


@router.get("/ledger/checkpoints", response_model=LedgerCheckpointsPublic)
def checkpoints(
    engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    principal.require(*READER_ROLES)

    with engine.connect() as conn:
        rows = list_checkpoints(conn, ledger_id_for(conn, settings.ledger_origin), limit)
    return {"origin": settings.ledger_origin, "checkpoints": [dataclasses.asdict(row) for row in rows]}


@router.get("/ledger/proofs/inclusion/{seq}", response_model=InclusionProof)
def inclusion_proof(
    seq: Annotated[int, Path(ge=1, le=INT64_MAX)], engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    tree_size: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
) -> InclusionProof:
    principal.require(*READER_ROLES)

    with engine.connect() as conn:
        return prove_inclusion(conn, settings.ledger_origin, seq, tree_size)


@router.get("/ledger/proofs/consistency", response_model=ConsistencyProof)
def consistency_proof(
    engine: EngineDep, settings: SettingsDep, principal: PrincipalDep,
    from_size: Size, to_size: Size,
) -> ConsistencyProof:
    principal.require(*READER_ROLES)
    if from_size > to_size:
        raise BadInput("consistency proof", None, "from_size", f"{from_size} is larger than to_size {to_size}")

    with engine.connect() as conn:
        return prove_consistency(conn, settings.ledger_origin, from_size, to_size)


def _statement_reader(tenant_id: str, principal: PrincipalDep, engine: EngineDep) -> None:
    """Checked as a dependency, before the query is validated, so another tenant learns nothing. The ledger's
    tenant accounts (`tenant:<id>:`) span every campus with that tenant id, so a tenant reads its statement only
    when it is bound to all of those campuses."""
    if principal.tenant_id is None:
        principal.require(*READER_ROLES)
        return
    if principal.tenant_id != tenant_id:
        raise HTTPException(status_code=404, detail="no such statement")
    with engine.connect() as conn:
        campus_ids = campuses_billing_tenant(conn, tenant_id)
    # A tenant credential always names a campus; one with none (a key from before campus binding) reads nothing.
    if not principal.campus_ids or not all(principal.may_read_tenant(campus, tenant_id) for campus in campus_ids):
        raise HTTPException(status_code=404, detail="no such statement")


@router.get("/ledger/statements/{tenant_id}", dependencies=[Depends(_statement_reader)],
            response_model=TenantStatementPublic)
def statement(
    tenant_id: str, engine: EngineDep, settings: SettingsDep, from_utc: Instant, to_utc: Instant,
) -> dict[str, Any]:
    """A tenant's posted movements in [from_utc, to_utc) with opening and closing balances; a tenant
    may read only its own statement."""
    if not from_utc < to_utc:
        raise BadInput("ledger statement", None, "to_utc", f"{to_utc.isoformat()} is not after from_utc "
                       f"{from_utc.isoformat()}")

    with engine.connect() as conn:
        result = tenant_statement(conn, settings.ledger_origin, tenant_id, from_utc, to_utc)

    def as_text(row: Any) -> dict[str, Any]:
        return {"path": row.path, "asset_code": row.asset_code, "posted_minor": str(row.posted_minor)}

    return {
        "tenant_id": tenant_id, "from_utc": from_utc, "to_utc": to_utc,
        "opening": [as_text(row) for row in result.opening],
        "lines": [{**dataclasses.asdict(line), "amount_minor": str(line.amount_minor)} for line in result.lines],
        "closing": [as_text(row) for row in result.closing],
    }
