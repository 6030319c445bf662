"""Write a checked campus document into the tables the engines read, inside the caller's transaction.

Campus, tenants and meters are upserted (what may change was decided by `campus.plan`); contract versions are
appended after the ones already stored, so an amendment never edits what an old month was priced with.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection

from campus import repository as repo
from campus.errors import CampusChangeRefused
from common.canonical_json import sha256_hex
from settlement.contracts import (
    KIND_FIXED_PRICE,
    add_fixed_price_version,
    append_contract,
    contract_history,
    fixed_price_history,
)

V = TypeVar("V")


def project(conn: Connection, document: dict[str, Any]) -> None:
    campus_id = document["campus"]["id"]
    repo.upsert_campus(conn, document["campus"])
    repo.upsert_tenants(conn, campus_id, document.get("tenants", []))
    repo.upsert_meters(conn, campus_id, document["meters"])
    for contract in document.get("contracts", []):
        if contract["kind"] == KIND_FIXED_PRICE:
            _project_fixed_price(conn, campus_id, contract)
        else:
            _project_contract(conn, campus_id, contract)


def _project_contract(conn: Connection, campus_id: str, contract: dict[str, Any]) -> None:
    stored = contract_history(conn, campus_id, contract["key"])
    wanted = [(date.fromisoformat(v["effective_from"]), sha256_hex(v["terms"])) for v in contract["versions"]]
    have = [(c.effective_from, c.terms_sha256_hex) for c in stored]
    _check_prefix(contract["key"], have, wanted)
    for version in contract["versions"][len(have):]:
        append_contract(conn, campus_id, contract["key"], contract["kind"], contract.get("tenant"),
                        date.fromisoformat(version["effective_from"]), version["terms"])


def _project_fixed_price(conn: Connection, campus_id: str, contract: dict[str, Any]) -> None:
    tenant_id = contract["tenant"]
    have = fixed_price_history(conn, campus_id, tenant_id)
    wanted = [(date.fromisoformat(v["effective_from"]), Decimal(v["terms"]["price_usd_per_mwh"]))
              for v in contract["versions"]]
    _check_prefix(contract["key"], have, wanted)
    for effective_from, price in wanted[len(have):]:
        add_fixed_price_version(conn, campus_id, tenant_id, effective_from, price)


def _check_prefix(key: str, have: list[V], wanted: list[V]) -> None:
    """Stored versions must be the file's first versions: anything else means the file rewrites history or
    versions were added another way (the contracts API) that the file does not list yet."""
    if have != wanted[:len(have)]:
        raise CampusChangeRefused(
            f"contract {key}: the stored versions ({len(have)}) are not the first versions of the file; "
            "export the campus (wattledger campus export) and add amendments after them")
