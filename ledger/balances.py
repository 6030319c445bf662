"""Balances as of a seq, a recorded time or an effective time; trial balance; tenant statement.

As of a seq (or a recorded time, which maps to the last seq recorded by then) the running balances
stored with each posting give one index probe per account. As of an effective time the postings are
summed, because business time is not ordered like seq (backdated corrections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from ledger import repository as repo
from ledger.accounts import tenant_prefix
from ledger.posting_rules import POSTED_KINDS

POSTED_KINDS_SQL = "(" + ",".join(f"'{kind}'" for kind in sorted(POSTED_KINDS)) + ")"
STATEMENT_LINES_MAX = 100_000


@dataclass(frozen=True)
class AccountBalance:
    path: str
    asset_code: str
    normal_side: str
    posted_minor: int  # signed: + debit / - credit
    pending_debits_minor: int
    pending_credits_minor: int

    @property
    def normal_balance_minor(self) -> int:
        """Posted balance seen from the account's normal side (positive = the usual direction)."""
        return self.posted_minor if self.normal_side == "debit" else -self.posted_minor


@dataclass(frozen=True)
class TrialBalanceLine:
    asset_code: str
    debit_balances_minor: int
    credit_balances_minor: int

    @property
    def balanced(self) -> bool:
        return self.debit_balances_minor == self.credit_balances_minor


def seq_at_recorded(conn: Connection, ledger_id: int, recorded_at_utc: datetime) -> int:
    seq = conn.execute(
        text("SELECT max(seq) FROM ledger_entry WHERE ledger_id = :l AND recorded_at_utc <= :t"),
        {"l": ledger_id, "t": recorded_at_utc},
    ).scalar()
    return int(seq or 0)


def balances(
    conn: Connection, origin: str, *, as_of_seq: int | None = None, as_of_recorded_utc: datetime | None = None,
    as_of_effective_utc: datetime | None = None, path_prefix: str = "",
) -> list[AccountBalance]:
    """Balances of every account whose path starts with `path_prefix`; at most one `as_of_*`."""
    assert sum(value is not None for value in (as_of_seq, as_of_recorded_utc, as_of_effective_utc)) <= 1
    ledger_id = repo.ledger_id_for(conn, origin)
    if as_of_effective_utc is not None:
        return _balances_effective(conn, ledger_id, as_of_effective_utc, path_prefix)
    if as_of_recorded_utc is not None:
        as_of_seq = seq_at_recorded(conn, ledger_id, as_of_recorded_utc)
    rows = conn.execute(
        text(
            "SELECT a.path, a.asset_code, a.normal_side, coalesce(p.posted_after_minor, 0) AS posted,"
            " coalesce(p.pending_debits_after_minor, 0) AS pending_debits,"
            " coalesce(p.pending_credits_after_minor, 0) AS pending_credits"
            " FROM ledger_account a LEFT JOIN LATERAL (SELECT posted_after_minor, pending_debits_after_minor,"
            "   pending_credits_after_minor FROM ledger_posting WHERE account_id = a.account_id"
            "   AND (CAST(:seq AS bigint) IS NULL OR seq <= :seq) ORDER BY seq DESC, idx DESC LIMIT 1) p ON true"
            " WHERE a.ledger_id = :l AND starts_with(a.path, :prefix)"
            "   AND (CAST(:seq AS bigint) IS NULL OR a.opened_seq <= :seq)"
            " ORDER BY a.path, a.asset_code"
        ),
        {"l": ledger_id, "seq": as_of_seq, "prefix": path_prefix},
    ).all()
    return [_balance(row) for row in rows]


def _balances_effective(conn: Connection, ledger_id: int, as_of: datetime, prefix: str) -> list[AccountBalance]:
    # Pending movements effective by `as_of`, minus resolutions effective by then.
    rows = conn.execute(
        text(
            "SELECT a.path, a.asset_code, a.normal_side,"
            f" coalesce(sum(p.amount_minor) FILTER (WHERE e.kind IN {POSTED_KINDS_SQL}), 0) AS posted,"
            " coalesce(sum(p.amount_minor) FILTER (WHERE e.kind = 'pending' AND p.amount_minor > 0), 0)"
            " - coalesce(sum(p.amount_minor) FILTER (WHERE e.kind IN ('post_pending','void_pending')"
            "   AND p.amount_minor > 0), 0) AS pending_debits,"
            " - coalesce(sum(p.amount_minor) FILTER (WHERE e.kind = 'pending' AND p.amount_minor < 0), 0)"
            " + coalesce(sum(p.amount_minor) FILTER (WHERE e.kind IN ('post_pending','void_pending')"
            "   AND p.amount_minor < 0), 0) AS pending_credits"
            " FROM ledger_account a LEFT JOIN (ledger_posting p JOIN ledger_entry e"
            "   ON e.ledger_id = p.ledger_id AND e.seq = p.seq AND e.effective_at_utc <= :t)"
            "   ON p.account_id = a.account_id"
            " WHERE a.ledger_id = :l AND starts_with(a.path, :prefix)"
            " GROUP BY a.path, a.asset_code, a.normal_side ORDER BY a.path, a.asset_code"
        ),
        {"l": ledger_id, "t": as_of, "prefix": prefix},
    ).all()
    return [_balance(row) for row in rows]


def _balance(row: Any) -> AccountBalance:
    return AccountBalance(row.path, row.asset_code, row.normal_side, int(row.posted), int(row.pending_debits),
                          int(row.pending_credits))


def trial_balance(conn: Connection, origin: str, *, as_of_seq: int | None = None) -> list[TrialBalanceLine]:
    """Per asset: the sum of debit balances and of credit balances (posted); equal in a sound ledger."""
    totals: dict[str, list[int]] = {}
    for balance in balances(conn, origin, as_of_seq=as_of_seq):
        line = totals.setdefault(balance.asset_code, [0, 0])
        if balance.posted_minor > 0:
            line[0] += balance.posted_minor
        else:
            line[1] -= balance.posted_minor
    return [TrialBalanceLine(asset, debit, credit) for asset, (debit, credit) in sorted(totals.items())]


@dataclass(frozen=True)
class StatementLine:
    seq: int
    kind: str
    effective_at_utc: datetime
    account_path: str
    asset_code: str
    amount_minor: int
    meta: dict[str, str]


@dataclass(frozen=True)
class TenantStatement:
    tenant_id: str
    from_utc: datetime
    to_utc: datetime
    opening: list[AccountBalance]
    lines: list[StatementLine]
    closing: list[AccountBalance]


def tenant_statement(conn: Connection, origin: str, tenant_id: str, from_utc: datetime, to_utc: datetime) -> TenantStatement:
    """Posted movements of the accounts under `tenant:<id>:` effective in [from_utc, to_utc)."""
    ledger_id = repo.ledger_id_for(conn, origin)
    prefix = tenant_prefix(tenant_id)
    rows = conn.execute(
        text(
            "SELECT e.seq, e.kind, e.effective_at_utc, a.path, p.asset_code, p.amount_minor, e.canonical"
            " FROM ledger_posting p JOIN ledger_account a ON a.account_id = p.account_id"
            " JOIN ledger_entry e ON e.ledger_id = p.ledger_id AND e.seq = p.seq"
            f" WHERE p.ledger_id = :l AND starts_with(a.path, :prefix) AND e.kind IN {POSTED_KINDS_SQL}"
            "   AND e.effective_at_utc >= :f AND e.effective_at_utc < :t"
            " ORDER BY e.effective_at_utc, e.seq, p.idx LIMIT :limit"
        ),
        {"l": ledger_id, "prefix": prefix, "f": from_utc, "t": to_utc, "limit": STATEMENT_LINES_MAX},
    ).all()
    lines = [
        StatementLine(int(r.seq), r.kind, r.effective_at_utc, r.path, r.asset_code, int(r.amount_minor),
                      json.loads(bytes(r.canonical))["meta"])
        for r in rows
    ]
    opening = _just_before(conn, origin, from_utc, prefix)
    closing = _just_before(conn, origin, to_utc, prefix)
    return TenantStatement(tenant_id, from_utc, to_utc, opening, lines, closing)


def _just_before(conn: Connection, origin: str, instant: datetime, prefix: str) -> list[AccountBalance]:
    # Half-open periods: "as of effective t" includes t itself, so step back one microsecond.
    return balances(conn, origin, as_of_effective_utc=instant - timedelta(microseconds=1), path_prefix=prefix)
