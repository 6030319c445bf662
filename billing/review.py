"""Finance's review of a cycle before its decision: what the cycle recorded (VEE report, energy balance, tenant
totals and usage, campus version), compared with the previous month and the same month last year, the findings
(`billing.findings`), their overrides and the decisions taken.

Everything is read from recorded steps and the campus history through their repositories; nothing recomputes a
settlement. The API's approve route and the finance page both call `open_findings`, so the page's disabled
button and the server's 409 follow one rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine

from billing import repository as cycles
from billing import review_repository as repo
from billing.findings import (
    Finding,
    ReviewLimits,
    TenantFigures,
    amount_change_findings,
    balance_findings,
    campus_changes,
    estimated_share_pct,
    open_blocking_findings,
    storage_findings,
    vee_findings,
)
from billing.periods import cycle_id_for
from billing.tenant_intervals import INTERVAL_FIGURES_KEY
from campus import service as campus_service
from common.errors import BadInput, Conflict, NotFound
from settings import Settings

REASON_LENGTH_MAX = 2000


class OpenFindings(Conflict):
    """Approve refused: blocking findings without an override."""

    def __init__(self, cycle_id: str, findings: list[Finding]) -> None:
        self.codes = [finding.code for finding in findings]
        super().__init__(f"cycle {cycle_id} has open blocking findings: " + "; ".join(
            f"{finding.code} ({finding.message})" for finding in findings)
            + f". Finance records an override with a reason first: wattledger cycle override {cycle_id} CODE "
              f"--approver NAME --reason TEXT (or POST /cycles/{cycle_id}/overrides, or the page "
              f"/finance/cycles/{cycle_id}).")


@dataclass(frozen=True)
class MeterQuality:
    meter_id: str
    tenant_id: str | None
    score: str
    flags: dict[str, int]  # rule or estimation name -> interval count, non-zero only
    intervals_expected: int
    intervals_estimated: int


@dataclass(frozen=True)
class TenantReview:
    tenant_id: str
    name: str
    current: TenantFigures
    previous_month: TenantFigures | None
    last_year: TenantFigures | None
    energy_estimated_pct: Decimal | None  # this month's estimated Wh over its Wh (billing.findings)


@dataclass(frozen=True)
class CycleReview:
    cycle_id: str
    settlement_version: str  # the settle step's label (v1, v2 after a rejection); overrides belong to one version
    vee_score: str | None
    vee_run_id: int | None
    meters: list[MeterQuality]
    balance_wh: dict[str, int]
    balance_allowed_wh: int
    tenants: list[TenantReview]
    campus_changes: list[str]
    findings: list[Finding]
    overrides: list[dict[str, Any]]
    open_findings: list[Finding]
    decisions: list[dict[str, Any]] = field(default_factory=list)


def review_limits(settings: Settings) -> ReviewLimits:
    return ReviewLimits(
        balance_tolerance_permille=settings.finance_balance_tolerance_permille,
        vee_score_min_hundredths=settings.finance_vee_score_min_hundredths,
        change_highlight_permille=settings.finance_change_highlight_permille,
        amount_change_limit_permille=settings.finance_amount_change_limit_permille,
    )


def load_review(conn: Connection, cycle_id: str, limits: ReviewLimits) -> CycleReview:
    cycle = cycles.load_cycle(conn, cycle_id)
    steps: Mapping[str, Any] = cycle["steps"]
    validate = steps.get("validate") or {}
    report: Mapping[str, Any] = validate.get("report") or {}
    settle = steps.get("settle") or {}
    document = _campus_document(conn, cycle["campus_id"], cycle.get("campus_version"))
    tenant_of = {str(m["id"]): m.get("tenant") for m in document.get("meters", []) if isinstance(m, Mapping)}
    names = {str(t["id"]): str(t.get("name") or t["id"]) for t in document.get("tenants", []) if isinstance(t, Mapping)}
    previous = _settle_of(conn, cycle["campus_id"], _shift_period(cycle["period"], -1))
    last_year = _settle_of(conn, cycle["campus_id"], _shift_period(cycle["period"], -12))
    balance_wh = {key: int(value) for key, value in (settle.get("energy_balance_wh") or {}).items()}
    supply_wh = balance_wh.get("generation_wh", 0) + balance_wh.get("grid_import_wh", 0) + \
        balance_wh.get("storage_discharge_wh", 0)
    meters = _meter_quality(report, tenant_of)
    current = _tenant_figures(settle)
    meter_scores = {meter.meter_id: meter.score for meter in meters if meter.score != "None"}
    findings = vee_findings(report.get("score"), limits, meter_scores) + \
        (balance_findings(balance_wh, limits) if settle else [])
    findings += storage_findings(settle.get("storage") or {})
    if previous is not None:
        findings += amount_change_findings({t: f.amount_usd_micros for t, f in current.items()},
                                           {t: f.amount_usd_micros for t, f in _tenant_figures(previous[0]).items()},
                                           limits)
    version = str(settle.get("version") or "unsettled")
    overrides = repo.list_overrides(conn, cycle_id, version)
    return CycleReview(
        cycle_id=cycle_id, settlement_version=version, vee_score=report.get("score"), vee_run_id=validate.get("vee_run_id"), meters=meters,
        balance_wh=balance_wh, balance_allowed_wh=supply_wh * limits.balance_tolerance_permille // 1000,
        tenants=_tenant_reviews(settle, current, names, previous, last_year),
        campus_changes=campus_changes(previous[1] if previous else None, document) if document else [],
        findings=findings, overrides=overrides,
        open_findings=open_blocking_findings(findings, {o["finding_code"] for o in overrides}),
        decisions=repo.list_decisions(conn, cycle_id),
    )


def require_no_open_findings(engine: Engine, cycle_id: str, limits: ReviewLimits) -> None:
    """Raise `OpenFindings` (409) while a blocking finding of the cycle has no override."""
    with engine.connect() as conn:
        review = load_review(conn, cycle_id, limits)
    if review.open_findings:
        raise OpenFindings(cycle_id, review.open_findings)


def record_override(engine: Engine, cycle_id: str, finding_code: str, reason: str, overridden_by: str,
                    limits: ReviewLimits) -> None:
    """Store who accepts which blocking finding and why; a finding not currently blocking is refused."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_LENGTH_MAX:
        raise BadInput("override", None, "reason", f"a reason of 1 to {REASON_LENGTH_MAX} characters is required")
    with engine.begin() as conn:
        review = load_review(conn, cycle_id, limits)
        finding = next((f for f in review.findings if f.code == finding_code and f.blocking), None)
        if finding is None:
            blocking = ", ".join(f.code for f in review.findings if f.blocking) or "none"
            raise NotFound(f"cycle {cycle_id} has no blocking finding {finding_code!r} (its blocking findings: "
                           f"{blocking})")
        if not repo.insert_override(conn, cycle_id, review.settlement_version, finding.code, finding.message, reason,
                                    overridden_by):
            raise Conflict(f"finding {finding_code} of cycle {cycle_id} was already overridden")


def record_decision(engine: Engine, cycle_id: str, decision: str, decided_by: str, comment: str,
                    phase_after: str) -> None:
    """Who decided, with which comment, and the phase the workflow answered (the page's decision record)."""
    with engine.begin() as conn:
        repo.insert_decision(conn, cycle_id, decision, decided_by, comment, phase_after)


def _campus_document(conn: Connection, campus_id: str, version: int | None) -> dict[str, Any]:
    try:
        return dict(campus_service.show(conn, campus_id, version)["document"])
    except NotFound:
        return {}


def _settle_of(conn: Connection, campus_id: str, period: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Another month's recorded settle step and the campus document it used; None if it was not settled."""
    try:
        cycle = cycles.load_cycle(conn, cycle_id_for(campus_id, period))
    except NotFound:
        return None
    settle = cycle["steps"].get("settle")
    if not settle:
        return None
    return dict(settle), _campus_document(conn, campus_id, cycle.get("campus_version"))


def _shift_period(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _tenant_figures(settle: Mapping[str, Any]) -> dict[str, TenantFigures]:
    """Energy from the daily usage the settlement recorded; peak demand and estimated Wh from its interval
    figures (`billing.tenant_intervals`; None for a cycle settled before they were recorded)."""
    usage: Mapping[str, Mapping[str, Any]] = settle.get("tenant_usage") or {}
    recorded = INTERVAL_FIGURES_KEY in settle
    interval_figures: Mapping[str, Mapping[str, Any]] = settle.get(INTERVAL_FIGURES_KEY) or {}
    figures: dict[str, TenantFigures] = {}
    for tenant_id, amount in (settle.get("tenant_totals_usd_micros") or {}).items():
        daily = [int(wh) for wh in ((usage.get(tenant_id) or {}).get("daily_energy_wh") or {}).values()]
        own = interval_figures.get(tenant_id) or {}
        figures[tenant_id] = TenantFigures(
            energy_wh=sum(daily),
            demand_w_max=int(own.get("demand_w_max", 0)) if recorded else None,
            energy_wh_estimated=int(own.get("energy_wh_estimated", 0)) if recorded else None,
            amount_usd_micros=int(amount),
            demand_w_max_interval_start_utc=own.get("demand_w_max_interval_start_utc"))
    return figures


def _estimated_pct(settle: Mapping[str, Any], tenant_id: str) -> Decimal | None:
    if INTERVAL_FIGURES_KEY not in settle:
        return None
    own = (settle.get(INTERVAL_FIGURES_KEY) or {}).get(tenant_id) or {}
    return estimated_share_pct(int(own.get("energy_wh_estimated", 0)), int(own.get("energy_wh", 0)))


def _meter_quality(report: Mapping[str, Any], tenant_of: Mapping[str, Any]) -> list[MeterQuality]:
    rules: Mapping[str, Mapping[str, int]] = report.get("rules") or {}
    estimation: Mapping[str, Mapping[str, int]] = report.get("estimation") or {}
    meters: list[MeterQuality] = []
    for meter_id, figures in sorted((report.get("meters") or {}).items()):
        flags = {name: int(counts[meter_id]) for name, counts in rules.items() if counts.get(meter_id)}
        estimated = {f"estimated_{name}": int(counts[meter_id]) for name, counts in estimation.items()
                     if name != "unestimated" and counts.get(meter_id)}
        meters.append(MeterQuality(meter_id, tenant_of.get(meter_id), str(figures.get("score")), flags | estimated,
                                   int(figures.get("intervals_expected", 0)), sum(estimated.values())))
    return meters


def _tenant_reviews(settle: Mapping[str, Any], current: Mapping[str, TenantFigures], names: Mapping[str, str],
                    previous: tuple[dict[str, Any], dict[str, Any]] | None,
                    last_year: tuple[dict[str, Any], dict[str, Any]] | None) -> list[TenantReview]:
    before = _tenant_figures(previous[0]) if previous else {}
    year_ago = _tenant_figures(last_year[0]) if last_year else {}
    return [TenantReview(tenant_id, names.get(tenant_id, tenant_id), current[tenant_id], before.get(tenant_id),
                         year_ago.get(tenant_id), _estimated_pct(settle, tenant_id))
            for tenant_id in sorted(current)]

