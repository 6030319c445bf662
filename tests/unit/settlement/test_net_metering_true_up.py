"""Net-metering true-up: the campus bill's monthly export credits reconciled once a year, in the period holding
the last day of the true-up month, posted as its own line per tenant. Every figure is worked by hand.

The campus: September 2026 in Chicago, tenants alpha and beta at fixed prices, a grid import meter and an export
meter, the campus bill under a flat Net Metering rate ($0.10/kWh bought, $0.08/kWh sold) with a September
true-up paying net surplus at $0.03/kWh, and the bill shared 1:1 by a `grid_tariff` allocation.
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
from settlement.contracts import TrueUp, tariff_terms
from settlement.engine import (
    CLAUSE_TRUE_UP,
    CampusSetup,
    MeterRef,
    NetMeteringYear,
    closing_true_up_day,
    contract_segments,
    settle_campus_rows,
    true_up_months,
)
from settlement.engine.true_up import true_up_amount_usd_micros
from settlement.types import SettlementResult
from tests.unit.settlement.partial_period_fixtures import (
    CHICAGO,
    OFF_PEAK_ONLY,
    SEPTEMBER_END_UTC,
    SEPTEMBER_START_UTC,
    contract,
    fixed_price,
    september,
)

MWH = 1_000_000
METERS = [MeterRef("A1", "tenant_consumption", "alpha", 60), MeterRef("B1", "tenant_consumption", "beta", 60),
          MeterRef("GRID1", "grid_import", None, 60), MeterRef("EXP1", "export", None, 60)]
SEPTEMBER_TRUE_UP = TrueUp(9, Decimal("0.03"))


def _bill_terms(true_up: dict[str, Any] | None = None, dgrules: str = "Net Metering") -> dict[str, Any]:
    rate = {"name": "NEM", "energyratestructure": [[{"rate": "0.10", "sell": "0.08"}]],
            "energyweekdayschedule": OFF_PEAK_ONLY, "energyweekendschedule": OFF_PEAK_ONLY, "dgrules": dgrules}
    terms: dict[str, Any] = {"urdb": rate}
    if true_up is not None:
        terms["true_up"] = true_up
    return terms


def _settle(bill: dict[str, Any], energy: Sequence[tuple[str, datetime, int]], before: NetMeteringYear | None
            ) -> SettlementResult:
    history = [contract("bill", "urdb_tariff", None, date(2026, 1, 1), bill),
               contract("grid", "allocation", None, date(2026, 1, 1),
                        {"pool": "grid_tariff", "method": "fixed", "fixed_shares": {"alpha": "1", "beta": "1"},
                         "component": "all"})]
    prices = [fixed_price(tenant, 1, date(2026, 1, 1), "10") for tenant in ("alpha", "beta")]
    segments = contract_segments(SEPTEMBER_START_UTC, SEPTEMBER_END_UTC, CHICAGO, history, prices)
    setup = CampusSetup("sept", CHICAGO, METERS, ["alpha", "beta"], list(segments[0].contracts),
                        segments[0].fixed_prices, (), tuple(segments), {}, before)
    table = pa.table({
        "meter_id": [meter_id for meter_id, _, _ in energy],
        "channel": ["kwh_delivered"] * len(energy),
        "interval_start_utc": pa.array([start for _, start, _ in energy], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([wh for _, _, wh in energy], pa.int64()),
    })
    return settle_campus_rows(setup, SEPTEMBER_START_UTC, SEPTEMBER_END_UTC,
                              MeterIntervals("september.parquet", "0" * 64, table), {})


SEPTEMBER_ENERGY = [("A1", september(2, 12), 500_000), ("B1", september(2, 12), 500_000),
                    ("GRID1", september(2, 12), MWH), ("EXP1", september(3, 12), 3 * MWH)]


def test_true_up_year_is_the_twelve_months_ending_with_the_true_up_month() -> None:
    """A September 2026 true-up covers October 2025 to September 2026; its closing day is September 30."""
    assert true_up_months(date(2026, 9, 30)) == ("2025-10", "2026-09")
    assert true_up_months(date(2026, 1, 31)) == ("2025-02", "2026-01")
    days = [date(2026, 9, day) for day in range(1, 31)]
    assert closing_true_up_day(days, SEPTEMBER_TRUE_UP) == date(2026, 9, 30)
    assert closing_true_up_day(days[:-1], SEPTEMBER_TRUE_UP) is None


def test_net_surplus_takes_back_its_monthly_credits_and_is_paid_at_the_surplus_rate() -> None:
    """Year: import 10 MWh, export 14 MWh -> surplus 4 MWh. 6 MWh were credited monthly for $600: the surplus's
    share, 4/6 x $600 = $400, is taken back, and 4 MWh x $30/MWh = $120 is paid: +$280. No surplus: nothing."""
    year = NetMeteringYear(10 * MWH, 14 * MWH, 6 * MWH, -600_000_000)
    assert true_up_amount_usd_micros(year, SEPTEMBER_TRUE_UP) == (4 * MWH, 280_000_000)
    assert true_up_amount_usd_micros(NetMeteringYear(14 * MWH, 10 * MWH, 6 * MWH, -600_000_000),
                                     SEPTEMBER_TRUE_UP) == (0, 0)


def test_september_posts_the_true_up_as_its_own_line_split_like_the_bill() -> None:
    """September: import 1 MWh, export 3 MWh -> 2 MWh credited at $80 = -$160 (split -$80 each). Recorded earlier
    in the year: import 10, export 10, credited 3 MWh for -$240. Year: import 11, export 13 -> surplus 2 MWh;
    credits 5 MWh for -$400; taken back 2/5 x $400 = $160, paid 2 MWh x $30 = $60: +$100, 1 MWh and $50 each."""
    before = NetMeteringYear(10 * MWH, 10 * MWH, 3 * MWH, -240_000_000)
    result = _settle(_bill_terms({"month": 9, "net_surplus_rate_usd_per_kwh": "0.03"}), SEPTEMBER_ENERGY, before)
    export = [(line.tenant_id, line.quantity_wh, line.amount_usd_micros) for line in result.lines
              if line.clause == "allocation.grid_tariff.export"]
    assert export == [("alpha", MWH, -80_000_000), ("beta", MWH, -80_000_000)]
    true_up = [(line.tenant_id, line.quantity_wh, line.amount_usd_micros) for line in result.lines
               if line.clause == CLAUSE_TRUE_UP]
    assert true_up == [("alpha", MWH, 50_000_000), ("beta", MWH, 50_000_000)]
    assert result.lines[-1].clause == CLAUSE_TRUE_UP
    assert result.tenant_totals_usd_micros["beta"] == sum(line.amount_usd_micros for line in result.lines
                                                          if line.tenant_id == "beta")


def test_a_month_that_is_not_the_true_up_month_only_credits() -> None:
    """A March true-up: September credits its excess as always and posts no true-up line."""
    result = _settle(_bill_terms({"month": 3, "net_surplus_rate_usd_per_kwh": "0.03"}), SEPTEMBER_ENERGY, None)
    assert not [line for line in result.lines if line.clause == CLAUSE_TRUE_UP]
    assert sum(line.amount_usd_micros for line in result.lines
               if line.clause == "allocation.grid_tariff.export") == -160_000_000


@pytest.mark.parametrize(("tenant", "terms", "field"), [
    ("alpha", _bill_terms({"month": 9, "net_surplus_rate_usd_per_kwh": "0.03"}), "true_up"),
    (None, _bill_terms({"month": 9, "net_surplus_rate_usd_per_kwh": "0.03"}, "Net Billing Hourly"), "true_up"),
    (None, _bill_terms({"month": 13, "net_surplus_rate_usd_per_kwh": "0.03"}), "true_up.month"),
    (None, _bill_terms({"month": 9}), "net_surplus_rate_usd_per_kwh"),
    (None, _bill_terms({"month": 9, "net_surplus_rate_usd_per_kwh": "-1"}), "true_up.net_surplus_rate_usd_per_kwh"),
])
def test_true_up_terms_that_cannot_be_reconciled_are_refused(tenant: str | None, terms: dict[str, Any],
                                                             field: str) -> None:
    """A tenant's own tariff, a rate that is not Net Metering, a month 13, a missing or negative rate: BadInput
    naming the field."""
    with pytest.raises(BadInput) as caught:
        tariff_terms(contract("bill", "urdb_tariff", tenant, date(2026, 1, 1), terms))
    assert caught.value.field == field
