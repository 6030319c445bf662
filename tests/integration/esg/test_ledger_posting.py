"""Carbon legs post into the real ledger next to money and energy legs, with factor and meter hashes in meta,
and a restatement posts as an adjustment carrying only the delta; balances then equal the restated figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from esg.reporting import delta_ledger_postings
from esg.scopes import carbon_account_specs, carbon_ledger_meta, carbon_ledger_postings, compute_campus_cycle

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=1)


def test_settlement_entry_with_carbon_legs_then_restatement_adjustment(engine, campus_id, intervals_file):
    """Entry 1: USD + TCO2E legs as settled (1 MWh); adjustment: a corrected read (1.1 MWh) minus the settled one;
    alpha ends at 369,639 g. (An edition applies only to the year it is valid for, so a restatement of this
    July 2025 cycle keeps wl-2025.1.)"""
    from ledger import EntryRequest, PostingRequest, append_entries, ensure_ledger, open_accounts
    from ledger.model import AccountSpec

    origin = f"test.esg/{uuid.uuid4().hex[:10]}"
    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    corrected_uri = intervals_file([("GRID1", START, 1_100_000), ("TA", START, 1_100_000)])
    with engine.begin() as conn:
        old = compute_campus_cycle(conn, campus_id, uri, "ERCT", START, END, "wl-2025.1")
        new = compute_campus_cycle(conn, campus_id, corrected_uri, "ERCT", START, END, "wl-2025.1")
        legs = carbon_ledger_postings(old, campus_id)
        ensure_ledger(conn, origin)
        money = [
            AccountSpec("tenant:alpha:receivable", "USD/6", "debit"),
            AccountSpec(f"campus:{campus_id}:revenue", "USD/6", "credit"),
        ]
        open_accounts(
            conn, origin, money + carbon_account_specs(legs + carbon_ledger_postings(new, campus_id))
        )
        settlement = EntryRequest(
            idempotency_key=f"settle:{campus_id}:2025-07",
            effective_at_utc=START,
            postings=[
                PostingRequest("tenant:alpha:receivable", "USD/6", 50_000_000),
                PostingRequest(f"campus:{campus_id}:revenue", "USD/6", -50_000_000),
            ]
            + [PostingRequest(account, asset, amount) for account, asset, amount in legs],
            meta={"cycle_id": f"cycle:{campus_id}:2025-07", **carbon_ledger_meta(old)},
        )
        delta = delta_ledger_postings(old, new, campus_id)
        adjustment = EntryRequest(
            idempotency_key=f"restate:{campus_id}:2025-07:v2",
            kind="adjustment",
            effective_at_utc=START,
            ref_idempotency_key=settlement.idempotency_key,
            postings=[PostingRequest(account, asset, amount) for account, asset, amount in delta],
            meta={"reason_code": "esg_restatement", **carbon_ledger_meta(new)},
        )
        appended = append_entries(conn, origin, [settlement, adjustment])
        balance = conn.execute(
            text(
                "SELECT sum(p.amount_minor) FROM ledger_posting p JOIN ledger_account a USING (account_id)"
                " WHERE a.path = 'tenant:alpha:emissions' AND a.asset_code = 'TCO2E/6'"
                " AND a.ledger_id = (SELECT ledger_id FROM ledger WHERE origin = :origin)"
            ),
            {"origin": origin},
        ).scalar_one()
    assert len(appended) == 2
    # eGRID2023 1 MWh: 740.832 lb x 453.59237 = 336,035.74 g -> 336,036; 1.1 MWh: 369,639.32 g -> 369,639.
    assert {a: n for a, _, n in legs}["tenant:alpha:emissions"] == 336_036
    assert {a: n for a, _, n in delta}["tenant:alpha:emissions"] == 369_639 - 336_036
    assert balance == 369_639
