"""Annual take-or-pay: each period records the Wh it counts toward a contract year's minimum (zero-dollar lines),
and the period holding the year's last local day posts the reconciliation as its own line, hand-computed here.

The campus is September 2026 in Chicago; `alpha` buys meter PV's output at $50/MWh escalating 10% a year from
2025-09-16, so contract year 1 ends on 2026-09-15 and September 2026 is its closing month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from common.errors import BadInput
from intervals import MeterIntervals
from settlement.contracts import (
    FORM_FIXED,
    PpaTerms,
    annual_counted_clause,
    annual_take_or_pay_charge,
    last_day_of_contract_year,
    ppa_terms,
)
from settlement.engine import CampusSetup, MeterRef, contract_segments, settle_campus_rows
from settlement.types import SettlementResult
from tests.unit.settlement.partial_period_fixtures import (
    CHICAGO,
    SEPTEMBER_END_UTC,
    SEPTEMBER_START_UTC,
    contract,
    fixed_price,
    september,
)

MWH = 1_000_000
METERS = [MeterRef("A1", "tenant_consumption", "alpha", 60), MeterRef("PV", "generation", None, 60)]
YEAR_1 = annual_counted_clause("pv", 1)
YEAR_2 = annual_counted_clause("pv", 2)


def _terms(**extra: Any) -> dict[str, Any]:
    return {"meter_ids": ["PV"], "form": "fixed", "price_usd_per_mwh": "50", "first_delivery": "2025-09-16",
            "escalator_fraction_per_year": "0.1", "take_or_pay_mwh_per_contract_year": "100", **extra}


def _settle(history: Sequence[Any], energy: Sequence[tuple[str, datetime, int]],
            counted_before_wh: dict[str, int]) -> SettlementResult:
    prices = [fixed_price("alpha", 1, date(2026, 1, 1), "10")]
    segments = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history, prices)
    setup = CampusSetup("sept", CHICAGO, METERS, ["alpha"], list(segments[0].contracts),
                        segments[0].fixed_prices, (), tuple(segments), counted_before_wh)
    table = pa.table({
        "meter_id": ["PV"] * len(energy),
        "channel": [channel for channel, _, _ in energy],
        "interval_start_utc": pa.array([start for _, start, _ in energy], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([wh for _, _, wh in energy], pa.int64()),
    })
    return settle_campus_rows(setup, SEPTEMBER_START_UTC, SEPTEMBER_END_UTC,
                              MeterIntervals("september.parquet", "0" * 64, table), {})


def _lines(result: SettlementResult, prefix: str) -> list[tuple[str, str, int, int]]:
    return [(line.description, line.clause, line.quantity_wh, line.amount_usd_micros) for line in result.lines
            if line.clause.startswith(prefix)]


SEPTEMBER_ENERGY = [("kwh_delivered", september(10, 12), 5 * MWH), ("deemed_curtailment", september(12, 12), MWH),
                    ("kwh_delivered", september(20, 12), 3 * MWH)]


def test_last_day_of_a_contract_year_is_the_day_before_its_anniversary() -> None:
    """From 2025-09-16 year 1 ends 2026-09-15; from a Feb 29 first delivery year 1 ends on Feb 28 (the
    anniversary falls on Mar 1 in a common year) and year 4 on Feb 28, 2028 (2028-02-29 is the anniversary)."""
    assert last_day_of_contract_year(date(2025, 9, 16), 1) == date(2026, 9, 15)
    assert last_day_of_contract_year(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert last_day_of_contract_year(date(2024, 2, 29), 4) == date(2028, 2, 28)


def test_annual_shortfall_is_the_minimum_less_everything_counted_at_the_years_price() -> None:
    """Minimum 100 MWh, 86 MWh counted: 14 MWh short at year 2's escalated $55 = $770; met: no line."""
    terms = PpaTerms(FORM_FIXED, Decimal(50), date(2025, 9, 16), Decimal("0.1"),
                     take_or_pay_mwh_per_contract_year=Decimal(100))
    charge = annual_take_or_pay_charge(terms, 2, 86 * MWH)
    assert charge is not None
    assert (charge.clause, charge.quantity_wh, charge.rate, charge.amount_usd_micros) == \
        ("ppa.take_or_pay_annual", 14 * MWH, Decimal("55.000000"), 770_000_000)
    assert annual_take_or_pay_charge(terms, 2, 100 * MWH) is None


def test_closing_month_posts_the_reconciliation_as_its_own_line() -> None:
    """Earlier months recorded 80 MWh toward year 1. September counts 5 MWh delivered + 1 MWh deemed on days of
    year 1 (6 MWh) and 3 MWh on year 2's days. Year 1: 100 - 80 - 6 = 14 MWh short at year 1's $50 = $700,
    posted after alpha's other lines; year 2 does not end in September, so it is only counted."""
    ppa = contract("pv", "ppa", "alpha", date(2025, 9, 16), _terms())
    result = _settle([ppa], SEPTEMBER_ENERGY, {YEAR_1: 80 * MWH})
    assert _lines(result, "ppa.take_or_pay_annual") == [
        ("Annual take-or-pay: energy counted toward contract year 1", YEAR_1, 6 * MWH, 0),
        ("Annual take-or-pay: energy counted toward contract year 2", YEAR_2, 3 * MWH, 0),
        ("Annual take-or-pay shortfall, contract year 1 (year ending 2026-09-15)", "ppa.take_or_pay_annual",
         14 * MWH, 700_000_000)]
    assert result.lines[-1].clause == "ppa.take_or_pay_annual"
    assert [line.line_no for line in result.lines] == list(range(1, len(result.lines) + 1))
    assert result.tenant_totals_usd_micros["alpha"] == sum(line.amount_usd_micros for line in result.lines)


def test_a_month_that_closes_no_contract_year_only_counts() -> None:
    """First delivery 2025-11-01: no contract year ends in September, so there is no reconciliation line and the
    counted lines carry September's 9 MWh toward year 1."""
    ppa = contract("pv", "ppa", "alpha", date(2025, 11, 1), _terms(first_delivery="2025-11-01"))
    result = _settle([ppa], SEPTEMBER_ENERGY, {YEAR_1: 80 * MWH})
    assert [(clause, wh, usd) for _, clause, wh, usd in _lines(result, "ppa.take_or_pay_annual")] == [
        (YEAR_1, 9 * MWH, 0)]


def test_reconciliation_uses_the_version_in_force_on_the_years_last_day() -> None:
    """Version 2 from 2026-09-10 names a $30 shortfall price; year 1 ends on Sep 15, inside v2's segment, so its
    14 MWh shortfall is $420. Both segments' counted Wh of year 1 (5 MWh on Sep 10 is v2's; nothing in v1's
    days) add to the 80 MWh recorded before."""
    v1 = contract("pv", "ppa", "alpha", date(2025, 9, 16), _terms())
    v2 = contract("pv", "ppa", "alpha", date(2026, 9, 10), _terms(shortfall_price_usd_per_mwh="30"), version=2)
    result = _settle([v1, v2], SEPTEMBER_ENERGY, {YEAR_1: 80 * MWH})
    annual = [line for line in result.lines if line.clause == "ppa.take_or_pay_annual"]
    assert [(line.quantity_wh, line.amount_usd_micros, line.contract_version_id) for line in annual] == [
        (14 * MWH, 420_000_000, v2.contract_version_id)]


@pytest.mark.parametrize(("tenant", "extra", "field"), [
    ("alpha", {"take_or_pay_mwh_per_month": "10"}, "take_or_pay_mwh_per_contract_year"),
    (None, {}, "take_or_pay_mwh_per_contract_year"),
    ("alpha", {"take_or_pay_mwh_per_contract_year": "-1"}, "take_or_pay_mwh_per_contract_year"),
    ("alpha", {"form": "index", "index": {"node": "N", "market": "RT"}}, "shortfall_price_usd_per_mwh"),
])
def test_annual_minimum_terms_that_cannot_be_reconciled_are_refused(tenant: str | None, extra: dict[str, Any],
                                                                    field: str) -> None:
    """Both minimums, no buyer, a negative minimum, an index PPA without a shortfall price: BadInput naming the
    field."""
    with pytest.raises(BadInput) as caught:
        ppa_terms(contract("pv", "ppa", tenant, date(2025, 9, 16), _terms(**extra)))
    assert caught.value.field == field
