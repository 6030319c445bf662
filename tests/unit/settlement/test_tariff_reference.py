"""The tariff engine equals a plain per-interval Python reference written here (zoneinfo per row, dicts, Decimal) on
random 15-minute loads across the March DST change, with random tier bounds, for every determinant."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.tariffs import BillOptions, LoadSeries, bill_load, datetime_to_utc_us, parse_urdb_rate

DENVER = ZoneInfo("America/Denver")
FIRST = datetime(2026, 3, 7, 7, tzinfo=UTC)  # Sat Mar 7 00:00 MST; DST starts Sun Mar 8 02:00
ON_PEAK = range(14, 18)
ENERGY_RATES = ((Decimal("0.10"), Decimal("0.12")), (Decimal("0.20"), Decimal("0.25")))  # [period][tier]
DEMAND_RATES = (Decimal(0), Decimal(10))
FLAT_RATE = Decimal(5)


def _rate(bound_kwh: int) -> dict[str, object]:
    weekday = [[1 if hour in ON_PEAK else 0 for hour in range(24)] for _ in range(12)]
    weekend = [[0] * 24 for _ in range(12)]
    return {"energyratestructure": [[{"max": bound_kwh, "rate": str(low)}, {"rate": str(high)}]
                                    for low, high in ENERGY_RATES],
            "energyweekdayschedule": weekday, "energyweekendschedule": weekend,
            "demandratestructure": [[{"rate": str(rate)}] for rate in DEMAND_RATES],
            "demandweekdayschedule": weekday, "demandweekendschedule": weekend,
            "flatdemandstructure": [[{"rate": str(FLAT_RATE)}]], "flatdemandmonths": [0] * 12}


def _micros(usd: Decimal) -> int:
    return int((usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _reference(energies_wh: list[int], bound_kwh: int) -> dict[str, int]:
    """Per-interval Python: local hour and weekday from zoneinfo per row; tiers shared by each period's energy."""
    period_kwh: dict[int, Decimal] = defaultdict(Decimal)
    peak_kw: dict[int, Decimal] = defaultdict(Decimal)
    for index, wh in enumerate(energies_wh):
        local = (FIRST + timedelta(minutes=15 * index)).astimezone(DENVER)
        period = 1 if local.weekday() < 5 and local.hour in ON_PEAK else 0
        period_kwh[period] += Decimal(wh) / 1000
        peak_kw[period] = max(peak_kw[period], Decimal(wh * 4) / 1000)
    month_kwh = sum(period_kwh.values(), Decimal(0))
    with localcontext() as context:
        context.prec = 50  # the tier share divides; keep 50 digits before the one rounding, as the engine does
        low_share = min(month_kwh, Decimal(bound_kwh)) / month_kwh if month_kwh else Decimal(0)
        energy = sum(_micros(kwh * (low_share * ENERGY_RATES[p][0] + (1 - low_share) * ENERGY_RATES[p][1]))
                     for p, kwh in period_kwh.items())
    demand_tou = sum(_micros(kw * DEMAND_RATES[p]) for p, kw in peak_kw.items())
    flat = _micros(max(peak_kw.values()) * FLAT_RATE)
    return {"energy": energy, "demand_tou": demand_tou, "demand_flat": flat}


@settings(max_examples=30, deadline=None)
@given(energies=st.lists(st.integers(0, 5_000), min_size=1, max_size=300), bound=st.integers(0, 500))
def test_engine_equals_per_interval_reference(energies: list[int], bound: int) -> None:
    """Property: energy, TOU demand and flat demand charges agree to the micro-dollar."""
    starts = np.array([datetime_to_utc_us(FIRST + timedelta(minutes=15 * i)) for i in range(len(energies))],
                      dtype=np.int64)
    load = LoadSeries(starts, np.array(energies, dtype=np.int64), np.full(len(energies), 15, dtype=np.int64), 1000)
    (bill,) = bill_load(parse_urdb_rate("t", _rate(bound)), load, BillOptions(DENVER))
    expected = _reference(energies, bound)
    assert (bill.energy_charge_usd_micros, bill.demand_tou_charge_usd_micros, bill.demand_flat_charge_usd_micros) \
        == (expected["energy"], expected["demand_tou"], expected["demand_flat"])
