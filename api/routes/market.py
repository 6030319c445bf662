"""Market routes: submissions and their attempts, statement import, shadow-settlement disputes.

Thin over `market_adapters.submission` and `market_adapters.shadow` service functions. Money stays integer
micro-USD (as strings in JSON, so no client rounds it through a float).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.deps import EngineDep, PrincipalDep

router = APIRouter(tags=["market"])

READER_ROLES = ("operator", "finance", "auditor")


@router.get("/market/campuses/{campus_id}/submissions")
def submissions(campus_id: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    from market_adapters.submission.service import list_campus_submissions

    return {"campus_id": campus_id, "submissions": list_campus_submissions(engine, campus_id)}


@router.get("/market/submissions/{submission_key}/attempts")
def attempts(submission_key: str, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(*READER_ROLES)
    from market_adapters.submission.service import submission_attempts

    return {"submission_key": submission_key, "attempts": submission_attempts(engine, submission_key)}


@router.post("/market/campuses/{campus_id}/statements")
def import_statements(campus_id: str, engine: EngineDep, principal: PrincipalDep,
                      statements: Annotated[list[dict], Body(max_length=50)]) -> dict[str, Any]:
    """Store statement runs (wattledger statement format v1); re-importing the same run is a no-op."""
    principal.require("operator", "finance")
    from market_adapters.shadow.service import import_statement_runs

    runs = import_statement_runs(engine, campus_id, statements)
    return {"imported": [run.statement_id for run in runs]}


@router.get("/market/campuses/{campus_id}/disputes")
def disputes(campus_id: str, engine: EngineDep, principal: PrincipalDep, status: str | None = "open") -> dict[str, Any]:
    """Shadow-settlement discrepancies for the operator; `status=` empty lists every status."""
    principal.require(*READER_ROLES)
    from market_adapters.shadow.service import list_disputes

    rows = list_disputes(engine, campus_id, status or None)
    for row in rows:
        row["difference_usd_micros"] = str(row["difference_usd_micros"])
    return {"campus_id": campus_id, "disputes": rows}
