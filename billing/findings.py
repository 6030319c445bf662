"""What finance should see before approving a cycle: findings from the recorded VEE report, the energy balance and
each tenant's amount against earlier months (pure: no I/O).

A finding has a stable `code` (`balance`, `negative_losses`, `vee_score`, `amount_change:<tenant>`,
`storage_export:<battery>`, `storage_unmetered:<battery>`): an override
names the code it accepts. Blocking findings keep Approve disabled, on the page and in `POST /cycles/{id}/approve`,
until a finance user records an override with a reason (`billing.review`).

Ratios are integer per-mille of a reference value, so the rules compare integers; VEE scores are the report's
two-decimal percentage text ("97.25"), compared in hundredths of a percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

__all__ = [
    "Finding",
    "ReviewLimits",
    "TenantFigures",
    "amount_change_findings",
    "balance_findings",
    "campus_changes",
    "change_permille",
    "effective_rate_usd_per_mwh",
    "estimated_share_pct",
    "open_blocking_findings",
    "score_hundredths",
    "storage_findings",
    "vee_findings",
]

SUPPLY_KEYS = ("generation_wh", "grid_import_wh", "storage_discharge_wh")


@dataclass(frozen=True)
class ReviewLimits:
    """The thresholds finance reviews against (Settings `WATTLEDGER_FINANCE_*`, docs/finance.md)."""

    balance_tolerance_permille: int  # losses beyond this share of supply: the balance does not close
    vee_score_min_hundredths: int  # campus VEE score below this (9500 = 95.00 %) blocks
    change_highlight_permille: int  # a tenant's figure changing more than this is highlighted
    amount_change_limit_permille: int  # a tenant's amount changing more than this blocks


@dataclass(frozen=True)
class TenantFigures:
    """One tenant in one cycle: energy (Wh), peak demand (W: its largest interval's energy over the interval's
    length, `billing.tenant_intervals`), the Wh VEE estimated, and its amount (micro-USD). Peak and estimated
    energy are None for a cycle settled before they were recorded."""

    energy_wh: int
    demand_w_max: int | None
    energy_wh_estimated: int | None
    amount_usd_micros: int
    demand_w_max_interval_start_utc: str | None = None  # ISO text: the start of the first interval at the peak


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    blocking: bool


def change_permille(current: int, previous: int | None) -> int | None:
    """The change from `previous` to `current` in per-mille of `previous`, rounded toward zero; None without a
    previous value or from zero (no ratio from nothing)."""
    if previous is None or previous == 0:
        return None
    return int(Decimal(current - previous) * 1000 / abs(Decimal(previous)))


def effective_rate_usd_per_mwh(amount_usd_micros: int, energy_wh: int) -> Decimal | None:
    """Amount over energy, USD per MWh to cents; micro-USD / Wh is USD / MWh (both factors are 10**6)."""
    if energy_wh == 0:
        return None
    return (Decimal(amount_usd_micros) / Decimal(energy_wh)).quantize(Decimal("0.01"))


def estimated_share_pct(energy_wh_estimated: int | None, energy_wh: int) -> Decimal | None:
    """Estimated Wh over the tenant's Wh as a percentage to two decimals (half-even); None when not recorded or
    without energy."""
    if energy_wh_estimated is None or energy_wh == 0:
        return None
    return (Decimal(energy_wh_estimated) * 100 / Decimal(energy_wh)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def score_hundredths(score_text: str) -> int:
    """The VEE report's score text ("97.25") in hundredths of a percent (9725)."""
    return int(Decimal(score_text) * 100)


def balance_findings(balance_wh: Mapping[str, int], limits: ReviewLimits) -> list[Finding]:
    """Losses are the settlement's residual: negative losses block, and so do losses beyond the tolerance."""
    supply_wh = sum(int(balance_wh.get(key, 0)) for key in SUPPLY_KEYS)
    losses_wh = int(balance_wh.get("losses_wh", 0))
    allowed_wh = supply_wh * limits.balance_tolerance_permille // 1000
    findings: list[Finding] = []
    if losses_wh < 0:
        findings.append(Finding("negative_losses", f"losses are negative ({_mwh(losses_wh)} MWh): metered uses "
                                "exceed generation, grid import and storage discharge", blocking=True))
    if abs(losses_wh) > allowed_wh:
        findings.append(Finding("balance", f"the energy balance does not close: losses {_mwh(losses_wh)} MWh, "
                                f"tolerance ±{_mwh(allowed_wh)} MWh ({limits.balance_tolerance_permille} ‰ of "
                                f"supply {_mwh(supply_wh)} MWh)", blocking=True))
    return findings


def storage_findings(storage_figures: Mapping[str, Mapping[str, int]]) -> list[Finding]:
    """Per priced battery (the settle step's `storage` figures, docs/storage.md): what the export took, billed to no
    tenant (information); energy discharged with no metered use or charged with no metered supply, a metering
    inconsistency the tenants' losses lines carry (blocking until finance accepts it with a reason)."""
    findings: list[Finding] = []
    for asset_id, figures in sorted(storage_figures.items()):
        exported_wh = int(figures.get("exported_wh", 0))
        if exported_wh:
            cost = int(figures.get("exported_cost_usd_micros", 0)) + int(figures.get("exported_losses_cost_usd_micros", 0))
            findings.append(Finding(
                f"storage_export:{asset_id}", f"{asset_id}: {_mwh(exported_wh)} MWh of battery discharge went to export "
                f"and {_mwh(int(figures.get('exported_losses_wh', 0)))} MWh of its losses with it, "
                f"{_usd(cost)} at the charging energy's cost: the campus's, billed to no tenant", blocking=False))
        unused_wh = int(figures.get("unmetered_discharge_wh", 0))
        unsourced_wh = int(figures.get("unmetered_charge_wh", 0))
        if unused_wh or unsourced_wh:
            findings.append(Finding(
                f"storage_unmetered:{asset_id}", f"{asset_id}: {_mwh(unused_wh)} MWh discharged with no metered use "
                f"(counted with the battery's losses, billed by its losses key) and {_mwh(unsourced_wh)} MWh charged "
                "with no metered supply (no cost): see the VEE report's storage findings", blocking=True))
    return findings


def _usd(amount_usd_micros: int) -> str:
    # Shown to the cent, half up, as the CLI prints money.
    cents = (Decimal(amount_usd_micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"${cents / 100:,.2f}"


VEE_METERS_NAMED_MAX = 3


def vee_findings(score_text: str | None, limits: ReviewLimits,
                 meter_scores: Mapping[str, str] | None = None) -> list[Finding]:
    """The campus VEE score under the minimum blocks; a cycle without a VEE report blocks too. The meters under
    the minimum are named, lowest first (a meter whose file was never sent scores 0.00)."""
    if score_text is None:
        return [Finding("vee_score", "no VEE report was recorded for this cycle", blocking=True)]
    if score_hundredths(score_text) < limits.vee_score_min_hundredths:
        minimum = Decimal(limits.vee_score_min_hundredths) / 100
        under = sorted((score_hundredths(score), meter_id) for meter_id, score in (meter_scores or {}).items()
                       if score_hundredths(score) < limits.vee_score_min_hundredths)
        named = ", ".join(f"{meter_id} {Decimal(hundredths) / 100:.2f}"
                          for hundredths, meter_id in under[:VEE_METERS_NAMED_MAX])
        more = f" and {len(under) - VEE_METERS_NAMED_MAX} more" if len(under) > VEE_METERS_NAMED_MAX else ""
        return [Finding("vee_score", f"VEE score {score_text} is under the minimum {minimum:.2f}"
                        + (f" (meters under it: {named}{more})" if under else ""), blocking=True)]
    return []


def amount_change_findings(current_usd_micros: Mapping[str, int], previous_usd_micros: Mapping[str, int],
                           limits: ReviewLimits) -> list[Finding]:
    """A tenant's amount changing more than the hard limit against the previous month blocks (tenants without a
    previous amount are new: shown, not blocking)."""
    findings: list[Finding] = []
    for tenant_id in sorted(current_usd_micros):
        change = change_permille(current_usd_micros[tenant_id], previous_usd_micros.get(tenant_id))
        if change is not None and abs(change) > limits.amount_change_limit_permille:
            findings.append(Finding(f"amount_change:{tenant_id}", f"{tenant_id}: amount changed {change / 10:+.1f} % "
                                    f"against last month (limit ±{limits.amount_change_limit_permille / 10:.1f} %)",
                                    blocking=True))
    return findings


def open_blocking_findings(findings: list[Finding], overridden_codes: set[str]) -> list[Finding]:
    return [finding for finding in findings if finding.blocking and finding.code not in overridden_codes]


def _mwh(energy_wh: int) -> str:
    return f"{Decimal(energy_wh) / 1_000_000:,.3f}"


def campus_changes(previous: Mapping[str, object] | None, current: Mapping[str, object]) -> list[str]:
    """New, removed, moved (another tenant) and exchanged (other attributes) meters, new and removed tenants,
    between the campus document the previous cycle used and this cycle's; empty without a previous one."""
    if previous is None:
        return []
    meters_before, meters_now = _by_id(previous.get("meters")), _by_id(current.get("meters"))
    tenants_before, tenants_now = _by_id(previous.get("tenants")), _by_id(current.get("tenants"))
    changes = [f"new tenant {tenant_id}" for tenant_id in sorted(tenants_now.keys() - tenants_before.keys())]
    changes += [f"tenant {tenant_id} left" for tenant_id in sorted(tenants_before.keys() - tenants_now.keys())]
    changes += [f"new meter {meter_id}" for meter_id in sorted(meters_now.keys() - meters_before.keys())]
    changes += [f"meter {meter_id} removed" for meter_id in sorted(meters_before.keys() - meters_now.keys())]
    for meter_id in sorted(meters_now.keys() & meters_before.keys()):
        before, now = meters_before[meter_id], meters_now[meter_id]
        if before.get("tenant") != now.get("tenant"):
            changes.append(f"meter {meter_id} moved from {before.get('tenant') or 'no tenant'} to "
                           f"{now.get('tenant') or 'no tenant'}")
        elif before != now:
            fields = sorted(key for key in before.keys() | now.keys() if before.get(key) != now.get(key))
            changes.append(f"meter {meter_id} exchanged or changed ({', '.join(fields)})")
    return changes


def _by_id(items: object) -> dict[str, Mapping[str, object]]:
    if not isinstance(items, list):
        return {}
    return {str(item["id"]): item for item in items if isinstance(item, Mapping) and "id" in item}
