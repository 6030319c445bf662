"""Tariff charges for a campus series: bill a load series under a URDB tariff contract and emit charges."""

from __future__ import annotations

import numpy as np

from settlement.allocation_methods import apply_loss_factor
from settlement.campus_inputs import Series
from settlement.campus_lines import usd_charge
from settlement.charges import UNIT_MWH, Charge, display_rate
from settlement.contracts import TariffTerms
from settlement.tariff_bill import BillOptions, LoadSeries, MonthBill, bill_load

WH_PER_KWH = 1000


def bill_series(terms: TariffTerms, series: Series, time_zone_options: BillOptions) -> list[MonthBill]:
    energy_wh = apply_loss_factor(series.energy_wh, terms.loss_factor)
    load = LoadSeries(series.starts_utc_us, energy_wh, np.full(energy_wh.size, series.interval_minutes, np.int64),
                      WH_PER_KWH)
    return bill_load(terms.tariff, load, time_zone_options)


def options_for(terms: TariffTerms, base: BillOptions) -> BillOptions:
    return BillOptions(base.time_zone, terms.holidays, terms.holidays_as_weekend, terms.tier_fill)


def month_charges(bill: MonthBill, label: str) -> list[Charge]:
    """Energy line (MWh) always; demand, fixed and minimum lines when they are not zero (money-only lines)."""
    energy_wh = int(bill.energy_kwh * WH_PER_KWH)
    charges = [Charge(f"{label} energy {bill.month}", "tariff.energy", energy_wh, UNIT_MWH,
                      display_rate(bill.energy_charge_usd_micros, energy_wh), bill.energy_charge_usd_micros)]
    peaks = ", ".join(f"period {p} {kw} kW" for p, kw in sorted(bill.demand_kw_by_period.items()))
    optional = [
        (f"{label} TOU demand {bill.month} ({peaks})", "tariff.demand_tou", bill.demand_tou_charge_usd_micros),
        (f"{label} flat demand {bill.month} (billing demand {bill.billing_demand_kw} kW)", "tariff.demand_flat",
         bill.demand_flat_charge_usd_micros),
        (f"{label} coincident demand {bill.month}", "tariff.demand_coincident",
         bill.demand_coincident_charge_usd_micros),
        (f"{label} fixed charge {bill.month} ({bill.days_billed} days)", "tariff.fixed", bill.fixed_charge_usd_micros),
        (f"{label} minimum charge top-up {bill.month}", "tariff.minimum", bill.minimum_charge_usd_micros),
    ]
    charges.extend(usd_charge(description, clause, amount) for description, clause, amount in optional if amount)
    return charges


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
