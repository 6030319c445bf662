"""A cycle's ledger entries fit the ledger's request limits for any campus up to the cycle's tenant limit.

The approval's `post_pending` entry once carried one meta item per invoice and so refused any campus with more
than 62 tenants; it now carries a count and one digest. The settlement's pending entry has up to five legs per
tenant. Both are checked here, as the ledger checks them before writing, for up to 5,000 tenants (and at the
limit), and the digest is recomputed from the invoices the way docs/hashing.md tells an auditor to.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.cycle_limits import TENANTS_PER_CYCLE_MAX, CycleTooLarge, check_tenant_count
from billing.ledger_entries import energy_legs, invoicing_entries, money_legs
from invoicing import IssuedInvoice
from ledger import META_ENTRIES_MAX, EntryRequest, PostingRequest, check_entry_request
from ledger.accounts import ASSET_CARBON, campus_emissions, tenant_emissions
from ledger.errors import InvalidEntryRequest

CYCLE_ID = "cycle:big-campus:2026-10"
PENDING_KEY = f"{CYCLE_ID}:settlement:v1"
PERIOD_END_UTC = datetime(2026, 11, 1, 5, tzinfo=UTC)


def _cycle(tenant_count: int, seed: int) -> tuple[list[IssuedInvoice], dict[str, int]]:
    """Issued invoices and the exact settled totals they round (up to half a cent either way)."""
    rng = random.Random(seed)
    issued, settled_usd_micros = [], {}
    for index in range(tenant_count):
        tenant_id = f"tenant-{index:05d}"
        cents = rng.randrange(1, 10**9)
        settled_usd_micros[tenant_id] = cents * 10_000 + rng.randrange(-5_000, 5_000)
        sha256_hex = hashlib.sha256(tenant_id.encode()).hexdigest()
        issued.append(IssuedInvoice(f"big-campus-{index + 1:06d}", index + 1, tenant_id, cents, sha256_hex,
                                    None, True))
    return issued, settled_usd_micros


@settings(max_examples=12, deadline=None)
@given(tenant_count=st.one_of(st.integers(1, 300), st.sampled_from([62, 63, 64, 65, 1_000, 5_000])),
       seed=st.integers(0, 2**32))
def test_invoicing_entries_are_accepted_for_any_campus_size(tenant_count: int, seed: int) -> None:
    issued, settled_usd_micros = _cycle(tenant_count, seed)
    entries = invoicing_entries(CYCLE_ID, "big-campus", PENDING_KEY, PERIOD_END_UTC, issued, settled_usd_micros)
    for entry in entries:
        check_entry_request(entry)  # raises InvalidEntryRequest as append_entries would
    post_pending = entries[0]
    assert post_pending.kind == "post_pending" and len(post_pending.meta) == 4 < META_ENTRIES_MAX
    assert post_pending.meta["invoices_count"] == str(tenant_count)
    assert len(entries) == 1 or len(entries[1].postings) <= tenant_count + 1


def test_the_invoices_digest_is_what_an_auditor_recomputes_from_the_documents() -> None:
    """docs/hashing.md: JCS of {invoice id: document sha256 hex}, hashed; the C encoder's sorted compact JSON
    is the same bytes for these ASCII keys."""
    issued, settled_usd_micros = _cycle(5, seed=3)
    entry = invoicing_entries(CYCLE_ID, "big-campus", PENDING_KEY, PERIOD_END_UTC, issued, settled_usd_micros)[0]
    mapping = {invoice.invoice_id: invoice.document_sha256_hex for invoice in reversed(issued)}
    recomputed = hashlib.sha256(json.dumps(mapping, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert entry.meta["invoices_sha256"] == recomputed
    changed = [IssuedInvoice(i.invoice_id, i.number, i.tenant_id, i.total_usd_cents, "0" * 64, None, True)
               if i.number == 3 else i for i in issued]
    again = invoicing_entries(CYCLE_ID, "big-campus", PENDING_KEY, PERIOD_END_UTC, changed, settled_usd_micros)[0]
    assert again.meta["invoices_sha256"] != recomputed, "one changed document changes the digest"


@pytest.mark.parametrize("tenant_count", [5_000, TENANTS_PER_CYCLE_MAX])
def test_the_settlement_pending_entry_fits_up_to_the_tenant_limit(tenant_count: int) -> None:
    """Energy, receivable and three carbon legs per tenant, plus the campus's own legs, in one entry."""
    tenants = [f"tenant-{index:05d}" for index in range(tenant_count)]
    consumption_wh = {tenant_id: 1_000_000 + index for index, tenant_id in enumerate(tenants)}
    used_wh = sum(consumption_wh.values())
    balance_wh = {"generation_wh": used_wh // 2, "grid_import_wh": used_wh - used_wh // 2 + 7, "export_wh": 0,
                  "shared_consumption_wh": 4, "losses_wh": 3}
    legs = energy_legs("big-campus", balance_wh, consumption_wh)
    legs += money_legs("big-campus", {tenant_id: 123_456_789 for tenant_id in tenants})
    for tenant_id in tenants:
        legs += [(tenant_emissions(tenant_id), ASSET_CARBON, 11), (tenant_emissions(tenant_id, "scope3_cat3"),
                 ASSET_CARBON, 2), (tenant_emissions(tenant_id, "scope3_shared_services"), ASSET_CARBON, 1)]
    legs.append((campus_emissions("big-campus", "scope2"), ASSET_CARBON, -14 * tenant_count))
    check_entry_request(EntryRequest(idempotency_key=PENDING_KEY, kind="pending", effective_at_utc=PERIOD_END_UTC,
                                     postings=[PostingRequest(*leg) for leg in legs], meta={"cycle_id": CYCLE_ID}))


def test_a_campus_above_the_limit_is_refused_by_name_before_anything_is_written() -> None:
    check_tenant_count("big-campus", TENANTS_PER_CYCLE_MAX)
    with pytest.raises(CycleTooLarge) as refused:
        check_tenant_count("big-campus", TENANTS_PER_CYCLE_MAX + 1)
    assert refused.value.field == "tenants" and str(TENANTS_PER_CYCLE_MAX) in refused.value.reason


def test_meta_stays_bounded() -> None:
    """The bound the old per-invoice meta hit is still there for anything that grows: it is not the way to
    record per-tenant facts."""
    meta = {f"invoice:{index}:sha256": "0" * 64 for index in range(META_ENTRIES_MAX + 1)}
    with pytest.raises(InvalidEntryRequest, match="at most 64 items"):
        check_entry_request(EntryRequest(idempotency_key=f"{PENDING_KEY}:post_pending", kind="post_pending",
                                         effective_at_utc=PERIOD_END_UTC, meta=meta, ref_idempotency_key=PENDING_KEY))
