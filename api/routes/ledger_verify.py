"""`GET /ledger/verify`: walk the live chain and name the first broken seq."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from api.deps import EngineDep, PrincipalDep, SettingsDep
from api.schemas import VerifyPublic
from ledger import ensure_ledger, verify_ledger

router = APIRouter(tags=["ledger"])


@router.get("/ledger/verify", response_model=VerifyPublic)
def verify(engine: EngineDep, settings: SettingsDep, principal: PrincipalDep) -> VerifyPublic:
    principal.require("auditor", "finance", "operator")

    with engine.begin() as conn:
        ensure_ledger(conn, settings.ledger_origin)
    with engine.connect() as conn:
        report = verify_ledger(conn, settings.ledger_origin)
    return VerifyPublic(**dataclasses.asdict(report))
