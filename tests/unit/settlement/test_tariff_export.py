"""Export credits under URDB metering options, hand-worked on a two-period tariff, plus exactness properties.

Tariff (UTC clock, so the hours below are the tariff's hours): off-peak buy 0.10 sell 0.04 $/kWh, on-peak
(weekdays 14:00-18:00) buy 0.20 sell 0.05 $/kWh; no demand, fixed or minimum charges unless a test adds them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement.tariffs import (
    METERING_BUY_ALL_SELL_ALL,
    METERING_NET_BILLING_HOURLY,
    METERING_NET_BILLING_INSTANTANEOUS,
    METERING_NET_METERING,
    METERING_NONE,
    BillOptions,
    LoadSeries,
    MonthBill,
    bill_load,
    datetime_to_utc_us,
    load_urdb_text,
    parse_urdb_rate,
)
from tests.unit.settlement.tariff_fixtures import rate_json, two_period_rate, utc

UTC_ZONE = ZoneInfo("UTC")
ON_PEAK = range(14, 18)


def _rate(dgrules: str | None = None, **extra: Any) -> dict[str, Any]:
    row_weekday = [1 if hour in ON_PEAK else 0 for hour in range(24)]
    rate: dict[str, Any] = {
        "name": "export test",
        "energyratestructure": [[{"rate": "0.10", "sell": "0.04"}], [{"rate": "0.20", "sell": "0.05"}]],
        "energyweekdayschedule": [row_weekday] * 12, "energyweekendschedule": [[0] * 24] * 12,
    }
    if dgrules is not None:
        rate["dgrules"] = dgrules
    rate.update(extra)
    return rate


def _series(rows: list[tuple[datetime, int, int]], minutes: int) -> LoadSeries:
    """rows: (start, import Wh, export Wh)."""
    return LoadSeries(np.array([datetime_to_utc_us(start) for start, _, _ in rows], dtype=np.int64),
                      np.array([wh for _, wh, _ in rows], dtype=np.int64), np.full(len(rows), minutes, np.int64),
                      1000, np.array([wh for _, _, wh in rows], dtype=np.int64))


def _bill(rate: dict[str, Any], load: LoadSeries, zone: ZoneInfo = UTC_ZONE) -> list[MonthBill]:
    # Through the JSON text, as a file is read: the fixtures write floats, which only the text reader makes exact.
    return bill_load(load_urdb_text("rate.json", rate_json(rate)), load, BillOptions(zone))


# Monday 2 March 2026, hourly: off-peak import 10 / export 4 kWh, on-peak import 2 / export 5 kWh.
HOURLY_ROWS = [(utc(2026, 3, 2, 10), 10_000, 0), (utc(2026, 3, 2, 11), 0, 4_000),
               (utc(2026, 3, 2, 14), 2_000, 0), (utc(2026, 3, 2, 15), 0, 5_000)]


def test_dgrules_and_legacy_usenetmetering_name_the_metering_option() -> None:
    """Each URDB spelling maps to one option; no rule at all bills export as before (not at all)."""
    cases = {"Net Metering": METERING_NET_METERING, "Net Billing Instantaneous": METERING_NET_BILLING_INSTANTANEOUS,
             "Net Billing Hourly": METERING_NET_BILLING_HOURLY, "Buy All Sell All": METERING_BUY_ALL_SELL_ALL}
    for rules, option in cases.items():
        assert parse_urdb_rate("r", _rate(rules)).metering == option
    assert parse_urdb_rate("r", _rate()).metering == METERING_NONE
    assert parse_urdb_rate("r", _rate(usenetmetering=True)).metering == METERING_NET_METERING
    assert parse_urdb_rate("r", _rate(usenetmetering=False)).metering == METERING_NET_BILLING_INSTANTANEOUS
    tariff = parse_urdb_rate("r", _rate())
    assert [tier.sell_usd for tier, in tariff.energy_periods] == [Decimal("0.04"), Decimal("0.05")]


@pytest.mark.parametrize(("change", "field"), [({"dgrules": "Net Metering Plus"}, "dgrules"),
                                               ({"usenetmetering": "yes"}, "usenetmetering")])
def test_unknown_metering_rules_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    """A rule we do not know would be billed wrongly in silence; it is refused with the field named."""
    with pytest.raises(BadInput, match=field):
        parse_urdb_rate("r", _rate(**change))


def test_net_metering_nets_each_period_over_the_month_and_credits_the_excess_at_sell() -> None:
    """Off-peak 10 - 4 = 6 kWh x 0.10 = 0.60 billed; on-peak 2 - 5 = -3 kWh: 3 x 0.05 = 0.15 credited."""
    bill, = _bill(_rate("Net Metering"), _series(HOURLY_ROWS, 60))
    assert [(d.component, d.period, d.quantity, d.amount_usd_micros) for d in bill.determinants] == [
        ("energy", 0, Decimal(6), 600_000), ("energy", 1, Decimal(0), 0),
        ("export_credit", 1, Decimal(3), -150_000)]
    assert bill.total_usd_micros == 450_000
    assert bill.energy_kwh == Decimal(12) and bill.export_kwh == Decimal(9)


def test_net_billing_instantaneous_bills_every_import_and_credits_every_export() -> None:
    """Import 10 x 0.10 + 2 x 0.20 = 1.40; export 4 x 0.04 + 5 x 0.05 = 0.41; bill 0.99."""
    bill, = _bill(_rate("Net Billing Instantaneous"), _series(HOURLY_ROWS, 60))
    assert bill.energy_charge_usd_micros == 1_400_000
    assert bill.export_credit_usd_micros == -410_000
    assert bill.total_usd_micros == 990_000


def test_buy_all_sell_all_buys_the_purchase_channel_and_sells_the_sale_channel_without_netting() -> None:
    """Same channels as the instantaneous case, and one interval with both flows: 1 kWh bought at 0.10 and 1 kWh
    sold at 0.04 in the same hour are not netted (0.06 left, not 0)."""
    rows = [*HOURLY_ROWS, (utc(2026, 3, 2, 20), 1_000, 1_000)]
    bill, = _bill(_rate("Buy All Sell All"), _series(rows, 60))
    assert bill.energy_charge_usd_micros == 1_500_000
    assert bill.export_credit_usd_micros == -450_000
    assert bill.total_usd_micros == 1_050_000


# Quarter-hours: 10:00 hour imports 3 and exports 2 kWh (net +1); 15:00 hour imports 1 and exports 2 (net -1).
QUARTER_ROWS = [(utc(2026, 3, 2, 10).replace(minute=m), imp, exp)
                for m, imp, exp in ((0, 3_000, 0), (15, 0, 1_000), (30, 0, 1_000), (45, 0, 0))]
QUARTER_ROWS += [(utc(2026, 3, 2, 15).replace(minute=m), imp, exp)
                 for m, imp, exp in ((0, 1_000, 0), (15, 0, 2_000), (30, 0, 0), (45, 0, 0))]


def test_net_billing_hourly_nets_within_each_hour_then_bills_and_credits_the_nets() -> None:
    """Hourly: +1 kWh off-peak x 0.10 = 0.10 billed, -1 kWh on-peak x 0.05 = 0.05 credited: 0.05. The same data
    instantaneously: 3 x 0.10 + 1 x 0.20 = 0.50 less 2 x 0.04 + 2 x 0.05 = 0.18: 0.32."""
    hourly, = _bill(_rate("Net Billing Hourly"), _series(QUARTER_ROWS, 15))
    assert [(d.component, d.period, d.quantity) for d in hourly.determinants] == [
        ("energy", 0, Decimal(1)), ("energy", 1, Decimal(0)), ("export_credit", 1, Decimal(1))]
    assert hourly.total_usd_micros == 50_000
    instantaneous, = _bill(_rate("Net Billing Instantaneous"), _series(QUARTER_ROWS, 15))
    assert instantaneous.total_usd_micros == 320_000


def test_hourly_netting_follows_local_hours_in_a_half_hour_zone() -> None:
    """Kolkata is UTC+05:30: 04:30 and 04:45 UTC are local 10:00 and 10:15, one local hour; 04:15 UTC is local
    09:45, the hour before. Import 1 kWh at 04:15 and 04:30, export 1 kWh at 04:45 (all off-peak): the 09:00 hour
    bills 1 kWh, the 10:00 hour nets to zero: 0.10, not the 0.00 that netting by UTC hour would give."""
    rows = [(utc(2026, 3, 2, 4).replace(minute=15), 1_000, 0), (utc(2026, 3, 2, 4).replace(minute=30), 1_000, 0),
            (utc(2026, 3, 2, 4).replace(minute=45), 0, 1_000)]
    bill, = _bill(_rate("Net Billing Hourly"), _series(rows, 15), ZoneInfo("Asia/Kolkata"))
    assert bill.total_usd_micros == 100_000


def test_demand_is_charged_on_import_only() -> None:
    """A 10 $/kW flat demand charge on the 10 kW import peak, whatever is exported: 100.00 under every option."""
    for rules in ("Net Metering", "Net Billing Instantaneous", "Net Billing Hourly", "Buy All Sell All"):
        rate = _rate(rules, flatdemandstructure=[[{"rate": 10}]], flatdemandmonths=[0] * 12)
        bill, = _bill(rate, _series(HOURLY_ROWS, 60))
        assert bill.peak_kw == Decimal(10) and bill.demand_flat_charge_usd_micros == 100_000_000, rules


def test_a_tariff_without_sell_or_dgrules_bills_exactly_as_before_whatever_is_exported() -> None:
    """Regression: the fixtures' TOU tariff (tiers, demand, fixed $/day, no sell, no dgrules) gives the same
    determinants with and without an export channel; so does a Net Metering tariff in a month with no export."""
    rows = [(utc(2026, 3, 2, h), wh, 0) for h, wh in ((3, 70_000), (15, 40_000), (21, 60_000))]
    without = _bill(two_period_rate(), _series(rows, 60))
    exported = [(start, wh, 25_000) for start, wh, _ in rows]
    with_export, = _bill(two_period_rate(), _series(exported, 60))
    assert with_export == replace(without[0], export_kwh=Decimal(75))  # reported, neither netted nor credited
    no_export = replace(_series(rows, 60), export_units=None)
    assert _bill(two_period_rate(dgrules="Net Metering"), no_export) == without
    assert without[0].export_credit_usd_micros == 0


def _exact_series(draw_rows: list[tuple[int, int, int]]) -> LoadSeries:
    start = utc(2026, 4, 1, 0)
    rows = [(start.replace(day=1 + hour // 24, hour=hour % 24), imp, exp) for hour, imp, exp in draw_rows]
    return _series(rows, 60)


ROWS = st.lists(st.tuples(st.integers(0, 29 * 24 - 1), st.integers(0, 10**7), st.integers(0, 10**7)),
                min_size=1, max_size=40, unique_by=lambda row: row[0]).map(sorted)
RATE_THOUSANDTHS = st.integers(0, 999)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, buy=st.tuples(RATE_THOUSANDTHS, RATE_THOUSANDTHS), sell=st.tuples(RATE_THOUSANDTHS, RATE_THOUSANDTHS),
       rules=st.sampled_from(["Buy All Sell All", "Net Billing Instantaneous"]), split=st.integers(0, 40))
def test_interval_options_bill_imports_less_exports_exactly_and_splitting_changes_nothing(
        rows: list[tuple[int, int, int]], buy: tuple[int, int], sell: tuple[int, int], rules: str,
        split: int) -> None:
    """Property: with rates in $0.001 steps and Wh energy every product is whole micro-USD, so rounding cannot hide
    a difference: the bill is exactly sum(import x buy) - sum(export x sell) by each hour's period, and billing
    the month in two pieces gives the same total as billing it whole."""
    rate = _rate(rules, energyratestructure=[
        [{"rate": str(Decimal(buy[p]).scaleb(-3)), "sell": str(Decimal(sell[p]).scaleb(-3))}] for p in (0, 1)])
    load = _exact_series(rows)
    total = sum(bill.total_usd_micros for bill in _bill(rate, load))
    expected = 0
    for (hour, imp, exp) in rows:
        day = utc(2026, 4, 1 + hour // 24, 0)
        period = 1 if day.weekday() < 5 and hour % 24 in ON_PEAK else 0
        expected += imp * buy[period] - exp * sell[period]  # Wh x $0.001/kWh = micro-USD
    assert total == expected
    cut = min(split, len(rows))
    pieces = [_exact_series(part) for part in (rows[:cut], rows[cut:]) if part]
    assert sum(bill.total_usd_micros for piece in pieces for bill in _bill(rate, piece)) == total
