"""Mid-month contract years: deemed energy and the take-or-pay shortfall are priced at the contract year (and the
contract version) in force at their own intervals, never at the year of the month's first day.

The campus: Chicago, September 2026 (30 local days), a tenant `alpha` buying the output of meter PV under a fixed
$50/MWh PPA escalating 10% a year from its first delivery on 2025-09-16, so contract year 2 ($55/MWh) starts on
the local date 2026-09-16, halfway through the month. Every figure below is worked by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from common.errors import BadInput
from intervals import MeterIntervals
from settlement.contracts import (
    FORM_FIXED,
    FORM_INDEX,
    IndexTerms,
    PpaTerms,
    days_by_contract_year,
    settle_ppa_extras,
    wh_by_contract_year,
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
ESCALATING = PpaTerms(FORM_FIXED, Decimal(50), date(2025, 9, 16), Decimal("0.1"))
METERS = [MeterRef("A1", "tenant_consumption", "alpha", 60), MeterRef("PV", "generation", None, 60)]
SEPTEMBER_DAYS = [date(2026, 9, day) for day in range(1, 31)]


def _ppa_terms(price: str = "50", **extra: Any) -> dict[str, Any]:
    return {"meter_ids": ["PV"], "form": "fixed", "price_usd_per_mwh": price, "first_delivery": "2025-09-16",
            "escalator_fraction_per_year": "0.1", **extra}


def _settle(history: Sequence[Any], energy: Sequence[tuple[str, str, datetime, int]]) -> SettlementResult:
    """Settle September the way `settle_cycle` does: segments where versions change, then the engine."""
    prices = [fixed_price("alpha", 1, date(2026, 1, 1), "10")]
    segments = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history, prices)
    setup = CampusSetup("sept", CHICAGO, METERS, ["alpha"], list(segments[0].contracts),
                        segments[0].fixed_prices, (), tuple(segments))
    table = pa.table({
        "meter_id": [meter_id for meter_id, _, _, _ in energy],
        "channel": [channel for _, channel, _, _ in energy],
        "interval_start_utc": pa.array([start for _, _, start, _ in energy], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([wh for _, _, _, wh in energy], pa.int64()),
    })
    return settle_campus_rows(setup, SEPTEMBER_START_UTC, SEPTEMBER_END_UTC,
                              MeterIntervals("september.parquet", "0" * 64, table), {})


def _ppa_lines(result: SettlementResult, clause_prefix: str) -> list[tuple[str, int, Decimal, int]]:
    return [(line.description, line.quantity_wh, line.rate_usd_per_mwh, line.amount_usd_micros)
            for line in result.lines if line.clause.startswith(clause_prefix)]


def test_contract_years_of_deemed_intervals_and_of_days_split_at_the_local_anniversary() -> None:
    """Deemed 1 MWh at 23:00 CDT on Sep 15 is year 1 (04:00 UTC on the 16th, still the 15th locally); 2 MWh on
    Sep 16 at 00:00 is year 2. September has 15 days in each year."""
    starts = np.array([int(september(15, 23).timestamp() * 1e6), int(september(16, 0).timestamp() * 1e6)],
                      dtype=np.int64)
    assert wh_by_contract_year(starts, np.array([MWH, 2 * MWH], dtype=np.int64), CHICAGO, date(2025, 9, 16)) == \
        {1: MWH, 2: 2 * MWH}
    assert days_by_contract_year(SEPTEMBER_DAYS, date(2025, 9, 16)) == {1: 15, 2: 15}


def test_deemed_energy_is_paid_at_the_year_of_each_deemed_interval() -> None:
    """1 MWh deemed in year 1 at $50 = $50 and 2 MWh in year 2 at $55 = $110: $160 in all (pricing all 3 MWh at
    the month's first-day year would give $150)."""
    charges = settle_ppa_extras(ESCALATING, 0, {1: MWH, 2: 2 * MWH}, {1: 15, 2: 15})
    assert [(c.description, c.quantity_wh, c.rate, c.amount_usd_micros) for c in charges] == [
        ("Deemed energy (compensable curtailment), contract year 1", MWH, Decimal("50.000000"), 50_000_000),
        ("Deemed energy (compensable curtailment), contract year 2", 2 * MWH, Decimal("55.000000"), 110_000_000)]


def test_shortfall_accrues_by_day_and_is_paid_at_each_days_year() -> None:
    """Minimum 30 MWh, delivered 8 MWh + deemed 2 MWh: shortfall 20 MWh, split 15:15 by days -> 10 MWh at $50 =
    $500 and 10 MWh at $55 = $550. With 10:20 days (delivered 10 MWh, shortfall 20 MWh) the exact parts are
    6,666,666.67 and 13,333,333.33 Wh; the spare Wh goes to the larger remainder (year 1): 6,666,667 Wh x $50 =
    $333.33335 and 13,333,333 Wh x $55 = $733.333315."""
    terms = PpaTerms(FORM_FIXED, Decimal(50), date(2025, 9, 16), Decimal("0.1"), take_or_pay_mwh_per_month=Decimal(30))
    charges = settle_ppa_extras(terms, 8 * MWH, {2: 2 * MWH}, {1: 15, 2: 15})
    assert [(c.clause, c.quantity_wh, c.amount_usd_micros) for c in charges] == [
        ("ppa.deemed_energy", 2 * MWH, 110_000_000),
        ("ppa.take_or_pay", 10 * MWH, 500_000_000), ("ppa.take_or_pay", 10 * MWH, 550_000_000)]
    uneven = settle_ppa_extras(terms, 10 * MWH, {}, {1: 10, 2: 20})
    assert [c.quantity_wh for c in uneven] == [6_666_667, 13_333_333]
    assert [c.amount_usd_micros for c in uneven] == [333_333_350, 733_333_315]


def test_a_month_inside_one_contract_year_keeps_one_line_each() -> None:
    """No anniversary in the month: one deemed line and one shortfall line, descriptions as always."""
    terms = PpaTerms(FORM_FIXED, Decimal(50), date(2025, 9, 16), Decimal("0.1"), take_or_pay_mwh_per_month=Decimal(5))
    charges = settle_ppa_extras(terms, MWH, {2: MWH}, {2: 31})
    assert [(c.description, c.quantity_wh, c.amount_usd_micros) for c in charges] == [
        ("Deemed energy (compensable curtailment)", MWH, 55_000_000),
        ("Take-or-pay shortfall", 3 * MWH, 165_000_000)]


def test_named_prices_apply_whatever_the_year_and_an_index_ppa_must_name_them() -> None:
    """A named deemed price ($40) is one line over both years; an index PPA without one is refused, naming the
    field."""
    named = PpaTerms(FORM_FIXED, Decimal(50), date(2025, 9, 16), Decimal("0.1"),
                     deemed_price_usd_per_mwh=Decimal(40))
    charges = settle_ppa_extras(named, 0, {1: MWH, 2: MWH}, {1: 15, 2: 15})
    assert [(c.quantity_wh, c.amount_usd_micros) for c in charges] == [(2 * MWH, 80_000_000)]
    index = PpaTerms(FORM_INDEX, index=IndexTerms("N", "RT"))
    with pytest.raises(BadInput, match="deemed_price_usd_per_mwh"):
        settle_ppa_extras(index, 0, {1: MWH}, {1: 30})


def test_engine_prices_deemed_energy_and_shortfall_by_contract_year_inside_one_version() -> None:
    """One PPA version all month, minimum 30 MWh. Delivered 4 MWh on Sep 2 (year 1, $50 = $200) and 4 MWh on
    Sep 20 (year 2, $55 = $220); deemed 1 MWh on Sep 10 ($50) and 1 MWh on Sep 25 ($55); shortfall 30 - 8 - 2 =
    20 MWh, 10 MWh per year: $500 + $550."""
    ppa = contract("pv", "ppa", "alpha", date(2025, 9, 16), _ppa_terms(take_or_pay_mwh_per_month="30"))
    result = _settle([ppa], [("PV", "kwh_delivered", september(2, 12), 4 * MWH),
                             ("PV", "kwh_delivered", september(20, 12), 4 * MWH),
                             ("PV", "deemed_curtailment", september(10, 12), MWH),
                             ("PV", "deemed_curtailment", september(25, 12), MWH)])
    assert [(q, a) for _, q, _, a in _ppa_lines(result, "ppa.fixed")] == [(4 * MWH, 200_000_000),
                                                                          (4 * MWH, 220_000_000)]
    assert [(d, q, a) for d, q, _, a in _ppa_lines(result, "ppa.deemed")] == [
        ("Deemed energy (compensable curtailment), contract year 1", MWH, 50_000_000),
        ("Deemed energy (compensable curtailment), contract year 2", MWH, 55_000_000)]
    assert [(d, q, a) for d, q, _, a in _ppa_lines(result, "ppa.take_or_pay")] == [
        ("Take-or-pay shortfall, contract year 1", 10 * MWH, 500_000_000),
        ("Take-or-pay shortfall, contract year 2", 10 * MWH, 550_000_000)]


def test_engine_prices_each_segment_at_its_own_version_when_the_contract_is_amended_mid_month() -> None:
    """Version 2 (price $60 from 2026-09-21, escalating like v1: year 2 = $66) cuts September at Sep 21. Segment
    Sep 1-20 (20 days, v1): minimum 30 MWh x 20/30 = 20 MWh; deemed 1 MWh on Sep 10 at $50; delivered 0, so the
    shortfall of 19 MWh splits 15:5 by days over years 1 and 2 -> 14.25 MWh at $50 = $712.50 and 4.75 MWh at $55
    = $261.25. Segment Sep 21-30 (10 days, v2, year 2): minimum 10 MWh; deemed 2 MWh on Sep 25 at $66 = $132;
    shortfall 8 MWh at $66 = $528."""
    v1 = contract("pv", "ppa", "alpha", date(2025, 9, 16), _ppa_terms(take_or_pay_mwh_per_month="30"))
    v2 = contract("pv", "ppa", "alpha", date(2026, 9, 21), _ppa_terms("60", take_or_pay_mwh_per_month="30"),
                  version=2)
    result = _settle([v1, v2], [("PV", "deemed_curtailment", september(10, 12), MWH),
                                ("PV", "deemed_curtailment", september(25, 12), 2 * MWH)])
    deemed = [(q, a) for _, q, _, a in _ppa_lines(result, "ppa.deemed")]
    shortfall = [(q, a) for _, q, _, a in _ppa_lines(result, "ppa.take_or_pay")]
    assert deemed == [(MWH, 50_000_000), (2 * MWH, 132_000_000)]
    assert shortfall == [(14_250_000, 712_500_000), (4_750_000, 261_250_000), (8 * MWH, 528_000_000)]


def test_a_monthly_minimum_split_across_segments_adds_up_to_the_minimum() -> None:
    """10 Wh of minimum over three 10-day segments: exact parts 3.33 Wh each; rounding each alone gives 3 + 3 + 3 =
    9 Wh (one lost); largest remainder gives 4, 3, 3 (the tie goes to the first segment)."""
    terms = PpaTerms(FORM_FIXED, Decimal(50), take_or_pay_mwh_per_month=Decimal("0.00001"))
    parts = [settle_ppa_extras(terms, 0, {}, {1: 10}, (10, 10, 10), index)[0].quantity_wh for index in range(3)]
    assert parts == [4, 3, 3]


def test_engine_splits_the_monthly_minimum_across_three_versions_exactly() -> None:
    """Versions in force from Sep 1, Sep 11 and Sep 21 cut September into three 10-day segments. Minimum 0.00001
    MWh = 10 Wh, nothing delivered: the segments owe 4, 3 and 3 Wh, 10 Wh in all. The middle segment crosses the
    contract anniversary (Sep 16: 5 days in each year), so its 3 Wh split 2 + 1 between years 1 and 2."""
    terms = {"take_or_pay_mwh_per_month": "0.00001"}
    history = [contract("pv", "ppa", "alpha", date(2025, 9, 16), _ppa_terms("50", **terms)),
               contract("pv", "ppa", "alpha", date(2026, 9, 11), _ppa_terms("60", **terms), version=2),
               contract("pv", "ppa", "alpha", date(2026, 9, 21), _ppa_terms("70", **terms), version=3)]
    result = _settle(history, [])
    assert sum(q for _, q, _, _ in _ppa_lines(result, "ppa.take_or_pay")) == 10
    assert [q for _, q, _, _ in _ppa_lines(result, "ppa.take_or_pay")] == [4, 2, 1, 3]
