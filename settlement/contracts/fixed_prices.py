"""SQL for fixed-price contracts (core table `contract`): a tenant's on-site supply price, one row per version.

The campus file's `fixed_price` contracts are stored here; the engine reads them as the v0 price
(`settlement.repository.contracts_v0_effective`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text


def fixed_price_history(conn: Connection, campus_id: str, tenant_id: str) -> list[tuple[date, Decimal]]:
    """(effective_from, price USD/MWh) of every stored version, oldest first."""
    rows = conn.execute(
        text("SELECT effective_from, supply_price_usd_per_mwh FROM contract WHERE campus_id = :c AND tenant_id = :t"
             " ORDER BY version"), {"c": campus_id, "t": tenant_id},
    ).all()
    return [(row[0], Decimal(row[1])) for row in rows]


def add_fixed_price_version(conn: Connection, campus_id: str, tenant_id: str, effective_from: date,
                            price_usd_per_mwh: Decimal) -> int:
    """Append the tenant's next version. The table's grid price column is not read by any rule; it carries the
    same price so the row stays complete."""
    version = conn.execute(
        text("INSERT INTO contract (campus_id, tenant_id, version, effective_from, supply_price_usd_per_mwh,"
             " grid_price_usd_per_mwh) SELECT :c, :t, COALESCE(MAX(version), 0) + 1, :f, :p, :p FROM contract"
             " WHERE campus_id = :c AND tenant_id = :t RETURNING version"),
        {"c": campus_id, "t": tenant_id, "f": effective_from, "p": price_usd_per_mwh},
    ).scalar_one()
    return int(version)
