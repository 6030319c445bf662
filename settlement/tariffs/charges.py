"""A priced charge before it belongs to a tenant and a line number (what the pure contract rules return)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

UNIT_MWH = "MWh"
UNIT_KW_MONTH = "kW-month"
UNIT_REC_MWH = "REC-MWh"
RATE_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class Charge:
    """`quantity_wh` is energy for MWh lines, demand in W for kW-month lines, 1 for month lines. `rate` is USD per
    the unit; for interval-priced lines it is the energy-weighted average shown for reading only (the amount is the
    exact sum of interval amounts, rounded once)."""

    description: str
    clause: str
    quantity_wh: int
    unit: str
    rate: Decimal
    amount_usd_micros: int


def display_rate(amount_usd_micros: int, quantity_wh: int) -> Decimal:
    """Average USD/MWh of an interval-priced line, ROUND_HALF_EVEN to 6 decimals (numeric(18,6) in the table)."""
    if quantity_wh == 0:
        return Decimal(0)
    return (Decimal(amount_usd_micros) / Decimal(quantity_wh)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Proration:
    """A monthly charge or quantity billed for `days` of the `month_days` of its billing month (a tenant
    moving in or out, a contract segment): it is multiplied by days / month_days before its one rounding."""

    days: int
    month_days: int

    def of(self, amount: Decimal) -> Decimal:
        """The exact prorated amount (multiplied before dividing, so a whole result stays whole)."""
        return amount * self.days / self.month_days
