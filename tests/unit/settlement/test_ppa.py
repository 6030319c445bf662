"""PPA forms, hand-worked: escalator anniversary mid-month (local date, same month as a DST change), time-of-
delivery shaping, index-plus with a collar, virtual PPA CfD with the negative-price clause, deemed energy,
take-or-pay and bundled RECs; plus monotonicity properties."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement.contracts import (
    FORM_FIXED,
    FORM_INDEX,
    FORM_TOD,
    ContractVersion,
    IndexTerms,
    PpaTerms,
    ppa_terms,
    settle_ppa_energy,
    settle_ppa_extras,
    settle_vppa,
)
from settlement.tariffs import datetime_to_utc_us

DENVER = ZoneInfo("America/Denver")


def _us(*parts: int) -> int:
    return datetime_to_utc_us(datetime(*parts, tzinfo=UTC))  # type: ignore[arg-type,misc]


def _arrays(rows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64)


def test_escalator_steps_on_the_local_anniversary_inside_march() -> None:
    """First delivery 2024-03-15, $50/MWh, +2.5 %/yr. Year 2 (to Mar 14 2026) = 51.25; year 3 from Mar 15 local
    = 50 x 1.025^2 = 52.53125. Rows: Mar 8 03:00 MDT (DST day) 0.5 MWh and Mar 14 23:00 MDT (= Mar 15 05:00 UTC,
    still year 2 locally) 1 MWh -> 1.5 MWh x 51.25 = $76.875; Mar 15 00:00 MDT 2 MWh x 52.53125 = $105.0625."""
    starts, energy = _arrays([(_us(2026, 3, 8, 9), 500_000), (_us(2026, 3, 15, 5), 1_000_000),
                              (_us(2026, 3, 15, 6), 2_000_000)])
    terms = PpaTerms(FORM_FIXED, Decimal(50), date(2024, 3, 15), Decimal("0.025"))
    charges = settle_ppa_energy(terms, starts, energy, DENVER)
    assert [(c.quantity_wh, c.rate, c.amount_usd_micros) for c in charges] == [
        (1_500_000, Decimal("51.250000"), 76_875_000), (2_000_000, Decimal("52.531250"), 105_062_500)]


def test_time_of_delivery_factors_shape_the_price() -> None:
    """$40 x 1.5 on weekday 14-18 local, x 0.8 otherwise. Tue Mar 10 15:00 MDT 1 MWh -> $60; Sun Mar 8 15:00 MDT
    1 MWh -> $32."""
    weekday = tuple(tuple(1 if 14 <= h < 18 else 0 for h in range(24)) for _ in range(12))
    weekend = tuple(tuple(0 for _ in range(24)) for _ in range(12))
    terms = PpaTerms(FORM_TOD, Decimal(40), date(2026, 1, 1), tod_weekday=weekday, tod_weekend=weekend,
                     tod_factors=(Decimal("0.8"), Decimal("1.5")))
    starts, energy = _arrays([(_us(2026, 3, 10, 21), 1_000_000), (_us(2026, 3, 8, 21), 1_000_000)])
    charges = settle_ppa_energy(terms, starts, energy, DENVER)
    assert sorted((c.rate, c.amount_usd_micros) for c in charges) == [
        (Decimal("32.000000"), 32_000_000), (Decimal("60.000000"), 60_000_000)]


def test_index_plus_adder_with_collar_settles_each_interval() -> None:
    """LMP + $5 between floor $20 and cap $80: LMP -30 -> 20 (1 MWh = $20); LMP 50.123456 -> 55.123456 (333,333
    Wh); LMP 100 -> 80 (0.5 MWh = $40). The middle amount is exact to the micro-dollar, then the line rounds once."""
    index = IndexTerms("HB_NORTH", "RT", Decimal(5), Decimal(1), Decimal(20), Decimal(80))
    lmps = np.array([-30_000_000, 50_123_456, 100_000_000], dtype=np.int64)
    starts, energy = _arrays([(0, 1_000_000), (1, 333_333), (2, 500_000)])
    (charge,) = settle_ppa_energy(PpaTerms(FORM_INDEX, index=index), starts, energy, DENVER, lmps)
    middle = Decimal(333_333) * Decimal("55.123456")
    expected = (Decimal(20_000_000) + middle + Decimal(40_000_000)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    assert charge.amount_usd_micros == int(expected)
    assert charge.quantity_wh == 1_833_333


def test_virtual_ppa_cfd_and_negative_price_clause() -> None:
    """Strike $40, 1 MWh per interval at hub 30, 55, -10. Skipping negative prices: (40-30) + (40-55) = -$5, a
    credit to the buyer on 2 MWh. Settling them too: -5 + (40+10) = $45 on 3 MWh."""
    lmps = [30_000_000, 55_000_000, -10_000_000]
    skipped = settle_vppa(Decimal(40), [1_000_000] * 3, lmps, False, "HB_WEST")
    settled = settle_vppa(Decimal(40), [1_000_000] * 3, lmps, True, "HB_WEST")
    assert (skipped.quantity_wh, skipped.amount_usd_micros) == (2_000_000, -5_000_000)
    assert (settled.quantity_wh, settled.amount_usd_micros) == (3_000_000, 45_000_000)


def test_deemed_energy_take_or_pay_and_bundled_recs() -> None:
    """Minimum 10 MWh/month; delivered 6 MWh, deemed 1 MWh at the $50 contract price = $50; shortfall 3 MWh at
    $30 = $90; RECs: 6 MWh, $0."""
    terms = PpaTerms(FORM_FIXED, Decimal(50), take_or_pay_mwh_per_month=Decimal(10),
                     shortfall_price_usd_per_mwh=Decimal(30), recs_bundled=True)
    charges = settle_ppa_extras(terms, 6_000_000, {1: 1_000_000}, {1: 30})
    assert [(c.clause, c.quantity_wh, c.amount_usd_micros) for c in charges] == [
        ("ppa.deemed_energy", 1_000_000, 50_000_000), ("ppa.take_or_pay", 3_000_000, 90_000_000),
        ("ppa.recs_bundled", 6_000_000, 0)]


@settings(max_examples=60, deadline=None)
@given(energy=st.lists(st.integers(0, 10**8), min_size=1, max_size=20), bump=st.integers(0, 10**6),
       lmp=st.integers(-10**9, 10**9), raise_by=st.integers(0, 10**8))
def test_index_amount_is_monotonic_in_price_and_energy(energy: list[int], bump: int, lmp: int, raise_by: int) -> None:
    """Property: more energy in any interval, or a higher LMP everywhere, never lowers an index PPA amount."""
    # A floor at $0 keeps every interval price non-negative: with a negative price more energy costs less.
    index = IndexTerms("N", "RT", Decimal("2.5"), Decimal(1), Decimal(0), Decimal(500))
    starts = np.arange(len(energy), dtype=np.int64)
    base = np.array(energy, dtype=np.int64)
    prices = np.full(len(energy), lmp, dtype=np.int64)
    terms = PpaTerms(FORM_INDEX, index=index)
    amount = settle_ppa_energy(terms, starts, base, DENVER, prices)[0].amount_usd_micros
    more = base.copy()
    more[0] += bump
    assert settle_ppa_energy(terms, starts, more, DENVER, prices)[0].amount_usd_micros >= amount
    assert settle_ppa_energy(terms, starts, base, DENVER, prices + raise_by)[0].amount_usd_micros >= amount


def test_contract_prices_finer_than_a_micro_dollar_are_refused() -> None:
    """A PPA price of $30.0000001/MWh cannot be shown as a numeric(18,6) rate, so the terms are refused."""
    contract = ContractVersion(1, "p", 1, "ppa", "t", date(2026, 1, 1),
                               {"meter_ids": ["PV1"], "form": "fixed", "price_usd_per_mwh": "30.0000001"}, "0" * 64)
    with pytest.raises(BadInput) as caught:
        ppa_terms(contract)
    assert caught.value.field == "price_usd_per_mwh"
