"""A cycle's status as a summary whose size does not grow with meters or tenants, with links to the full results.

A step's stored result holds per-meter and per-tenant collections (the VEE report, tenant totals, emissions per
tenant and hour, invoices): at 1,000 meters the cycle came back as 909 KB, the VEE report twice. The summary
keeps every scalar (counts, totals, hashes, URIs), fixed-shape maps (the energy balance), the data-quality score
and a count in place of each collection; `url` names the route with the step's full result, `vee_report_url` the
VEE run's full report. Links are root-relative paths of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

# Maps whose keys are a fixed set of names, not meters or tenants: small at any campus size.
FIXED_SHAPE_KEYS = frozenset({"energy_balance_wh"})
# A collection's count, under a name that says what was counted.
COUNT_NAMES = {"tenant_totals_usd_micros": "tenant_count", "invoices": "invoice_count",
               "file_sha256_hex": "file_count"}
VEE_SUMMARY_KEYS = ("score", "reading_count", "intervals_expected", "intervals_estimated", "cross_checks")
SCORE_FULL = "100.00"


def cycle_url(cycle_id: str) -> str:
    return f"/cycles/{quote(cycle_id, safe=':')}"


def step_url(cycle_id: str, step: str) -> str:
    return f"{cycle_url(cycle_id)}/steps/{quote(step, safe='')}"


def vee_report_summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """The campus-level data-quality figures of a VEE report, and how many meters scored below 100."""
    summary = {key: report[key] for key in VEE_SUMMARY_KEYS if key in report}
    meters: Mapping[str, Mapping[str, Any]] = report.get("meters") or {}
    summary["meter_count"] = len(meters)
    below = {meter_id: str(meter.get("score")) for meter_id, meter in meters.items()
             if meter.get("score") != SCORE_FULL}
    summary["meters_below_full_score_count"] = len(below)
    scored = [(_score_key(score), meter_id) for meter_id, score in below.items() if _score_key(score) is not None]
    if scored:
        # One meter, whatever the campus size: where to look first (a meter whose file never came scores 0.00).
        lowest = min(scored)[1]
        summary["meter_lowest"] = {"meter_id": lowest, "score": below[lowest]}
    return summary


def _score_key(score: str) -> Decimal | None:
    try:
        return Decimal(score)
    except InvalidOperation:
        return None


def scalars_and_counts(result: Mapping[str, Any]) -> dict[str, Any]:
    """Scalars as they are, fixed-shape maps as they are, and every other collection as its count."""
    summary: dict[str, Any] = {}
    for key, value in result.items():
        if key in FIXED_SHAPE_KEYS or not isinstance(value, list | tuple | dict):
            summary[key] = value
        else:
            summary[COUNT_NAMES.get(key, f"{key}_count")] = len(value)
    return summary


def step_summary(cycle_id: str, step: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """One recorded step: its figures without per-meter or per-tenant collections, and its links."""
    rest = {key: value for key, value in result.items() if key not in ("report", "emissions", "invoices")}
    summary = scalars_and_counts(rest)
    if isinstance(result.get("report"), Mapping):
        summary["vee"] = vee_report_summary(result["report"])
    if isinstance(result.get("emissions"), Mapping):
        summary["emissions"] = scalars_and_counts(result["emissions"])
    if isinstance(result.get("invoices"), list):
        invoices = result["invoices"]
        summary["invoice_count"] = len(invoices)
        summary["invoices_total_usd_cents"] = sum(int(invoice.get("total_usd_cents", 0)) for invoice in invoices)
    if result.get("vee_run_id") is not None:
        summary["vee_report_url"] = f"/meter-data/vee-runs/{int(result['vee_run_id'])}"
    summary["url"] = step_url(cycle_id, step)
    return summary


def live_summary(status: Mapping[str, Any]) -> dict[str, Any]:
    """The running workflow's status query without its invoice list (a count and total instead).

    The workflow reports the count and total itself (`invoice_count`, `invoiced_usd_cents`); cycles that
    invoiced before it did carry the list, which is counted here."""
    summary = {key: value for key, value in status.items() if key != "invoices"}
    invoices = status.get("invoices") or []
    if status.get("invoice_count") is None:
        summary["invoice_count"] = len(invoices)
    reported_usd_cents = status.get("invoiced_usd_cents")
    summary["invoices_total_usd_cents"] = reported_usd_cents if reported_usd_cents is not None else sum(
        int(invoice.get("total_usd_cents", 0)) for invoice in invoices)
    return summary


def cycle_summary(cycle: Mapping[str, Any], live: Mapping[str, Any] | None) -> dict[str, Any]:
    """A cycle as `billing.repository.load_cycle` reads it, with each step summarised, plus its links."""
    cycle_id = str(cycle["cycle_id"])
    steps = {step: step_summary(cycle_id, step, result) for step, result in cycle["steps"].items()}
    links = {"self": cycle_url(cycle_id)}
    validate = steps.get("validate") or {}
    if "vee_report_url" in validate:
        links["vee_report"] = validate["vee_report_url"]
    return {**cycle, "steps": steps, "live": None if live is None else live_summary(live), "links": links}
