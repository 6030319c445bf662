"""Reads for the finance pages (caller's connection; read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

from invoicing import ADJUSTMENT_LINE_BASE

# A campus has tens of tenants with a handful of lines each; the page shows at most this many lines.
SETTLEMENT_LINES_MAX = 2000

# The settled lines and every delta-settlement revision's adjustments: what the invoices will bill.
LINES_SQL = """
SELECT line_no, tenant_id, description, quantity_wh AS quantity, coalesce(unit, 'MWh') AS unit,
       rate_usd_per_mwh AS rate, amount_usd_micros
FROM settlement_line_full WHERE cycle_id = :id
UNION ALL
SELECT revision * :base + line_no, tenant_id, description || ' (revision ' || revision || ' adjustment)',
       quantity_wh_delta, unit, rate_usd_per_mwh, amount_usd_micros_delta
FROM settlement_adjustment
WHERE cycle_id = :id AND (quantity_wh_delta <> 0 OR amount_usd_micros_delta <> 0)
"""


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
        text(f"SELECT line_no, tenant_id, description, quantity, unit, rate, amount_usd_micros FROM ({LINES_SQL}) "
             "AS lines ORDER BY line_no LIMIT :rows_max"),
        {"id": cycle_id, "rows_max": SETTLEMENT_LINES_MAX, "base": ADJUSTMENT_LINE_BASE},
    ).all()
    return [SettlementLineView(*row) for row in rows]


def tenant_totals(conn: Connection, cycle_id: str) -> list[TenantTotal]:
    rows = conn.execute(
        text("SELECT tenant_id, coalesce(sum(quantity) FILTER (WHERE unit = 'MWh'), 0), sum(amount_usd_micros), "
             f"count(*) FROM ({LINES_SQL}) AS lines GROUP BY tenant_id ORDER BY tenant_id"),
        {"id": cycle_id, "base": ADJUSTMENT_LINE_BASE},
    ).all()
    return [TenantTotal(row[0], int(row[1]), int(row[2]), int(row[3])) for row in rows]
