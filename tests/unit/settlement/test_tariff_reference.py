"""The tariff engine equals a plain per-interval Python reference written here (zoneinfo per row, dicts, Decimal) on
random 15-minute loads of whole local days (up to a month) across the March and November DST changes, with random
tier bounds, for every determinant."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from settlement.tariffs import BillOptions, LoadSeries, bill_load, datetime_to_utc_us, parse_urdb_rate

DENVER = ZoneInfo("America/Denver")
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


def _reference(first_utc: datetime, energies_wh: list[int], bound_kwh: int) -> dict[str, int]:
    """Per-interval Python: local hour and weekday from zoneinfo per row; tiers shared by each period's energy."""
    period_kwh: dict[int, Decimal] = defaultdict(Decimal)
    peak_kw: dict[int, Decimal] = defaultdict(Decimal)
    for index, wh in enumerate(energies_wh):
        local = (first_utc + timedelta(minutes=15 * index)).astimezone(DENVER)
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


MONTH_SPANS = (  # (local midnight the load starts, fewest and most whole days in that month)
    (datetime(2026, 3, 1, tzinfo=DENVER), 8, 31),  # reaches Sunday Mar 8, the spring-forward day, at least
    (datetime(2026, 3, 7, tzinfo=DENVER), 3, 25),  # Sat, the 23-hour Sunday, Monday's on-peak hours, ...
    (datetime(2026, 11, 1, tzinfo=DENVER), 2, 30),  # the 25-hour fall-back Sunday, then weekdays
)


def _whole_days(span: int, days: int, seed: int) -> tuple[datetime, list[int]]:
    """Whole local days of random 15-minute energy (1..5,000 Wh, so every period has load) from a month's span."""
    local_start, _, _ = MONTH_SPANS[span]
    local_end = datetime.combine(local_start.date() + timedelta(days=days), local_start.time(), DENVER)
    count = int((local_end.astimezone(UTC) - local_start.astimezone(UTC)) / timedelta(minutes=15))
    return local_start.astimezone(UTC), np.random.default_rng(seed).integers(1, 5_001, count).tolist()


def _crosses_dst(first_utc: datetime, count: int) -> bool:
    last_utc = first_utc + timedelta(minutes=15 * (count - 1))
    return first_utc.astimezone(DENVER).utcoffset() != last_utc.astimezone(DENVER).utcoffset()


@st.composite
def month_loads(draw: st.DrawFn) -> tuple[datetime, list[int]]:
    span = draw(st.integers(0, len(MONTH_SPANS) - 1))
    _, days_min, days_max = MONTH_SPANS[span]
    return _whole_days(span, draw(st.integers(days_min, days_max)), draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=30, deadline=None)
@given(load=month_loads(), bound=st.integers(0, 100_000))
@example(load=_whole_days(0, 31, 1), bound=40_000)  # all of March: tier bound inside the month's energy
@example(load=_whole_days(1, 3, 2), bound=0)  # Sat, spring-forward Sun, Mon: everything in the upper tier
@example(load=_whole_days(2, 2, 3), bound=100_000)  # fall-back Sunday and Monday: everything in the lower tier
def test_engine_equals_per_interval_reference(load: tuple[datetime, list[int]], bound: int) -> None:
    """Property: energy, TOU demand and flat demand charges agree to the micro-dollar on whole days across a
    daylight-saving change, with on-peak hours in every case (so no comparison is zero against zero).

    Break caught: dropping the TOU demand charge from the engine (or billing it on the wrong local hours, e.g.
    UTC hours or standard time across the change) fails every example."""
    first_utc, energies = load
    assert _crosses_dst(first_utc, len(energies))
    starts = np.array([datetime_to_utc_us(first_utc + timedelta(minutes=15 * i)) for i in range(len(energies))],
                      dtype=np.int64)
    series = LoadSeries(starts, np.array(energies, dtype=np.int64), np.full(len(energies), 15, dtype=np.int64), 1000)
    (bill,) = bill_load(parse_urdb_rate("t", _rate(bound)), series, BillOptions(DENVER))
    expected = _reference(first_utc, energies, bound)
    assert all(expected[charge] > 0 for charge in ("energy", "demand_tou", "demand_flat")), expected
    assert (bill.energy_charge_usd_micros, bill.demand_tou_charge_usd_micros, bill.demand_flat_charge_usd_micros) \
        == (expected["energy"], expected["demand_tou"], expected["demand_flat"])
