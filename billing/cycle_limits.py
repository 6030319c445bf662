"""How large a campus one cycle settles and invoices, checked before a step writes anything.

The bound comes from the ledger: a cycle's settlement is one `pending` entry whose legs grow with the tenants
(ledger.POSTINGS_PER_ENTRY_MAX), and approval posts it whole. Nothing else in the settle and invoice steps grows
with the campus inside a bounded structure: the entries' meta is a fixed set of names (the invoices are named
by one digest, `invoicing.invoices_ledger_meta`), and meters only add rows, never legs. docs/ledger-spec.md §10
lists the limits.
"""

from __future__ import annotations

from common.errors import BadInput
from ledger import POSTINGS_PER_ENTRY_MAX

TENANTS_PER_CYCLE_MAX = 10_000
# Per tenant: energy consumption, receivable, and three carbon legs (Scope 2, Scope 3 cat. 3, shared services).
LEGS_PER_TENANT_MAX = 5
# Per campus: five energy roles, revenue, four carbon sources, three per retained-carbon reason, with room.
LEGS_PER_CAMPUS_MAX = 100
assert TENANTS_PER_CYCLE_MAX * LEGS_PER_TENANT_MAX + LEGS_PER_CAMPUS_MAX <= POSTINGS_PER_ENTRY_MAX


class CycleTooLarge(BadInput):
    """The campus has more tenants than one cycle's ledger entries carry; nothing was written."""

    def __init__(self, campus_id: str, tenant_count: int) -> None:
        super().__init__(f"campus {campus_id}", None, "tenants",
                         f"{tenant_count} tenants; one billing cycle settles and invoices at most "
                         f"{TENANTS_PER_CYCLE_MAX} (docs/ledger-spec.md §10)")


def check_tenant_count(campus_id: str, tenant_count: int) -> None:
    if tenant_count > TENANTS_PER_CYCLE_MAX:
        raise CycleTooLarge(campus_id, tenant_count)
