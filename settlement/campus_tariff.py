"""Tariff charges for a campus series: bill a load series under a URDB tariff contract and emit charges."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from settlement.allocation_methods import apply_loss_factor
from settlement.campus_inputs import Series
from settlement.charges import RATE_QUANTUM, UNIT_KW_MONTH, UNIT_MWH, Charge, display_rate
from settlement.contracts import TariffTerms
from settlement.tariff_bill import BillOptions, Determinant, LoadSeries, MonthBill, bill_load

WH_PER_KWH = 1000


def bill_series(terms: TariffTerms, series: Series, time_zone_options: BillOptions) -> list[MonthBill]:
    energy_wh = apply_loss_factor(series.energy_wh, terms.loss_factor)
    load = LoadSeries(series.starts_utc_us, energy_wh, np.full(energy_wh.size, series.interval_minutes, np.int64),
                      WH_PER_KWH)
    return bill_load(terms.tariff, load, time_zone_options)


def options_for(terms: TariffTerms, base: BillOptions) -> BillOptions:
    return BillOptions(base.time_zone, terms.holidays, terms.holidays_as_weekend, terms.tier_fill)


def month_charges(bill: MonthBill, label: str) -> list[Charge]:
    """One line per bill determinant: energy per TOU period (MWh), demand per period (kW, quantity in W), fixed
    charge, minimum top-up. Zero-amount demand lines are kept: the peak is a determinant worth seeing."""
    return [_charge(line, bill.month, label) for line in bill.determinants]


def _charge(line: Determinant, month: str, label: str) -> Charge:
    period = f" period {line.period}" if line.period >= 0 else ""
    description = f"{label} {line.component.replace('_', ' ')}{period} {month}"
    clause = f"tariff.{line.component}" + (f".p{line.period}" if line.period >= 0 else "")
    if line.component == "energy":
        energy_wh = int(line.quantity * WH_PER_KWH)
        return Charge(description, clause, energy_wh, UNIT_MWH, display_rate(line.amount_usd_micros, energy_wh),
                      line.amount_usd_micros)
    if line.unit == "kW":
        demand_w = int(line.quantity * 1000)
        rate = Decimal(0) if demand_w == 0 else (Decimal(line.amount_usd_micros) / (demand_w * 1000)).quantize(
            RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
        return Charge(f"{description} ({line.quantity} kW)", clause, demand_w, UNIT_KW_MONTH, rate,
                      line.amount_usd_micros)
    quantity = int(line.quantity)
    rate = (Decimal(line.amount_usd_micros).scaleb(-6) / quantity).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return Charge(description, clause, quantity, line.unit, rate, line.amount_usd_micros)


def component_total_usd_micros(bills: list[MonthBill], component: str) -> int:
    """A tariff bill's total for one component: energy, demand (TOU + flat + coincident), fixed (fixed + minimum)."""
    total = 0
    for bill in bills:
        energy = bill.energy_charge_usd_micros
        demand = (bill.demand_tou_charge_usd_micros + bill.demand_flat_charge_usd_micros
                  + bill.demand_coincident_charge_usd_micros)
        fixed = bill.fixed_charge_usd_micros + bill.minimum_charge_usd_micros
        total += {"energy": energy, "demand": demand, "fixed": fixed, "all": energy + demand + fixed}[component]
    return total
