"""A campus's contracts: add a version for a campus and tenant that exist, list them.

Above `campus` (it checks the campus and its tenants); `settlement.contracts` below it knows no campus, so the
campus file's apply can append versions through `append_contract` without a circle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from campus import CampusNotFound, campus_exists, load_tenants
from common.errors import NotFound
from settlement.contracts import ContractVersion, append_contract, contract_history


class TenantNotFound(NotFound):
    def __init__(self, campus_id: str, tenant_id: str) -> None:
        super().__init__(f"campus {campus_id}: tenant {tenant_id!r} does not exist")


def add_contract(conn: Connection, campus_id: str, contract_key: str, kind: str, tenant_id: str | None,
                 effective_from: date, terms: dict[str, Any]) -> ContractVersion:
    """Append the next version of a contract. Terms are parsed as the engine will parse them, so a contract that
    could not be settled is refused now (BadInput naming the field), not at month end."""
    _require_campus(conn, campus_id)
    if tenant_id is not None and tenant_id not in {t.tenant_id for t in load_tenants(conn, campus_id)}:
        raise TenantNotFound(campus_id, tenant_id)
    return append_contract(conn, campus_id, contract_key, kind, tenant_id, effective_from, terms)


def list_contracts(conn: Connection, campus_id: str, contract_key: str | None = None) -> list[ContractVersion]:
    _require_campus(conn, campus_id)
    return contract_history(conn, campus_id, contract_key)


def _require_campus(conn: Connection, campus_id: str) -> None:
    if not campus_exists(conn, campus_id):
        raise CampusNotFound(campus_id)
