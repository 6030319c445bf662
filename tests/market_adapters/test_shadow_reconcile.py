"""Shadow settlement, pure: recomputed lines vs the ISO's runs, per charge type, with delta posting and
dispute status. Every expected figure below is worked by hand in the comment next to it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.reconciliation.reconcile import ShadowPriceMissing, reconcile_runs
from market_adapters.reconciliation.statement import FORMAT, parse_statement

H1 = datetime(2025, 7, 15, 4, tzinfo=UTC)
H2 = datetime(2025, 7, 15, 5, tzinfo=UTC)
OURS = {("RT_ENERGY_GEN", "323999", H1): Decimal(10), ("RT_ENERGY_GEN", "323999", H2): Decimal(10)}
PRICES = {("N.Y.C.", H1): Decimal(30), ("N.Y.C.", H2): Decimal(40)}


def _line(no: int, hour: datetime, quantity: str, price: str, amount: str, dq: str, da: str) -> dict:
    return {"line_no": no, "charge_type": "RT_ENERGY_GEN", "resource_id": "323999", "node": "N.Y.C.",
            "interval_start_utc": hour.isoformat(), "interval_minutes": 60, "quantity_mwh": quantity,
            "price_usd_per_mwh": price, "amount_usd": amount, "quantity_delta_mwh": dq, "amount_delta_usd": da}


def _run(run_type: str, sequence: int, lines: list[dict]):
    return parse_statement({"format": FORMAT, "statement_id": f"S-{run_type}", "iso": "NYISO",
                            "operating_day": "2025-07-15", "run_type": run_type, "run_sequence": sequence,
                            "published_at_utc": f"2025-08-0{sequence}T00:00:00+00:00", "lines": lines})


def _runs():
    # INITIAL priced H2 at 35 (later corrected to 40): 10 x 35 = 350.00 instead of 400.00.
    initial = _run("INITIAL", 1, [_line(1, H1, "10", "30", "300.00", "10", "300.00"),
                                  _line(2, H2, "10", "35", "350.00", "10", "350.00")])
    # FINAL: price fixed -> 400.00, delta +50.00.
    final = _run("FINAL", 2, [_line(1, H1, "10", "30", "300.00", "0", "0.00"),
                              _line(2, H2, "10", "40", "400.00", "0", "50.00")])
    # TRUEUP: ISO meter says 10.5 MWh in H1 -> 315.00, delta +15.00.
    trueup = _run("TRUEUP", 3, [_line(1, H1, "10.5", "30", "315.00", "0.5", "15.00"),
                                _line(2, H2, "10", "40", "400.00", "0", "0.00")])
    return [trueup, initial, final]


def test_differences_and_posted_deltas_per_run():
    """Ours = 300 + 400 = 700.00. INITIAL: ISO 650 -> -50.00 posted. FINAL: 700 -> 0 difference, +50.00 posted.
    TRUEUP: 715 -> +15.00 difference and +15.00 posted."""
    result = reconcile_runs(_runs(), OURS, PRICES)
    table = [(run.run_type, charge.iso_amount_usd_micros, charge.shadow_amount_usd_micros,
              charge.difference_usd_micros, charge.posted_delta_usd_micros)
             for run in result.runs for charge in run.charges]
    assert table == [("INITIAL", 650_000_000, 700_000_000, -50_000_000, -50_000_000),
                     ("FINAL", 700_000_000, 700_000_000, 0, 50_000_000),
                     ("TRUEUP", 715_000_000, 700_000_000, 15_000_000, 15_000_000)]


def test_causes_and_dispute_status():
    """INITIAL's H2 is a price difference resolved by FINAL; TRUEUP's H1 is an open quantity dispute."""
    result = reconcile_runs(_runs(), OURS, PRICES)
    [initial_diff] = result.runs[0].discrepancies
    assert (initial_diff.cause, initial_diff.iso_price_usd_per_mwh, initial_diff.shadow_price_usd_per_mwh) == (
        "price", Decimal(35), Decimal(40))
    assert result.runs[1].discrepancies == ()
    statuses = [(d.status, d.discrepancy.cause, d.discrepancy.interval_start_utc, d.discrepancy.difference_usd_micros)
                for d in result.disputes]
    assert statuses == [("open", "quantity", H1, 15_000_000), ("resolved_by_later_run", "price", H2, -50_000_000)]


def test_lines_missing_on_either_side_are_listed():
    """An hour we metered but the ISO omitted is `missing_line`; an ISO line we have no data for is
    `unexpected_line` with its full amount as the difference."""
    only_h2 = _run("INITIAL", 1, [_line(1, H2, "10", "40", "400.00", "10", "400.00")])
    ours = {("RT_ENERGY_GEN", "323999", H1): Decimal(10)}
    [run] = reconcile_runs([only_h2], ours, PRICES).runs
    assert [(d.cause, d.interval_start_utc, d.difference_usd_micros) for d in run.discrepancies] == [
        ("unexpected_line", H2, 400_000_000), ("missing_line", H1, 0)]


def test_inconsistent_deltas_and_missing_prices_are_refused():
    """A FINAL whose line is not INITIAL + delta is BadInput naming the line; an unpriced node is retryable."""
    initial = _run("INITIAL", 1, [_line(1, H1, "10", "30", "300.00", "10", "300.00")])
    final = _run("FINAL", 2, [_line(1, H1, "10", "30", "310.00", "0", "0.00")])
    with pytest.raises(BadInput) as caught:
        reconcile_runs([initial, final], OURS, PRICES)
    assert (caught.value.source, caught.value.line) == ("S-FINAL", 1)
    with pytest.raises(ShadowPriceMissing) as missing:
        reconcile_runs([initial], OURS, {})
    assert missing.value.retryable


def test_statement_fields_are_checked():
    """A float amount and fractional cents are both refused with the field named."""
    bad = _line(1, H1, "10", "30", "300.00", "10", "300.00") | {"amount_usd": 300.0}
    with pytest.raises(BadInput, match="amount_usd"):
        _run("INITIAL", 1, [bad])
    with pytest.raises(BadInput, match="whole cents"):
        _run("INITIAL", 1, [_line(1, H1, "10", "30", "300.001", "10", "300.001")])
    assert _run("INITIAL", 1, []).operating_day == date(2025, 7, 15)
