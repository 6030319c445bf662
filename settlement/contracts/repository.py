"""SQL for contracts: versions of `settlement_contract` (append one, read the versions in force) and of the
core table `contract` (fixed prices, one row per tenant version). Nothing else in `settlement.contracts` touches
SQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from common.canonical_json import sha256_hex
from common.errors import BadInput
from settlement.contracts.kinds import (
    KIND_ALLOCATION,
    KIND_PPA,
    KIND_TARIFF,
    KIND_VPPA,
    KINDS,
    ContractVersion,
    FixedPriceContract,
    check_term_numbers,
)
from settlement.contracts.terms import allocation_terms, ppa_terms, tariff_terms, vppa_terms

_COLUMNS = ("contract_version_id, contract_key, version, kind, tenant_id, effective_from, terms_json::text, "
            "terms_sha256_hex")


def validate_terms(contract: ContractVersion) -> None:
    """Parse the terms as the engine will, so a contract that cannot be settled is refused when it is entered."""
    check_term_numbers(f"contract {contract.contract_key}", contract.terms)
    parser = {KIND_TARIFF: tariff_terms, KIND_PPA: ppa_terms, KIND_VPPA: vppa_terms,
              KIND_ALLOCATION: allocation_terms}.get(contract.kind)
    if parser is None:
        raise BadInput(f"contract {contract.contract_key}", None, "kind", f"{contract.kind!r} is not one of {KINDS}")
    parser(contract)


def add_contract_version(conn: Connection, campus_id: str, contract_key: str, kind: str, tenant_id: str | None,
                         effective_from: date, terms: dict[str, Any]) -> ContractVersion:
    """Append the next version of `contract_key` (1 for a new key). Earlier versions are never changed."""
    check_term_numbers(f"contract {contract_key}", terms)  # before the hash, which has no NaN or huge integer
    terms_sha256_hex = sha256_hex(_jsonable(terms))
    provisional = ContractVersion(0, contract_key, 0, kind, tenant_id, effective_from, terms, terms_sha256_hex)
    validate_terms(provisional)
    row = conn.execute(
        text("INSERT INTO settlement_contract (campus_id, contract_key, version, kind, tenant_id, effective_from,"
             " terms_json, terms_sha256_hex) SELECT :c, :k, COALESCE(MAX(version), 0) + 1, :kind, :t, :f,"
             " CAST(:terms AS jsonb), :sha FROM settlement_contract WHERE campus_id = :c AND contract_key = :k"
             " RETURNING contract_version_id, version"),
        {"c": campus_id, "k": contract_key, "kind": kind, "t": tenant_id, "f": effective_from,
         "terms": json.dumps(_jsonable(terms)), "sha": terms_sha256_hex},
    ).one()
    return ContractVersion(int(row[0]), contract_key, int(row[1]), kind, tenant_id, effective_from, terms,
                           terms_sha256_hex)


def _jsonable(value: Any) -> Any:
    """Decimals become strings (exact); everything else is kept as given."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def contract_history(conn: Connection, campus_id: str, contract_key: str | None = None) -> list[ContractVersion]:
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM settlement_contract WHERE campus_id = :c"
             " AND (CAST(:k AS text) IS NULL OR contract_key = :k) ORDER BY contract_key, version"),
        {"c": campus_id, "k": contract_key},
    )
    return [_contract(row) for row in rows]


def _contract(row: Any) -> ContractVersion:
    # terms_json::text keeps the stored numbers' exact digits; parse them as Decimal, not float.
    terms = json.loads(row[6], parse_float=Decimal)
    return ContractVersion(int(row[0]), row[1], int(row[2]), row[3], row[4], row[5], terms, row[7])


def lock_contract_key(conn: Connection, campus_id: str, contract_key: str) -> None:
    """Hold the key's advisory lock until the transaction ends: versions of one key are numbered in turn, so two
    concurrent amendments must not both read the same highest version."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"settlement_contract:{campus_id}:"
                                                                       f"{contract_key}"})


def append_contract(conn: Connection, campus_id: str, contract_key: str, kind: str, tenant_id: str | None,
                    effective_from: date, terms: dict[str, Any]) -> ContractVersion:
    """Append the next version of a contract under its key's lock. Terms are parsed as the engine will parse them,
    so a contract that could not be settled is refused now (BadInput naming the field), not at month end. The
    caller has checked that the campus and tenant exist."""
    lock_contract_key(conn, campus_id, contract_key)
    return add_contract_version(conn, campus_id, contract_key, kind, tenant_id, effective_from, terms)


def fixed_prices_through(conn: Connection, campus_id: str, through: date) -> list[FixedPriceContract]:
    """Every fixed-price version effective on or before `through` (a local date), by tenant and version: what
    `settlement.engine.segments` needs to find the versions in force on each day of a period."""
    rows = conn.execute(
        text("SELECT contract_id, tenant_id, version, effective_from, supply_price_usd_per_mwh FROM contract"
             " WHERE campus_id = :c AND effective_from <= :d ORDER BY tenant_id, version"),
        {"c": campus_id, "d": through},
    )
    return [FixedPriceContract(int(row[0]), row[1], int(row[2]), row[3], row[4]) for row in rows]


def fixed_price_history(conn: Connection, campus_id: str, tenant_id: str) -> list[tuple[date, Decimal]]:
    """(effective_from, price USD/MWh) of every stored version of the tenant's fixed price, oldest first."""
    rows = conn.execute(
        text("SELECT effective_from, supply_price_usd_per_mwh FROM contract WHERE campus_id = :c AND tenant_id = :t"
             " ORDER BY version"), {"c": campus_id, "t": tenant_id},
    ).all()
    return [(row[0], Decimal(row[1])) for row in rows]


def add_fixed_price_version(conn: Connection, campus_id: str, tenant_id: str, effective_from: date,
                            price_usd_per_mwh: Decimal) -> int:
    """Append the tenant's next fixed-price version. The table's grid price column is not read by any rule; it
    carries the same price so the row stays complete."""
    version = conn.execute(
        text("INSERT INTO contract (campus_id, tenant_id, version, effective_from, supply_price_usd_per_mwh,"
             " grid_price_usd_per_mwh) SELECT :c, :t, COALESCE(MAX(version), 0) + 1, :f, :p, :p FROM contract"
             " WHERE campus_id = :c AND tenant_id = :t RETURNING version"),
        {"c": campus_id, "t": tenant_id, "f": effective_from, "p": price_usd_per_mwh},
    ).scalar_one()
    return int(version)
