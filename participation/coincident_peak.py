"""Transmission charges set by a site's demand in the system's coincident peaks, and what avoiding them is worth.

ERCOT's four coincident peaks (16 TAC §25.192(b)(1)): per month June to September, the one 15-minute settlement
interval of highest ERCOT demand (published after the month as NP9-83-M); a site's 4CP demand is the mean of its
15-minute average demand (4 x interval kWh) in those four intervals, and it pays demand x the transmission rate
(USD per kW-year) over the following year. The method is a parameter set (months, interval length, how many
peaks) because it is under review (PUCT Project 58484 proposes 12 peaks of 30 minutes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from common.errors import BadInput
from settlement.money import usd_to_micros


@dataclass(frozen=True)
class CoincidentPeakMethod:
    name: str = "ercot-4cp"
    months: tuple[int, ...] = (6, 7, 8, 9)
    interval: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class CoincidentPeakCharge:
    """The site's demand in each system peak (kW, exact), their mean, and the year's charge at `rate`."""

    demand_kw_by_peak: dict[datetime, Fraction]
    demand_kw_mean: Fraction
    charge_usd_micros_per_year: int


def coincident_peak_charge(site_energy_wh_by_interval: Mapping[datetime, int], peak_starts_utc: Sequence[datetime],
                           rate_usd_per_kw_year: Decimal,
                           method: CoincidentPeakMethod = CoincidentPeakMethod()) -> CoincidentPeakCharge:
    """The charge a site's load in the system's peak intervals sets (energy keyed by interval start, UTC)."""
    months = sorted(peak.month for peak in peak_starts_utc)
    if months != sorted(method.months):
        raise BadInput("coincident peaks", None, "intervals",
                       f"{method.name} needs one peak in each month {list(method.months)}, got months {months}")
    hours = Fraction(int(method.interval.total_seconds()), 3600)
    demand: dict[datetime, Fraction] = {}
    for peak in peak_starts_utc:
        if peak not in site_energy_wh_by_interval:
            raise BadInput("coincident peaks", None, "load", f"no metered energy for the peak interval {peak}")
        demand[peak] = Fraction(site_energy_wh_by_interval[peak], 1000) / hours  # Wh -> kWh, / hours -> kW
    mean = sum(demand.values(), Fraction(0)) / len(demand)
    exact_usd = Decimal(mean.numerator) * rate_usd_per_kw_year / Decimal(mean.denominator)
    return CoincidentPeakCharge(demand, mean, usd_to_micros(exact_usd))


def coincident_peak_avoidance_usd_micros(actual: CoincidentPeakCharge, without_response: CoincidentPeakCharge) -> int:
    """What responding in the peaks saved over the year: the charge without the response minus the actual one."""
    return without_response.charge_usd_micros_per_year - actual.charge_usd_micros_per_year
