"""A cycle's summary stays the same size at 12 meters or 2,000, keeps every figure a reader needs, and links to
the full results."""

from __future__ import annotations

import json
from typing import Any

from billing.cycle_summary import cycle_summary, step_summary, vee_report_summary


def _vee_report(meter_count: int) -> dict[str, Any]:
    meters = [f"M{i:05d}" for i in range(meter_count)]
    return {
        "rules": {"spike": {m: i % 3 for i, m in enumerate(meters)}, "campus_balance": {"campus": 0}},
        "estimation": {"linear": dict.fromkeys(meters, 0)},
        "meters": {m: {"score": "99.50" if i == 0 else "100.00", "intervals_expected": 2976,
                       "intervals_valid": 2976} for i, m in enumerate(meters)},
        "score": "99.99", "reading_count": 2976 * meter_count, "intervals_expected": 2976 * meter_count,
        "intervals_estimated": 4, "cross_checks": "hourly",
    }


def _cycle(meter_count: int, tenant_count: int) -> dict[str, Any]:
    tenants = [f"t{i:04d}" for i in range(tenant_count)]
    invoices = [{"invoice_id": f"INV-{i}", "tenant_id": t, "total_usd_cents": 100 + i, "document_sha256_hex": "ab" * 32,
                 "pdf_uri": f"/data/{t}.pdf"} for i, t in enumerate(tenants)]
    return {
        "cycle_id": "cycle:big-campus:2026-10", "campus_id": "big-campus", "period": "2026-10", "status": "completed",
        "steps": {
            "ingest": {"intervals_uri": "/data/intervals.parquet", "reading_count": 2976 * meter_count,
                       "file_sha256_hex": ["cd" * 32] * meter_count},
            "validate": {"validated_uri": "/data/validated.parquet", "reading_count": 2976 * meter_count,
                         "estimated_count": 4, "report": _vee_report(meter_count), "vee_run_id": 17},
            "settle": {"total_usd_micros": 5_000_000, "tenant_totals_usd_micros": dict.fromkeys(tenants, 5),
                       "energy_balance_wh": {"generation_wh": 10, "grid_import_wh": 5}, "line_count": 3 * tenant_count,
                       "version": "v1",
                       "emissions": {"gwp_set": "AR5", "campus_scope1_g_co2e": 42,
                                     "tenant_g_co2e": {t: {"scope2_location": 1} for t in tenants},
                                     "hourly": [{"hour": h} for h in range(744)]}},
            "invoice": {"invoices": invoices},
            "ledger": {"entry_count": 6, "verified": True, "checkpoint_size": 6, "first_bad_seq": None},
        },
    }


def test_summary_size_does_not_grow_with_meters_or_tenants() -> None:
    small = json.dumps(cycle_summary(_cycle(12, 3), None), default=str)
    large = json.dumps(cycle_summary(_cycle(2_000, 1_000), None), default=str)
    assert len(large) - len(small) < 40, "only the digits of the counts may differ"
    assert len(json.dumps(_cycle(2_000, 1_000))) > 100 * len(large)


def test_summary_keeps_scores_counts_totals_and_links() -> None:
    summary = cycle_summary(_cycle(12, 3), {"phase": "completed", "invoices": [{"total_usd_cents": 7}], "approvals": ["a"]})
    steps = summary["steps"]
    assert steps["validate"]["vee"] == {"score": "99.99", "reading_count": 35712, "intervals_expected": 35712,
                                        "intervals_estimated": 4, "cross_checks": "hourly", "meter_count": 12,
                                        "meters_below_full_score_count": 1,
                                        "meter_lowest": {"meter_id": "M00000", "score": "99.50"}}
    assert steps["validate"]["vee_report_url"] == "/meter-data/vee-runs/17" == summary["links"]["vee_report"]
    assert steps["validate"]["url"] == "/cycles/cycle:big-campus:2026-10/steps/validate"
    assert steps["settle"]["tenant_count"] == 3 and steps["settle"]["total_usd_micros"] == 5_000_000
    assert steps["settle"]["energy_balance_wh"] == {"generation_wh": 10, "grid_import_wh": 5}
    assert steps["settle"]["emissions"] == {"gwp_set": "AR5", "campus_scope1_g_co2e": 42, "tenant_g_co2e_count": 3,
                                            "hourly_count": 744}
    assert (steps["invoice"]["invoice_count"], steps["invoice"]["invoices_total_usd_cents"]) == (3, 303)
    assert steps["ingest"]["file_count"] == 12
    assert steps["ledger"] == {"entry_count": 6, "verified": True, "checkpoint_size": 6, "first_bad_seq": None,
                               "url": "/cycles/cycle:big-campus:2026-10/steps/ledger"}
    assert summary["live"] == {"phase": "completed", "approvals": ["a"], "invoice_count": 1,
                               "invoices_total_usd_cents": 7}
    assert summary["links"]["self"] == "/cycles/cycle:big-campus:2026-10"


def test_step_names_are_quoted_in_links() -> None:
    assert step_summary("cycle:c:2026-10", "correction-r1/x", {})["url"] == "/cycles/cycle:c:2026-10/steps/correction-r1%2Fx"


def test_vee_summary_of_an_empty_report() -> None:
    assert vee_report_summary({}) == {"meter_count": 0, "meters_below_full_score_count": 0}


def test_live_summary_keeps_the_count_and_total_the_workflow_reports() -> None:
    live = {"phase": "completed", "invoices": [], "invoice_count": 200, "invoiced_usd_cents": 123_456}
    summary = cycle_summary(_cycle(12, 3), live)["live"]
    assert (summary["invoice_count"], summary["invoices_total_usd_cents"]) == (200, 123_456)
    assert "invoices" not in summary


def test_the_vee_summary_names_the_lowest_meter_only_when_one_is_under_full_score() -> None:
    """A meter whose file never came scores 0.00 and is the one named; a full campus names none."""
    report = {"score": "87.50", "meters": {"GRID": {"score": "100.00"}, "BR": {"score": "99.97"},
                                           "SOLAR-1": {"score": "0.00"}}}
    summary = vee_report_summary(report)
    assert summary["meters_below_full_score_count"] == 2
    assert summary["meter_lowest"] == {"meter_id": "SOLAR-1", "score": "0.00"}
    assert "meter_lowest" not in vee_report_summary({"score": "100.00", "meters": {"GRID": {"score": "100.00"}}})
