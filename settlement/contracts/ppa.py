"""Power purchase agreements, priced interval by interval (pure, exact).

Forms: fixed price; time-of-delivery shaped (price x a factor per 12x24 period); index-plus (multiplier x LMP +
adder, with optional floor and cap, i.e. a collar, applied per interval). Any fixed or shaped price escalates on
contract anniversaries: contract year y (1 from the first delivery date) has price P1 x (1 + g)^(y-1), rounded
ROUND_HALF_EVEN to $0.000001/MWh before use, and a month that crosses an anniversary gets one line per price.
Deemed energy (compensable curtailment) is paid at the contract price; a take-or-pay minimum adds a shortfall
line when delivered + deemed energy is below the monthly minimum; bundled RECs add a zero-dollar REC line. Each
quantity is priced at the contract year of its own interval (deemed energy) or days (the shortfall), never at the
year of the month's first day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from common.errors import BadInput
from settlement.allocation import allocate_largest_remainder
from settlement.money import energy_amount_usd_micros
from settlement.tariffs import (
    RATE_QUANTUM,
    UNIT_MWH,
    UNIT_REC_MWH,
    Charge,
    display_rate,
    local_calendar,
)

FORM_FIXED = "fixed"
FORM_TOD = "tod"
FORM_INDEX = "index"


@dataclass(frozen=True)
class IndexTerms:
    node: str
    market: str
    adder_usd_per_mwh: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    floor_usd_per_mwh: Decimal | None = None
    cap_usd_per_mwh: Decimal | None = None


@dataclass(frozen=True)
class PpaTerms:
    form: str
    price_usd_per_mwh: Decimal = Decimal(0)
    first_delivery: date = date(2000, 1, 1)
    escalator_fraction_per_year: Decimal = Decimal(0)
    tod_weekday: tuple[tuple[int, ...], ...] = ()
    tod_weekend: tuple[tuple[int, ...], ...] = ()
    tod_factors: tuple[Decimal, ...] = ()
    index: IndexTerms | None = None
    take_or_pay_mwh_per_month: Decimal | None = None
    take_or_pay_mwh_per_contract_year: Decimal | None = None
    shortfall_price_usd_per_mwh: Decimal | None = None
    deemed_price_usd_per_mwh: Decimal | None = None
    recs_bundled: bool = False


def escalated_price(terms: PpaTerms, contract_year: int) -> Decimal:
    """P1 x (1 + g)^(year - 1), rounded ROUND_HALF_EVEN to $0.000001/MWh (the published price for that year)."""
    growth = (Decimal(1) + terms.escalator_fraction_per_year) ** (contract_year - 1)
    return (terms.price_usd_per_mwh * growth).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)


def contract_years(day_ordinals: npt.NDArray[np.int32], first_delivery: date) -> npt.NDArray[np.int64]:
    """Contract year of each local date: 1 until the first anniversary, 2 until the second, ... (Feb 29 starts
    anniversaries on Mar 1 in common years)."""
    unique_days = np.unique(day_ordinals)
    years = {int(day): _contract_year(date.fromordinal(int(day)), first_delivery) for day in unique_days}
    return np.array([years[int(day)] for day in day_ordinals], dtype=np.int64) if day_ordinals.size else \
        np.zeros(0, dtype=np.int64)


def _contract_year(day: date, first_delivery: date) -> int:
    passed = day.year - first_delivery.year
    anniversary_month_day = (first_delivery.month, first_delivery.day)
    if (day.month, day.day) < anniversary_month_day:
        passed -= 1
    return max(passed, 0) + 1


def settle_ppa_energy(terms: PpaTerms, starts_utc_us: npt.NDArray[np.int64], energy_wh: npt.NDArray[np.int64],
                      time_zone: ZoneInfo, lmp_usd_micros_per_mwh: npt.NDArray[np.int64] | None = None
                      ) -> list[Charge]:
    """Delivered-energy lines: one per (contract year, TOD period) for fixed/shaped prices, one for index."""
    if terms.form == FORM_INDEX:
        assert terms.index is not None and lmp_usd_micros_per_mwh is not None, "index PPA needs prices"
        return [_index_charge(terms.index, energy_wh, lmp_usd_micros_per_mwh)]
    calendar = local_calendar(starts_utc_us, time_zone, (), False)
    years = contract_years(calendar.day_ordinal, terms.first_delivery)
    if terms.form == FORM_TOD:
        weekday, weekend = np.asarray(terms.tod_weekday), np.asarray(terms.tod_weekend)
        month0, hour = calendar.month0.astype(np.int64), calendar.hour.astype(np.int64)
        periods = np.where(calendar.is_weekend, weekend[month0, hour], weekday[month0, hour])
    else:
        periods = np.zeros(energy_wh.size, dtype=np.int64)
    charges: list[Charge] = []
    for year, period in sorted(set(zip(years.tolist(), periods.tolist(), strict=True))):
        selected = (years == year) & (periods == period)
        quantity_wh = int(energy_wh[selected].sum(dtype=np.int64))
        price = escalated_price(terms, year)
        description = f"PPA energy, contract year {year}"
        if terms.form == FORM_TOD:
            # The shaped price is rounded like the escalated one, so quantity x rate reproduces the amount.
            price = (price * terms.tod_factors[period]).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
            description += f", delivery period {period}"
        charges.append(Charge(description, f"ppa.{terms.form}.year{year}", quantity_wh, UNIT_MWH, price,
                              energy_amount_usd_micros(quantity_wh, price)))
    return charges


def index_price_usd_micros(index: IndexTerms, lmp_usd_micros_per_mwh: int) -> Decimal:
    """multiplier x LMP + adder, then floor and cap, in micro-USD/MWh (exact Decimal)."""
    price = index.multiplier * Decimal(lmp_usd_micros_per_mwh) + index.adder_usd_per_mwh * 1_000_000
    if index.floor_usd_per_mwh is not None:
        price = max(price, index.floor_usd_per_mwh * 1_000_000)
    if index.cap_usd_per_mwh is not None:
        price = min(price, index.cap_usd_per_mwh * 1_000_000)
    return price


def _index_charge(index: IndexTerms, energy_wh: npt.NDArray[np.int64],
                  lmp_usd_micros_per_mwh: npt.NDArray[np.int64]) -> Charge:
    # Wh x micro-USD/MWh = 10^-6 micro-USD; sum exactly, round once.
    exact = sum((Decimal(wh) * index_price_usd_micros(index, lmp)
                 for wh, lmp in zip(energy_wh.tolist(), lmp_usd_micros_per_mwh.tolist(), strict=True)), Decimal(0))
    amount = int((exact / 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    quantity_wh = int(energy_wh.sum(dtype=np.int64))
    return Charge(f"PPA energy at {index.market} {index.node} index", "ppa.index", quantity_wh, UNIT_MWH,
                  display_rate(amount, quantity_wh), amount)


def wh_by_contract_year(starts_utc_us: npt.NDArray[np.int64], energy_wh: npt.NDArray[np.int64], time_zone: ZoneInfo,
                        first_delivery: date) -> dict[int, int]:
    """Energy per contract year of each interval's local date (years in order; a year with no interval is absent)."""
    if not starts_utc_us.size:
        return {}
    years = contract_years(local_calendar(starts_utc_us, time_zone, (), False).day_ordinal, first_delivery)
    return {int(year): int(energy_wh[years == year].sum(dtype=np.int64)) for year in np.unique(years)}


def days_by_contract_year(days: Sequence[date], first_delivery: date) -> dict[int, int]:
    """Local days per contract year (years in order)."""
    counts: dict[int, int] = {}
    for day in days:
        year = _contract_year(day, first_delivery)
        counts[year] = counts.get(year, 0) + 1
    return dict(sorted(counts.items()))


def settle_ppa_extras(terms: PpaTerms, delivered_wh: int, deemed_wh_by_year: dict[int, int],
                      days_by_year: dict[int, int], segment_days: Sequence[int] = (), segment_index: int = 0
                      ) -> list[Charge]:
    """Deemed energy, take-or-pay shortfall and bundled RECs for one month (or one contract segment of it).

    Every quantity is priced at the contract year in force at its own interval, like delivered energy: deemed
    energy by the contract year of each deemed interval's local date (`deemed_wh_by_year`), the shortfall by the
    days of the settled window in each contract year (`days_by_year`: the monthly obligation accrues day by day,
    so a month crossing an anniversary owes its shortfall at the old price for the days before it and at the new
    price after it; the shortfall Wh are split by those days with largest remainder, ties to the earlier year).
    A month inside one contract year gives one line each, as before. The base price of year y is the escalated
    price P1 x (1 + g)^(y-1); an index PPA has none and must name its deemed and shortfall prices, which then
    apply whatever the year (one line each). A month settled in contract segments (`segment_days`, the local days
    of each, this one at `segment_index`) gives each segment its part of the monthly minimum: the minimum split
    by the segments' days with largest remainder, so the parts add up to the minimum to the Wh."""
    deemed_wh = sum(deemed_wh_by_year.values())
    charges = _priced_by_year(terms, "Deemed energy (compensable curtailment)", "ppa.deemed_energy",
                              terms.deemed_price_usd_per_mwh, "deemed_price_usd_per_mwh", deemed_wh_by_year)
    if terms.take_or_pay_mwh_per_month is not None:
        minimum_wh = int(terms.take_or_pay_mwh_per_month * 1_000_000)
        if len(segment_days) > 1:
            minimum_wh = allocate_largest_remainder(minimum_wh, list(segment_days))[segment_index]
        shortfall_wh = max(0, minimum_wh - delivered_wh - deemed_wh)
        if shortfall_wh:
            years = sorted(days_by_year) or [1]
            parts = allocate_largest_remainder(shortfall_wh, [days_by_year.get(year, 1) for year in years])
            charges += _priced_by_year(terms, "Take-or-pay shortfall", "ppa.take_or_pay",
                                       terms.shortfall_price_usd_per_mwh, "shortfall_price_usd_per_mwh",
                                       dict(zip(years, parts, strict=True)))
    if terms.recs_bundled:
        charges.append(Charge("Bundled RECs (included in the energy price)", "ppa.recs_bundled", delivered_wh,
                              UNIT_REC_MWH, Decimal(0), 0))
    return charges


def _priced_by_year(terms: PpaTerms, description: str, clause: str, named_price: Decimal | None, field: str,
                    wh_by_year: dict[int, int]) -> list[Charge]:
    """One line at the named price, else one line per contract year at its escalated price (the year named in the
    description only when the quantity spans more than one year). No energy: no line."""
    total_wh = sum(wh_by_year.values())
    if not total_wh:
        return []
    if named_price is not None or terms.form == FORM_INDEX:
        price = _named_or_base(named_price, None, field)
        return [Charge(description, clause, total_wh, UNIT_MWH, price, energy_amount_usd_micros(total_wh, price))]
    spans_years = sum(1 for wh in wh_by_year.values() if wh) > 1
    charges = []
    for year, quantity_wh in sorted(wh_by_year.items()):
        if not quantity_wh:
            continue
        price = escalated_price(terms, year)
        label = f"{description}, contract year {year}" if spans_years else description
        charges.append(Charge(label, clause, quantity_wh, UNIT_MWH, price,
                              energy_amount_usd_micros(quantity_wh, price)))
    return charges


ANNUAL_COUNTED_CLAUSE_PREFIX = "ppa.take_or_pay_annual.counted:"
CLAUSE_ANNUAL_TAKE_OR_PAY = "ppa.take_or_pay_annual"


def annual_counted_clause(contract_key: str, contract_year: int) -> str:
    """The clause of the zero-dollar line recording the Wh a period counts toward one contract year's annual
    minimum (delivered + deemed): the recorded lines carry the year-to-date from month to month."""
    return f"{ANNUAL_COUNTED_CLAUSE_PREFIX}{contract_key}:year{contract_year}"


def last_day_of_contract_year(first_delivery: date, contract_year: int) -> date:
    """The local date before the anniversary that starts year `contract_year + 1` (a Feb 29 first delivery has its
    anniversaries on Mar 1 in common years, as in `contract_years`)."""
    year = first_delivery.year + contract_year
    try:
        anniversary = first_delivery.replace(year=year)
    except ValueError:  # Feb 29 in a common year
        anniversary = date(year, 3, 1)
    return anniversary - timedelta(days=1)


def annual_counted_charge(contract_key: str, contract_year: int, counted_wh: int) -> Charge:
    """Zero-dollar line: Wh of this period counted toward the contract year's annual minimum."""
    return Charge(f"Annual take-or-pay: energy counted toward contract year {contract_year}",
                  annual_counted_clause(contract_key, contract_year), counted_wh, UNIT_MWH, Decimal(0), 0)


def annual_take_or_pay_charge(terms: PpaTerms, contract_year: int, counted_wh: int) -> Charge | None:
    """The annual reconciliation, posted in the month holding the contract year's last day: the year's minimum
    less the delivered and deemed energy counted in the year (every month of it), at the named shortfall price
    or the year's escalated price (an index PPA must name one). None when the minimum was met."""
    assert terms.take_or_pay_mwh_per_contract_year is not None
    minimum_wh = int((terms.take_or_pay_mwh_per_contract_year * 1_000_000).to_integral_value(ROUND_HALF_EVEN))
    shortfall_wh = max(0, minimum_wh - counted_wh)
    if not shortfall_wh:
        return None
    base = None if terms.form == FORM_INDEX else escalated_price(terms, contract_year)
    price = _named_or_base(terms.shortfall_price_usd_per_mwh, base, "shortfall_price_usd_per_mwh")
    return Charge(f"Annual take-or-pay shortfall, contract year {contract_year}", CLAUSE_ANNUAL_TAKE_OR_PAY,
                  shortfall_wh, UNIT_MWH, price, energy_amount_usd_micros(shortfall_wh, price))


def _named_or_base(named: Decimal | None, base: Decimal | None, field: str) -> Decimal:
    if named is not None:
        return named
    if base is None:
        raise BadInput("ppa terms", None, field, "an index-priced PPA must name this price")
    return base


def settle_vppa(strike_usd_per_mwh: Decimal, energy_wh: Sequence[int], hub_lmp_usd_micros_per_mwh: Sequence[int],
                settle_negative_prices: bool, node: str) -> Charge:
    """Virtual PPA as a contract for difference, from the buyer's side: the buyer owes (strike - hub price) on
    each interval's quantity; a negative total is a credit to the buyer. Intervals with a negative hub price are
    skipped when `settle_negative_prices` is False (a common clause)."""
    exact_micro_micros = Decimal(0)
    quantity_wh = 0
    strike_micros = strike_usd_per_mwh * 1_000_000
    for wh, lmp in zip(energy_wh, hub_lmp_usd_micros_per_mwh, strict=True):
        if lmp < 0 and not settle_negative_prices:
            continue
        exact_micro_micros += Decimal(wh) * (strike_micros - lmp)
        quantity_wh += wh
    amount = int((exact_micro_micros / 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return Charge(f"Virtual PPA settlement vs {node} (strike - hub)", "vppa.cfd", quantity_wh, UNIT_MWH,
                  display_rate(amount, quantity_wh), amount)
