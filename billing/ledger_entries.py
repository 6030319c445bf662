"""Turn a settlement into ledger entry legs: energy (MWH/6 = Wh), money (USD/6) and carbon (TCO2E/6); and the
entries that post the approved settlement with its invoices.

Pure functions. The energy legs make the period's energy balance a double-entry fact: supply
(generation, grid import) is credited, its uses (export, tenant and shared consumption, losses) are
debited, and the entry sums to zero only if the balance closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from invoicing import IssuedInvoice, invoices_ledger_meta
from ledger import EntryRequest, Leg, PostingRequest, unbalanced_asset
from ledger.accounts import (
    ASSET_ENERGY,
    ASSET_USD,
    campus_energy,
    campus_revenue,
    tenant_energy_consumption,
    tenant_receivable,
)

ENERGY_SUPPLY_ROLES = ("generation_wh", "grid_import_wh", "storage_discharge_wh")
ENERGY_USE_ROLES = ("export_wh", "shared_consumption_wh", "losses_wh", "storage_charge_wh")


def energy_legs(campus_id: str, balance_wh: Mapping[str, int], tenant_consumption_wh: Mapping[str, int]) -> list[Leg]:
    legs: list[Leg] = []
    for name in ENERGY_SUPPLY_ROLES:
        legs.append((campus_energy(campus_id, name.removesuffix("_wh")), ASSET_ENERGY, -balance_wh.get(name, 0)))
    for name in ENERGY_USE_ROLES:
        # Balances recorded before storage existed have no storage keys.
        legs.append((campus_energy(campus_id, name.removesuffix("_wh")), ASSET_ENERGY, balance_wh.get(name, 0)))
    for tenant_id, energy_wh in sorted(tenant_consumption_wh.items()):
        legs.append((tenant_energy_consumption(tenant_id), ASSET_ENERGY, energy_wh))
    return [leg for leg in legs if leg[2] != 0]


def money_legs(campus_id: str, tenant_totals_usd_micros: Mapping[str, int]) -> list[Leg]:
    legs: list[Leg] = [
        (tenant_receivable(tenant_id), ASSET_USD, amount)
        for tenant_id, amount in sorted(tenant_totals_usd_micros.items())
        if amount != 0
    ]
    total = sum(tenant_totals_usd_micros.values())
    if total != 0:
        legs.append((campus_revenue(campus_id, "energy"), ASSET_USD, -total))
    return legs


USD_MICROS_PER_CENT = 10_000


def invoice_rounding_legs(campus_id: str, settled_usd_micros: Mapping[str, int],
                          invoiced_usd_cents: Mapping[str, int]) -> list[Leg]:
    """Legs that bring each receivable from the exact settled micro-USD to the invoiced cents."""
    legs: list[Leg] = []
    for tenant_id, cents in sorted(invoiced_usd_cents.items()):
        difference = cents * USD_MICROS_PER_CENT - settled_usd_micros[tenant_id]
        assert abs(difference) <= USD_MICROS_PER_CENT // 2, f"{tenant_id}: invoice differs by more than half a cent"
        if difference != 0:
            legs.append((tenant_receivable(tenant_id), ASSET_USD, difference))
    total = sum(amount for _, _, amount in legs)
    if total != 0:
        legs.append((campus_revenue(campus_id, "rounding"), ASSET_USD, -total))
    return legs


def invoicing_entries(cycle_id: str, campus_id: str, pending_ledger_key: str, effective_at_utc: datetime,
                      issued: Sequence[IssuedInvoice], settled_usd_micros: Mapping[str, int],
                      approved_by: str = "") -> list[EntryRequest]:
    """The approved settlement's `post_pending` entry, then the rounding adjustment when any invoice rounded.

    The `post_pending` meta is the same few items for any number of tenants: who approved (the finance users whose
    signed decisions the workflow accepted, comma-separated, as the step `approval-v{n}` records them), and the
    invoices named by their count and one digest over their document hashes (docs/hashing.md). Entries posted
    before approvers were named carry `approved_by` empty; entries posted before the digest carry one
    `invoice:<id>:sha256` item per invoice instead.
    """
    meta = {"cycle_id": cycle_id, "approved_by": approved_by,
            **invoices_ledger_meta((invoice.invoice_id, invoice.document_sha256_hex) for invoice in issued)}
    entry = EntryRequest(
        idempotency_key=f"{pending_ledger_key}:post_pending",
        kind="post_pending",
        effective_at_utc=effective_at_utc,
        postings=[],
        meta=meta,
        ref_idempotency_key=pending_ledger_key,
    )
    rounding = invoice_rounding_legs(campus_id, settled_usd_micros,
                                     {invoice.tenant_id: invoice.total_usd_cents for invoice in issued})
    if not rounding:
        return [entry]
    return [entry, EntryRequest(
        idempotency_key=f"{entry.idempotency_key}:invoice_rounding",
        kind="adjustment",
        effective_at_utc=effective_at_utc,
        postings=[PostingRequest(path, asset, amount) for path, asset, amount in rounding],
        meta={"cycle_id": cycle_id, "reason_code": "invoice_rounding_to_cents"},
        ref_idempotency_key=entry.idempotency_key,
    )]


def assert_balanced(legs: Sequence[Leg]) -> None:
    """Paired assertion: the ledger checks the same invariant again before and after storage."""
    unbalanced = unbalanced_asset(legs)
    assert unbalanced is None, f"entry legs do not balance per asset: {unbalanced}"
