"""Shadow settlement on random statement runs (hypothesis): the posted deltas add up to the latest difference,
that difference equals an independent line-by-line recomputation, and exactly the differing lines are open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from market_adapters.reconciliation.reconcile import reconcile_runs
from market_adapters.reconciliation.statement import FORMAT, parse_statement

START = datetime(2025, 7, 15, 4, tzinfo=UTC)
HOURS = 4
money = st.decimals(min_value=Decimal(-50), max_value=Decimal(200), places=2)
quantity = st.decimals(min_value=Decimal(-5), max_value=Decimal(20), places=4)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def _runs(versions: list[list[tuple[Decimal, Decimal]]]) -> list:
    previous = [(Decimal(0), Decimal(0))] * HOURS
    runs = []
    for sequence, lines in enumerate(versions, start=1):
        items = []
        for hour, (q, p) in enumerate(lines):
            amount = _cents(q * p)
            items.append({"line_no": hour + 1, "charge_type": "RT_ENERGY_GEN", "resource_id": "1", "node": "N",
                          "interval_start_utc": (START + timedelta(hours=hour)).isoformat(), "interval_minutes": 60,
                          "quantity_mwh": str(q), "price_usd_per_mwh": str(p), "amount_usd": str(amount),
                          "quantity_delta_mwh": str(q - previous[hour][0]),
                          "amount_delta_usd": str(amount - previous[hour][1])})
            previous[hour] = (q, amount)
        runs.append(parse_statement({"format": FORMAT, "statement_id": f"S{sequence}", "iso": "NYISO",
                                     "operating_day": "2025-07-15", "run_type": "FINAL", "run_sequence": sequence,
                                     "published_at_utc": f"2025-08-0{sequence}T00:00:00+00:00", "lines": items}))
    return runs


@settings(max_examples=60, deadline=None)
@given(ours=st.lists(quantity, min_size=HOURS, max_size=HOURS), prices=st.lists(money, min_size=HOURS, max_size=HOURS),
       versions=st.lists(st.lists(st.tuples(quantity, money), min_size=HOURS, max_size=HOURS), min_size=1, max_size=4))
def test_posted_deltas_telescope_to_an_independent_difference(ours, prices, versions):
    hours = [START + timedelta(hours=h) for h in range(HOURS)]
    quantities = {("RT_ENERGY_GEN", "1", hour): ours[h] for h, hour in enumerate(hours)}
    price_map = {("N", hour): prices[h] for h, hour in enumerate(hours)}
    result = reconcile_runs(_runs(versions), quantities, price_map)
    final = versions[-1]
    expected_usd = sum((_cents(q * p) - _cents(ours[h] * prices[h]) for h, (q, p) in enumerate(final)), Decimal(0))
    [last_charge] = result.runs[-1].charges
    assert last_charge.difference_usd_micros == int(expected_usd * 1_000_000)
    assert sum(run.charges[0].posted_delta_usd_micros for run in result.runs) == last_charge.difference_usd_micros
    differing = {hours[h] for h, (q, p) in enumerate(final)
                 if (q, p) != (ours[h], prices[h]) or _cents(q * p) != _cents(ours[h] * prices[h])}
    open_hours = {d.discrepancy.interval_start_utc for d in result.disputes if d.status == "open"}
    assert open_hours == differing
