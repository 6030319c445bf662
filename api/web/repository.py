"""Reads for the finance pages (caller's connection; read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


CYCLE_SORTS = {  # the list's sort keys -> SQL, a fixed set (never the request's text in the query)
    "updated": "c.updated_at_utc DESC, c.cycle_id",
    "period": "c.period DESC, c.campus_id",
    "campus": "campus.name, c.period DESC",
    "amount": "total_usd_micros DESC NULLS LAST, c.cycle_id",
    "status": "c.status, c.updated_at_utc DESC",
}


@dataclass(frozen=True)
class CycleFilter:
    """The finance list's query: a search text (cycle, campus id or name), exact state, campus and period."""

    search: str = ""
    status: str = ""
    campus_id: str = ""
    period: str = ""
    sort: str = "updated"
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class CycleRow:
    cycle_id: str
    campus_id: str
    campus_name: str
    period: str
    status: str
    status_detail: str | None
    updated_at_utc: datetime
    total_usd_micros: int | None  # the settled total; None before settlement


def find_cycles(conn: Connection, query: CycleFilter) -> tuple[list[CycleRow], int]:
    """One page of cycles matching `query`, and how many match in all."""
    assert query.sort in CYCLE_SORTS and query.page >= 1 and query.page_size >= 1
    rows = conn.execute(
        text("SELECT c.cycle_id, c.campus_id, campus.name, c.period, c.status, c.status_detail, c.updated_at_utc,"
             " (s.result_json->>'total_usd_micros')::bigint AS total_usd_micros, count(*) OVER () AS matching"
             " FROM billing_cycle c JOIN campus ON campus.campus_id = c.campus_id"
             " LEFT JOIN cycle_step s ON s.cycle_id = c.cycle_id AND s.step = 'settle'"
             " WHERE (:search = '' OR c.cycle_id ILIKE :like OR campus.name ILIKE :like OR c.campus_id ILIKE :like)"
             " AND (:status = '' OR c.status = :status) AND (:campus = '' OR c.campus_id = :campus)"
             " AND (:period = '' OR c.period = :period)"
             f" ORDER BY {CYCLE_SORTS[query.sort]} LIMIT :limit OFFSET :offset"),
        {"search": query.search, "like": f"%{_like_escaped(query.search)}%", "status": query.status,
         "campus": query.campus_id, "period": query.period, "limit": query.page_size,
         "offset": (query.page - 1) * query.page_size},
    ).all()
    matching = int(rows[0][-1]) if rows else 0
    return [CycleRow(*row[:-1]) for row in rows], matching


def campus_names(conn: Connection) -> dict[str, str]:
    return {row[0]: row[1] for row in conn.execute(text("SELECT campus_id, name FROM campus ORDER BY name")).all()}


def _like_escaped(search: str) -> str:
    return search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
