"""Reads for the finance pages (caller's connection; read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

# A campus has tens of tenants with a handful of lines each; the page shows at most this many lines.
SETTLEMENT_LINES_MAX = 2000


@dataclass(frozen=True)
class SettlementLineView:
    """`quantity` is in the line's `unit` (Wh for MWh lines, W for kW-month, a count otherwise)."""

    line_no: int
    tenant_id: str
    description: str
    quantity: int
    unit: str
    rate_usd_per_unit: Decimal
    amount_usd_micros: int


@dataclass(frozen=True)
class TenantTotal:
    tenant_id: str
    energy_wh: int  # MWh-unit lines only: demand and fixed charges are not energy
    amount_usd_micros: int
    line_count: int


def settlement_lines(conn: Connection, cycle_id: str) -> list[SettlementLineView]:
    rows = conn.execute(
        text("SELECT line_no, tenant_id, description, quantity_wh, coalesce(unit, 'MWh'), rate_usd_per_mwh, "
             "amount_usd_micros FROM settlement_line_full WHERE cycle_id = :id ORDER BY line_no LIMIT :rows_max"),
        {"id": cycle_id, "rows_max": SETTLEMENT_LINES_MAX},
    ).all()
    return [SettlementLineView(*row) for row in rows]


def tenant_totals(conn: Connection, cycle_id: str) -> list[TenantTotal]:
    rows = conn.execute(
        text("SELECT tenant_id, coalesce(sum(quantity_wh) FILTER (WHERE coalesce(unit, 'MWh') = 'MWh'), 0), "
             "sum(amount_usd_micros), count(*) FROM settlement_line_full "
             "WHERE cycle_id = :id GROUP BY tenant_id ORDER BY tenant_id"), {"id": cycle_id},
    ).all()
    return [TenantTotal(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows]
