"""A 5,000-tenant cycle's ledger entries through PostgreSQL: pending settlement, approval with its invoices'
digest, the invoice-rounding adjustment; then the live audit and the standalone verifier on the export.

The entries are the ones the billing cycle builds (`billing.ledger_entries`) for a campus 80 times larger than
the 62 tenants the old per-invoice meta allowed: 25,000 legs in one entry, a fixed four-item meta. How long it
takes is measured by `bench/ledger.py`, not asserted here (a shared machine's load would make it flaky)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from billing.ledger_entries import energy_legs, invoicing_entries, money_legs
from invoicing import IssuedInvoice
from ledger import EntryRequest, PostingRequest, append_entries, export_ledger, open_accounts, verify_ledger
from ledger.accounts import ASSET_CARBON, account_spec, campus_emissions, tenant_emissions
from ledger.verifier.__main__ import main as verify_export

TENANT_COUNT = 5_000
CAMPUS_ID = "campus-5000"
CYCLE_ID = f"cycle:{CAMPUS_ID}:2026-10"
PENDING_KEY = f"{CYCLE_ID}:settlement:v1"
PERIOD_END_UTC = datetime(2026, 11, 1, 5, tzinfo=UTC)


def test_a_5000_tenant_cycle_posts_and_verifies(engine: Engine, origin: str, tmp_path: Path) -> None:
    tenants = [f"tenant-{index:05d}" for index in range(TENANT_COUNT)]
    consumption_wh = {tenant_id: 2_000_000 + index for index, tenant_id in enumerate(tenants)}
    used_wh = sum(consumption_wh.values())
    balance_wh = {"generation_wh": used_wh // 2, "grid_import_wh": used_wh - used_wh // 2 + 9_000, "export_wh": 0,
                  "shared_consumption_wh": 5_000, "losses_wh": 4_000}
    settled_usd_micros = {tenant_id: 120_000_000 + index * 3_333 for index, tenant_id in enumerate(tenants)}
    legs = energy_legs(CAMPUS_ID, balance_wh, consumption_wh) + money_legs(CAMPUS_ID, settled_usd_micros)
    for tenant_id in tenants:
        legs += [(tenant_emissions(tenant_id), ASSET_CARBON, 800), (tenant_emissions(tenant_id, "scope3_cat3"),
                 ASSET_CARBON, 90), (tenant_emissions(tenant_id, "scope3_shared_services"), ASSET_CARBON, 10)]
    legs.append((campus_emissions(CAMPUS_ID, "scope2"), ASSET_CARBON, -900 * TENANT_COUNT))
    pending = EntryRequest(idempotency_key=PENDING_KEY, kind="pending", effective_at_utc=PERIOD_END_UTC,
                           postings=[PostingRequest(*leg) for leg in legs], meta={"cycle_id": CYCLE_ID})
    issued = [IssuedInvoice(f"{CAMPUS_ID}-{index + 1:06d}", index + 1, tenant_id,
                            (settled_usd_micros[tenant_id] + 5_000) // 10_000,
                            hashlib.sha256(tenant_id.encode()).hexdigest(), None, True)
              for index, tenant_id in enumerate(tenants)]
    approval = invoicing_entries(CYCLE_ID, CAMPUS_ID, PENDING_KEY, PERIOD_END_UTC, issued, settled_usd_micros)
    assert len(pending.postings) > 5 * TENANT_COUNT and len(approval) == 2

    rounding = [(leg.account_path, leg.asset_code) for leg in approval[1].postings]
    specs = {pair: account_spec(*pair) for pair in [(path, asset) for path, asset, _ in legs] + rounding}
    with engine.begin() as conn:
        open_accounts(conn, origin, list(specs.values()))
        append_entries(conn, origin, [pending])
    with engine.begin() as conn:
        results = append_entries(conn, origin, approval)
    assert [result.idempotency_hit for result in results] == [False, False]
    with engine.begin() as conn:
        again = append_entries(conn, origin, approval)
    assert [result.idempotency_hit for result in again] == [True, True], "a retried approval posts once"

    with engine.connect() as conn:
        report = verify_ledger(conn, origin)
        export_ledger(conn, origin, tmp_path / "export")
    assert report.ok, report
    assert verify_export([str(tmp_path / "export"), "--trust-export-keys"]) == 0  # no checkpoint: no key to trust
