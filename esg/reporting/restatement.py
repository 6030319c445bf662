"""Restatement: what changed between two results for the same cycle, and the ledger legs that carry the change.

A changed input (a meter correction, a new factor edition, a newly claimed certificate) produces a new result
version; the ledger is corrected by posting the difference of the two sets of carbon legs, never by editing
the original entry. The delta legs balance because both sets balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from esg.scopes import CycleEmissions, carbon_ledger_postings

CAMPUS_FIGURES = (
    "campus_scope1_g_co2e",
    "campus_scope2_location_g_co2e",
    "campus_scope2_market_g_co2e",
    "campus_scope2_market_hourly_g_co2e",
    "campus_scope3_cat3_g_co2e",
    "campus_scope1_shared_services_g_co2e",
)


@dataclass(frozen=True)
class EmissionsDelta:
    """current - previous, per campus figure and per tenant figure (grams CO2e); zero entries left out."""

    campus_g_co2e: dict[str, int]
    tenant_g_co2e: dict[str, dict[str, int]]
    ledger_legs: list[tuple[str, str, int]]
    factor_edition_change: tuple[str, str] | None
    factor_refs_added: list[str] = field(default_factory=list)
    factor_refs_removed: list[str] = field(default_factory=list)
    intervals_changed: bool = False
    # |change| / previous figure in parts per million, per campus figure that changed (previous 0: omitted).
    campus_change_ppm: dict[str, int] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.campus_g_co2e and not self.tenant_g_co2e and not self.ledger_legs

    def is_significant(self, threshold_ppm: int) -> bool:
        """Whether any campus figure moved by at least the entity's significance threshold (e.g. 50,000 = 5 %).

        The Corporate Standard leaves the threshold to the reporting entity's recalculation policy, so it is a
        parameter; a figure that was zero and is not now is always significant.
        """
        grew_from_zero = any(name not in self.campus_change_ppm for name in self.campus_g_co2e)
        return grew_from_zero or any(ppm >= threshold_ppm for ppm in self.campus_change_ppm.values())


def restatement_delta(previous: CycleEmissions, current: CycleEmissions, campus_id: str) -> EmissionsDelta:
    campus = {
        name: getattr(current, name) - getattr(previous, name)
        for name in CAMPUS_FIGURES
        if getattr(current, name) != getattr(previous, name)
    }
    tenants: dict[str, dict[str, int]] = {}
    for tenant_id in sorted(set(previous.tenant_g_co2e) | set(current.tenant_g_co2e)):
        before = previous.tenant_g_co2e.get(tenant_id, {})
        after = current.tenant_g_co2e.get(tenant_id, {})
        changes = {k: after.get(k, 0) - before.get(k, 0) for k in sorted(set(before) | set(after))}
        changes = {k: v for k, v in changes.items() if v}
        if changes:
            tenants[tenant_id] = changes
    edition_change = (
        (previous.factor_edition, current.factor_edition)
        if previous.factor_edition != current.factor_edition
        else None
    )
    return EmissionsDelta(
        campus_g_co2e=campus,
        tenant_g_co2e=tenants,
        ledger_legs=delta_ledger_postings(previous, current, campus_id),
        factor_edition_change=edition_change,
        factor_refs_added=sorted(set(current.factor_refs) - set(previous.factor_refs)),
        factor_refs_removed=sorted(set(previous.factor_refs) - set(current.factor_refs)),
        intervals_changed=previous.inputs["intervals_file_sha256"] != current.inputs["intervals_file_sha256"],
        campus_change_ppm={
            name: _ppm(abs(change), getattr(previous, name))
            for name, change in campus.items()
            if getattr(previous, name)
        },
    )


def _ppm(change_g: int, previous_g: int) -> int:
    # Floor: a change counts as reaching a threshold only when it truly does.
    return change_g * 1_000_000 // previous_g


def delta_ledger_postings(
    previous: CycleEmissions, current: CycleEmissions, campus_id: str
) -> list[tuple[str, str, int]]:
    """Legs of `current` minus legs of `previous`, per (account, asset); they sum to zero."""
    net: dict[tuple[str, str], int] = {}
    for account, asset, amount in carbon_ledger_postings(current, campus_id):
        net[(account, asset)] = net.get((account, asset), 0) + amount
    for account, asset, amount in carbon_ledger_postings(previous, campus_id):
        net[(account, asset)] = net.get((account, asset), 0) - amount
    legs = [(account, asset, amount) for (account, asset), amount in sorted(net.items()) if amount]
    assert sum(amount for _, _, amount in legs) == 0, "delta legs must balance"
    return legs
