"""The approval findings, pure: balance, negative losses, VEE score, amount changes, overrides, campus changes."""

from __future__ import annotations

from decimal import Decimal

from billing.findings import (
    ReviewLimits,
    amount_change_findings,
    balance_findings,
    campus_changes,
    change_permille,
    effective_rate_usd_per_mwh,
    open_blocking_findings,
    score_hundredths,
    vee_findings,
)

LIMITS = ReviewLimits(balance_tolerance_permille=30, vee_score_min_hundredths=9500, change_highlight_permille=200,
                      amount_change_limit_permille=500)


def _balance(losses_wh: int) -> dict[str, int]:
    return {"generation_wh": 600_000, "grid_import_wh": 400_000, "tenant_consumption_wh": 900_000 - losses_wh,
            "shared_consumption_wh": 100_000, "export_wh": 0, "losses_wh": losses_wh}


def test_losses_within_the_tolerance_of_supply_find_nothing() -> None:
    """30 per-mille of 1,000,000 Wh supply is 30,000 Wh: exactly that many losses still close."""
    assert balance_findings(_balance(30_000), LIMITS) == []


def test_losses_beyond_the_tolerance_block_as_an_open_balance() -> None:
    """One Wh over the tolerance: the balance finding, blocking, naming the tolerance."""
    findings = balance_findings(_balance(30_001), LIMITS)
    assert [(f.code, f.blocking) for f in findings] == [("balance", True)]
    assert "tolerance ±0.030 MWh" in findings[0].message


def test_negative_losses_block_even_inside_the_tolerance() -> None:
    """Metered uses above supply by a little: negative losses block though the balance is within tolerance."""
    assert [f.code for f in balance_findings(_balance(-10), LIMITS)] == ["negative_losses"]
    assert [f.code for f in balance_findings(_balance(-721_000), LIMITS)] == ["negative_losses", "balance"]


def test_a_vee_score_under_the_minimum_blocks_and_a_missing_report_too() -> None:
    """94.99 is under 95.00; 95.00 is not; no report at all is a blocking finding."""
    assert score_hundredths("94.99") == 9499
    assert [f.code for f in vee_findings("94.99", LIMITS)] == ["vee_score"]
    assert vee_findings("95.00", LIMITS) == []
    assert vee_findings(None, LIMITS)[0].blocking


def test_a_vee_score_under_the_minimum_names_the_meters_under_it_lowest_first() -> None:
    """A meter whose file was never sent scores 0.00 and is named first; meters at or above the minimum are not;
    beyond three meters the rest are counted."""
    [finding] = vee_findings("87.50", LIMITS, {"GRID": "100.00", "SOLAR-1": "0.00", "BR": "99.97", "GT": "94.99"})
    assert finding.message == "VEE score 87.50 is under the minimum 95.00 (meters under it: SOLAR-1 0.00, GT 94.99)"
    [finding] = vee_findings("10.00", LIMITS, {f"M{index}": f"{index}.00" for index in range(5)})
    assert finding.message.endswith("(meters under it: M0 0.00, M1 1.00, M2 2.00 and 2 more)")


def test_an_amount_changing_beyond_the_hard_limit_blocks_per_tenant() -> None:
    """+50.0 % is at the limit (allowed), +50.1 % and -60 % block; a new tenant (no previous amount) does not."""
    current = {"a": 150_000_000, "b": 150_100_000, "c": 40_000_000, "new": 5}
    previous = {"a": 100_000_000, "b": 100_000_000, "c": 100_000_000}
    findings = amount_change_findings(current, previous, LIMITS)
    assert [f.code for f in findings] == ["amount_change:b", "amount_change:c"]
    assert "+50.1 %" in findings[0].message and "-60.0 %" in findings[1].message


def test_an_override_closes_only_the_finding_it_names() -> None:
    """Two blocking findings, one overridden: the other stays open; notes never block."""
    findings = balance_findings(_balance(-721_000), LIMITS)
    assert [f.code for f in open_blocking_findings(findings, {"balance"})] == ["negative_losses"]
    assert open_blocking_findings(findings, {"balance", "negative_losses"}) == []


def test_change_and_rate_are_exact_and_undefined_from_zero() -> None:
    """Per-mille toward zero, none from zero; micro-USD per Wh is USD per MWh, to the cent."""
    assert change_permille(1_333, 1_000) == 333 and change_permille(0, 1_000) == -1000
    assert change_permille(5, 0) is None and change_permille(5, None) is None
    assert effective_rate_usd_per_mwh(45_678_901, 1_000_000) == Decimal("45.68")
    assert effective_rate_usd_per_mwh(1, 0) is None


def test_campus_changes_name_new_moved_exchanged_and_removed() -> None:
    """Between two campus documents: a new tenant, a moved meter, a changed meter, a new and a removed meter."""
    before = {"tenants": [{"id": "t1"}], "meters": [{"id": "M1", "tenant": "t1"}, {"id": "M2", "tenant": "t1", "rated_kw": 5},
                                                   {"id": "OLD"}]}
    after = {"tenants": [{"id": "t1"}, {"id": "t2"}],
             "meters": [{"id": "M1", "tenant": "t2"}, {"id": "M2", "tenant": "t1", "rated_kw": 8}, {"id": "NEW"}]}
    assert campus_changes(before, after) == [
        "new tenant t2", "new meter NEW", "meter OLD removed", "meter M1 moved from t1 to t2",
        "meter M2 exchanged or changed (rated_kw)"]
    assert campus_changes(None, after) == []
