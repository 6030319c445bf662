"""Selling surplus on-site generation at the campus node: revenue at the ISO's prices and the margin over fuel.

revenue = sum_t E_DA,t x P_DA,t + sum_t (E_RT,t - E_DA,t) x P_RT,t (no day-ahead position: sum_t E_RT,t x P_RT,t);
margin = revenue - sum_t E_t x marginal cost. An interval whose price is under the marginal cost is one the
economic rule (R-ECON) blocks: the unit would not have exported then, so it earns and costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from settlement.money import energy_amount_usd_micros


@dataclass(frozen=True)
class ExportInterval:
    interval_start_utc: datetime
    energy_wh: int  # surplus available to export in the interval (RT quantity)
    price_rt_usd_per_mwh: Decimal
    energy_da_wh: int = 0  # a day-ahead position, if one was taken
    price_da_usd_per_mwh: Decimal | None = None


@dataclass(frozen=True)
class ExportResult:
    revenue_usd_micros: int  # every interval, guardrails aside
    allowed_revenue_usd_micros: int  # the intervals R-ECON allows
    allowed_cost_usd_micros: int
    allowed_energy_wh: int
    blocked_starts_utc: tuple[datetime, ...]

    @property
    def margin_usd_micros(self) -> int:
        return self.allowed_revenue_usd_micros - self.allowed_cost_usd_micros


def interval_revenue_usd_micros(interval: ExportInterval) -> int:
    if interval.energy_da_wh and interval.price_da_usd_per_mwh is None:
        raise ValueError(f"{interval.interval_start_utc}: a day-ahead position needs a day-ahead price")
    day_ahead = energy_amount_usd_micros(interval.energy_da_wh, interval.price_da_usd_per_mwh or Decimal(0))
    balancing = energy_amount_usd_micros(interval.energy_wh - interval.energy_da_wh, interval.price_rt_usd_per_mwh)
    return day_ahead + balancing


def export_value(intervals: Sequence[ExportInterval], marginal_cost_usd_per_mwh: Decimal) -> ExportResult:
    """Revenue of every interval, and revenue, cost and energy of those where the price covers the marginal cost."""
    revenue = allowed_revenue = allowed_cost = allowed_wh = 0
    blocked: list[datetime] = []
    for interval in intervals:
        amount = interval_revenue_usd_micros(interval)
        revenue += amount
        if interval.price_rt_usd_per_mwh < marginal_cost_usd_per_mwh:
            blocked.append(interval.interval_start_utc)
            continue
        allowed_revenue += amount
        allowed_cost += energy_amount_usd_micros(interval.energy_wh, marginal_cost_usd_per_mwh)
        allowed_wh += interval.energy_wh
    return ExportResult(revenue, allowed_revenue, allowed_cost, allowed_wh, tuple(blocked))
