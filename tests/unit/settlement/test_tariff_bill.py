"""URDB tariff billing, hand-worked: TOU energy with shared and chronological tiers across a DST change, TOU and
flat demand, fixed $/day, holidays, monthly and annual minimums, ratchets, and the real Xcel RE-TOU shape."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import BadInput
from settlement.tariffs import bill_tariff_json
from tests.unit.settlement.tariff_fixtures import load_csv, rate_json, two_period_rate, utc

DENVER = ZoneInfo("America/Denver")
DATA = Path(__file__).parent / "data"

# March 2026 in Denver; DST begins Sunday Mar 8 (MST = UTC-7 before, MDT = UTC-6 after).
MARCH_ROWS = [
    (utc(2026, 3, 6, 22), "40"),   # Fri 15:00 MST: on-peak
    (utc(2026, 3, 8, 21), "30"),   # Sun 15:00 MDT: weekend, off-peak
    (utc(2026, 3, 9, 20), "60"),   # Mon 14:00 MDT: on-peak (would be 13:00, off-peak, if DST were ignored)
    (utc(2026, 3, 10, 8), "70"),   # Tue 02:00 MDT: off-peak
]


def _bill(rate: dict[str, Any], rows: list[Any], **options: Any) -> dict[str, Any]:
    return bill_tariff_json("rate.json", rate_json(rate), "load.csv", load_csv(rows), DENVER, **options)


def test_march_with_dst_change_shared_tiers_demand_and_fixed() -> None:
    """On-peak 40 + 60 = 100 kWh, off-peak 30 + 70 = 100 kWh; month 200 kWh -> half in each tier for both periods.
    Energy: on 100 x (0.5 x 0.20 + 0.5 x 0.25) = 22.50; off 100 x (0.5 x (0.08 + 0.02) + 0.5 x 0.12) = 11.00.
    TOU demand: on-peak peak 60 kW x 10 = 600. Flat: peak 70 kW -> 50 x 5 + 20 x 4 = 330. Fixed: 4 days x 1 = 4.
    """
    month = _bill(two_period_rate(), MARCH_ROWS)["months"][0]
    assert month["month"] == "2026-03"
    assert (month["energy_kwh"], month["peak_kw"], month["days_billed"]) == ("200", "70", 4)
    assert Decimal(month["energy_charge_usd"]) == Decimal("33.50")
    assert Decimal(month["demand_tou_charge_usd"]) == Decimal(600)
    assert Decimal(month["demand_flat_charge_usd"]) == Decimal(330)
    assert Decimal(month["fixed_charge_usd"]) == Decimal(4)
    assert Decimal(month["minimum_charge_usd"]) == 0
    assert Decimal(month["total_usd"]) == Decimal("967.50")
    determinants: list[tuple[Any, ...]] = [(d["component"], d["period"], Decimal(d["quantity"]), Decimal(d["amount_usd"]))
                    for d in month["determinants"]]
    assert determinants == [("energy", 0, 100, Decimal(11)), ("energy", 1, 100, Decimal("22.5")),
                            ("demand_tou", 0, 70, 0), ("demand_tou", 1, 60, 600),
                            ("demand_flat", 0, 70, 330), ("fixed", -1, 4, 4)]


def test_chronological_fill_prices_each_interval_at_the_tier_reached() -> None:
    """Running total: 0-40 on @0.20 = 8.00; 40-70 off @0.10 = 3.00; 70-130 on: 30 @0.20 + 30 @0.25 = 13.50;
    130-200 off @0.12 = 8.40. Energy 32.90."""
    month = _bill(two_period_rate(), MARCH_ROWS, tier_fill="chronological")["months"][0]
    assert Decimal(month["energy_charge_usd"]) == Decimal("32.90")


def test_a_holiday_is_billed_as_weekend() -> None:
    """Mon Mar 9 as a holiday moves its 60 kWh off-peak: on 40 kWh, off 160 kWh (tiers still half/half).
    Energy 40 x 0.225 + 160 x 0.11 = 9.00 + 17.60 = 26.60; TOU demand 40 kW x 10 = 400."""
    from datetime import date

    month = _bill(two_period_rate(), MARCH_ROWS, holidays={date(2026, 3, 9)})["months"][0]
    assert Decimal(month["energy_charge_usd"]) == Decimal("26.60")
    assert Decimal(month["demand_tou_charge_usd"]) == Decimal(400)


def test_monthly_minimum_tops_the_bill_up() -> None:
    """Charges 967.50 under a 1,000 $/month minimum -> minimum line 32.50, total 1,000."""
    month = _bill(two_period_rate(mincharge=1000, minchargeunits="$/month"), MARCH_ROWS)["months"][0]
    assert Decimal(month["minimum_charge_usd"]) == Decimal("32.50")
    assert Decimal(month["total_usd"]) == Decimal(1000)


def test_ratchet_and_annual_minimum_across_two_months() -> None:
    """Feb: one 100 kWh weekday off-peak hour -> peak 100 kW; flat 50 x 5 + 50 x 4 = 450, energy 100 x 0.10 = 10,
    fixed 1 -> 461. March ratchet: 0.8 x 100 = 80 kW > 70 kW peak -> flat 50 x 5 + 30 x 4 = 370, March total
    33.50 + 600 + 370 + 4 = 1,007.50. Annual minimum 2,000: year 1,468.50 -> 531.50 added to March."""
    rate = two_period_rate(lookbackPercent=0.8, lookbackRange=11, mincharge=2000, minchargeunits="$/year")
    result = _bill(rate, [(utc(2026, 2, 10, 8), "100"), *MARCH_ROWS])
    february, march = result["months"]
    assert Decimal(february["total_usd"]) == Decimal(461)
    assert march["billing_demand_kw"] == "80.0"
    assert Decimal(march["demand_flat_charge_usd"]) == Decimal(370)
    assert Decimal(march["minimum_charge_usd"]) == Decimal("531.50")
    assert Decimal(result["total_usd"]) == Decimal(2000)


def test_real_xcel_re_tou_response_bills_one_summer_weekday() -> None:
    """Xcel RE-TOU (URDB 618940545457a35a1c4097ec, a double-encoded API response): Wed Jul 15 2026, 10 kWh at
    15:00 MDT (period 4: 0.17246 + 0.047412 = 0.219872) and 10 kWh at 03:00 (period 0: 0.06387 + 0.035187 =
    0.099057) -> 2.19872 + 0.99057 = 3.18929 energy; fixed 5.71 $/month; total 8.89929."""
    text = (DATA / "urdb_xcel_re_tou_response.json").read_text()
    load = load_csv([(utc(2026, 7, 15, 9), "10"), (utc(2026, 7, 15, 21), "10")])
    result = bill_tariff_json("xcel.json", text, "load.csv", load, DENVER)
    month = result["months"][0]
    assert Decimal(month["energy_charge_usd"]) == Decimal("3.18929")
    assert Decimal(month["fixed_charge_usd"]) == Decimal("5.71")
    assert Decimal(result["total_usd"]) == Decimal("8.89929")
    assert result["tariff"]["utility"] == "Public Service Co of Colorado"


def test_v7_float_schedules_and_1e38_tier_bounds_are_read() -> None:
    """v7 files write schedule entries as 1.0 and open tiers as 9.9999996802856925e+37. 150 kWh at one
    weekday hour in period 1 (tiers 0.05 to 100 kWh, then 0.07): 100 x 0.05 + 50 x 0.07 = 8.50."""
    weekday = [[1.0] * 24 for _ in range(12)]
    weekend = [[0.0] * 24 for _ in range(12)]  # period 0 on weekends: every period is used by the schedule
    rate = {"energyratestructure": [[{"max": 100.0, "rate": 0.04}],
                                    [{"max": 100.0, "rate": 0.05}, {"max": 9.9999996802856925e+37, "rate": 0.07}]],
            "energyweekdayschedule": weekday, "energyweekendschedule": weekend}
    month = _bill(rate, [(utc(2026, 3, 10, 18), "150")])["months"][0]
    assert Decimal(month["energy_charge_usd"]) == Decimal("8.50")


@pytest.mark.parametrize(("change", "field"), [
    ({"demandrateunit": "kVA"}, "demandrateunit"),
    ({"energyweekdayschedule": [[0] * 24] * 11}, "energyweekdayschedule"),
    ({"flatdemandmonths": [3] * 12}, "flatdemandmonths[0]"),
    ({"fixedchargeunits": "$/fortnight"}, "fixedchargeunits"),
    ({"lookbackPercent": 80}, "lookbackPercent"),
])
def test_rates_we_cannot_bill_faithfully_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    """Unsupported units, wrong schedule shapes, periods that do not exist and percent-not-fraction are BadInput."""
    with pytest.raises(BadInput) as caught:
        _bill(two_period_rate(**change), MARCH_ROWS)
    assert caught.value.field == field


def test_load_rows_must_carry_offsets_and_move_forward() -> None:
    """A naive timestamp and a repeated interval are refused with their line numbers."""
    with pytest.raises(BadInput) as caught:
        bill_tariff_json("r", rate_json(two_period_rate()), "load.csv",
                         "interval_start,energy_kwh\n2026-03-01T00:00:00,1\n", DENVER)
    assert (caught.value.line, caught.value.field) == (2, "interval_start")
    with pytest.raises(BadInput) as caught:
        _bill(two_period_rate(), [MARCH_ROWS[0], MARCH_ROWS[0]])
    assert caught.value.line == 3


def test_fall_back_hour_is_billed_twice_at_its_local_hour() -> None:
    """Sun Nov 1 2026, Denver: 01:00-02:00 local happens twice (07:00Z MDT and 08:00Z MST). On a weekday-only
    on-peak tariff both are weekend off-peak: 10 + 20 kWh at 0.10 (first tier) = 3.00, and the demand peak is
    the second one, 20 kW -> flat 20 x 5 = 100. Mon Nov 2 14:00 MST (21:00Z) 5 kWh is on-peak: 5 x 0.20 = 1.00
    (35 kWh in the month, all in the first tier)."""
    rows = [(utc(2026, 11, 1, 7), "10"), (utc(2026, 11, 1, 8), "20"), (utc(2026, 11, 2, 21), "5")]
    month = _bill(two_period_rate(), rows)["months"][0]
    assert month["month"] == "2026-11"
    assert Decimal(month["energy_charge_usd"]) == Decimal("4.00")
    assert Decimal(month["demand_flat_charge_usd"]) == Decimal(100)
    assert Decimal(month["demand_tou_charge_usd"]) == Decimal(50)  # on-peak 5 kW x $10


@settings(max_examples=40, deadline=None)
@given(energies=st.lists(st.integers(0, 500_000), min_size=4, max_size=4), bump=st.integers(1, 100_000),
       which=st.integers(0, 3))
def test_bill_is_monotonic_in_energy(energies: list[int], bump: int, which: int) -> None:
    """Property: adding energy to any interval never lowers any month total (all rates are non-negative)."""
    def total(values: list[int]) -> Decimal:
        rows = [(start, str(Decimal(wh) / 1000)) for (start, _), wh in zip(MARCH_ROWS, values, strict=True)]
        return Decimal(_bill(two_period_rate(), rows)["total_usd"])
    more = list(energies)
    more[which] += bump
    assert total(more) >= total(energies)


def test_coincident_demand_tiered_tou_demand_and_yearly_fixed_charge() -> None:
    """Coincident schedule: period 1 (7 $/kW) at 16:00-18:00 local every day, period 0 (0 $/kW) otherwise. Adding
    Wed Mar 11 16:00 MDT (22:00Z) 25 kWh: coincident peak 25 kW -> 175. TOU demand tiers on-peak 10 $/kW to 50 kW
    then 6: on-peak peak 60 kW -> 500 + 60 = 560. Fixed 120 $/year -> 10 a month."""
    coincident_row = [1 if 16 <= hour < 18 else 0 for hour in range(24)]
    rate = two_period_rate(
        demandratestructure=[[{"rate": 0}], [{"max": 50, "rate": 10}, {"rate": 6}]],
        coincidentratestructure=[[{"rate": 0}], [{"rate": 7}]],
        coincidentrateschedule=[coincident_row for _ in range(12)],
        fixedchargefirstmeter=120, fixedchargeunits="$/year")
    month = _bill(rate, [*MARCH_ROWS, (utc(2026, 3, 11, 22), "25")])["months"][0]
    assert Decimal(month["demand_coincident_charge_usd"]) == Decimal(175)
    assert Decimal(month["demand_tou_charge_usd"]) == Decimal(560)
    assert Decimal(month["fixed_charge_usd"]) == Decimal(10)


@pytest.mark.parametrize(("unit", "bound", "energy_usd"), [
    # 10 kWh a day x 4 days billed = 40 kWh of 200 in tier 1 (20 %): on 100 x (0.2 x 0.20 + 0.8 x 0.25) = 24.00,
    # off 100 x (0.2 x 0.10 + 0.8 x 0.12) = 11.60.
    ("kWh daily", 10, "35.60"),
    # 1 kWh per kW of the 70 kW peak = 70 kWh (35 %): on 100 x (0.35 x 0.20 + 0.65 x 0.25) = 23.25,
    # off 100 x (0.35 x 0.10 + 0.65 x 0.12) = 11.30.
    ("kWh/kW", 1, "34.55"),
])
def test_daily_and_per_kw_tier_bounds_scale(unit: str, bound: int, energy_usd: str) -> None:
    """Tier bounds in `kWh daily` scale by the days billed, in `kWh/kW` by the month's peak demand."""
    structure = [[{"max": bound, "rate": 0.10, "unit": unit}, {"rate": 0.12, "unit": unit}],
                 [{"max": bound, "rate": 0.20, "unit": unit}, {"rate": 0.25, "unit": unit}]]
    month = _bill(two_period_rate(energyratestructure=structure), MARCH_ROWS)["months"][0]
    assert Decimal(month["energy_charge_usd"]) == Decimal(energy_usd)
