"""Billing periods follow local wall-clock months, and a settlement's ledger legs balance per asset
exactly when the campus energy balance closes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.ledger_entries import (
    assert_balanced,
    energy_legs,
    invoice_rounding_legs,
    money_legs,
)
from billing.periods import cycle_id_for, period_bounds_utc
from common.errors import BadInput
from ledger.accounts import ASSET_ENERGY, ASSET_USD, normal_side


def test_march_in_new_york_is_one_hour_short() -> None:
    """March 2026 has the spring-forward day: 31 x 24 - 1 = 743 hours, starting at 05:00 UTC (EST)."""
    start, end = period_bounds_utc("2026-03", "America/New_York")
    assert start == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert end == datetime(2026, 4, 1, 4, tzinfo=UTC)
    assert (end - start).total_seconds() == 743 * 3600


def test_november_in_new_york_is_one_hour_long() -> None:
    """November 2026 has the fall-back day: 30 x 24 + 1 = 721 hours."""
    start, end = period_bounds_utc("2026-11", "America/New_York")
    assert (end - start).total_seconds() == 721 * 3600


def test_december_rolls_into_the_next_year() -> None:
    """The month after December is January of the next year."""
    _, end = period_bounds_utc("2026-12", "UTC")
    assert end == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-01", "2026-00", ""])
def test_malformed_period_is_bad_input(period: str) -> None:
    """A period that is not YYYY-MM names the field in the error."""
    with pytest.raises(BadInput) as error:
        period_bounds_utc(period, "UTC")
    assert error.value.field == "period"


def test_cycle_id_is_the_business_key() -> None:
    """One cycle per campus and period: the id is derived, never random."""
    assert cycle_id_for("demo-campus", "2026-10") == "cycle:demo-campus:2026-10"


def test_supply_and_revenue_accounts_are_credit_normal() -> None:
    """Normal sides are fixed by account, not by the sign of the first leg."""
    assert normal_side("campus:c:energy:generation") == "credit"
    assert normal_side("campus:c:revenue:energy") == "credit"
    assert normal_side("tenant:t:receivable") == "debit"
    assert normal_side("campus:c:energy:losses") == "debit"


energy_wh = st.integers(min_value=0, max_value=10**12)


@settings(max_examples=60, deadline=None)
@given(generation=energy_wh, grid_import=energy_wh, export=energy_wh, shared=energy_wh,
       tenants=st.dictionaries(st.sampled_from(["a", "b", "c"]), energy_wh, min_size=1))
def test_energy_legs_balance_when_losses_are_the_residual(generation: int, grid_import: int, export: int,
                                                          shared: int, tenants: dict[str, int]) -> None:
    """With losses = supply - uses, the MWh legs sum to zero; the money legs always do."""
    losses = generation + grid_import - export - shared - sum(tenants.values())
    balance = {"generation_wh": generation, "grid_import_wh": grid_import, "export_wh": export,
               "shared_consumption_wh": shared, "losses_wh": losses}
    legs = energy_legs("c", balance, tenants) + money_legs("c", {t: wh * 7 for t, wh in tenants.items()})
    assert_balanced(legs)
    assert {asset for _, asset, _ in legs} <= {ASSET_ENERGY, ASSET_USD}


def test_energy_legs_that_do_not_close_are_refused() -> None:
    """One Wh missing from the balance is caught before the ledger sees it."""
    balance = {"generation_wh": 100, "grid_import_wh": 0, "export_wh": 0, "shared_consumption_wh": 0,
               "losses_wh": 0}
    with pytest.raises(AssertionError):
        assert_balanced(energy_legs("c", balance, {"a": 99}))


def test_rounding_legs_move_receivables_to_the_invoiced_cents() -> None:
    """$1.234567 invoiced as $1.23 and $2.005 as $2.00 (half-even): -4,567 and -5,000 micro-USD leave the
    receivables and the rounding account takes +9,567, so the entry balances."""
    legs = invoice_rounding_legs("c", {"a": 1_234_567, "b": 2_005_000}, {"a": 123, "b": 200})
    assert legs == [("tenant:a:receivable", ASSET_USD, -4_567), ("tenant:b:receivable", ASSET_USD, -5_000),
                    ("campus:c:revenue:rounding", ASSET_USD, 9_567)]
    assert_balanced(legs)


def test_exact_cents_need_no_rounding_entry() -> None:
    """When every total is already whole cents there is nothing to post."""
    assert invoice_rounding_legs("c", {"a": 1_230_000}, {"a": 123}) == []


@pytest.mark.parametrize("period", ["9999-12", "0001-01", "1899-12", "3000-01"])
def test_periods_outside_the_billing_years_are_bad_input(period: str) -> None:
    """9999-12 once answered 500: its month ends in year 10000, which datetime cannot hold."""
    with pytest.raises(BadInput) as refused:
        period_bounds_utc(period, "America/New_York")
    assert refused.value.field == "period" and "1900 to 2999" in refused.value.reason
