"""Tariff charges for a campus series: bill a load series under a URDB tariff contract and emit charges."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from common.errors import BadInput
from settlement.contracts import TariffTerms
from settlement.engine.allocation_methods import apply_loss_factor
from settlement.engine.inputs import Series
from settlement.tariffs import (
    RATE_QUANTUM,
    UNIT_KW_MONTH,
    UNIT_MWH,
    BillOptions,
    Charge,
    Determinant,
    LoadSeries,
    MonthBill,
    bill_load,
    display_rate,
)

WH_PER_KWH = 1000


def bill_series(terms: TariffTerms, series: Series, time_zone_options: BillOptions,
                export: Series | None = None) -> list[MonthBill]:
    """Bill the import `series`; `export` (the campus export meters) is credited per the tariff's metering option.
    The loss factor applies to import only: it grosses consumption up to the supply point, export is metered
    there."""
    energy_wh = apply_loss_factor(series.energy_wh, terms.loss_factor)
    export_wh = None if export is None or not export.energy_wh.any() else _on_grid_of(series, export)
    load = LoadSeries(series.starts_utc_us, energy_wh, np.full(energy_wh.size, series.interval_minutes, np.int64),
                      WH_PER_KWH, export_wh)
    return bill_load(terms.tariff, load, time_zone_options)


def _on_grid_of(series: Series, export: Series) -> npt.NDArray[np.int64]:
    """Export Wh summed into the import series' cells (both grids start at the period start). An export cell
    longer than an import cell cannot be split without inventing a profile, so it is refused."""
    if series.interval_minutes % export.interval_minutes:
        raise BadInput("export", None, "interval_minutes", f"export meters read every {export.interval_minutes} "
                       f"minutes, the grid import every {series.interval_minutes}: export must divide import")
    step_us = series.interval_minutes * 60_000_000
    summed = np.zeros(series.energy_wh.size, dtype=np.int64)
    if series.starts_utc_us.size:
        cells = (export.starts_utc_us - series.starts_utc_us[0]) // step_us
        np.add.at(summed, cells, export.energy_wh)  # integer sums: np.bincount would go through float64
    return summed


def options_for(terms: TariffTerms, base: BillOptions) -> BillOptions:
    """The contract's calendar options on `base`'s zone and billing-month days (proration)."""
    return BillOptions(base.time_zone, terms.holidays, terms.holidays_as_weekend, terms.tier_fill,
                       month_days=base.month_days)


def month_charges(bill: MonthBill, label: str) -> list[Charge]:
    """One line per bill determinant: energy per TOU period (MWh), export credit per period (MWh, negative
    amount), demand per period (kW, quantity in W), fixed charge, minimum top-up. Zero-amount demand lines are
    kept: the peak is a determinant worth seeing."""
    return [_charge(line, bill.month, label) for line in bill.determinants]


def _charge(line: Determinant, month: str, label: str) -> Charge:
    period = f" period {line.period}" if line.period >= 0 else ""
    description = f"{label} {line.component.replace('_', ' ')}{period} {month}"
    if line.proration is not None:
        description += f" prorated {line.proration.days}/{line.proration.month_days} days"
    clause = f"tariff.{line.component}" + (f".p{line.period}" if line.period >= 0 else "")
    if line.component in ("energy", "export_credit"):
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
    """A tariff bill's total for one component: energy, demand (TOU + flat + coincident), fixed (fixed + minimum),
    export (the export credits, zero or negative), or all charges (energy + demand + fixed; the export credit
    stays a line of its own, see `export_credit_totals`)."""
    total = 0
    for bill in bills:
        energy = bill.energy_charge_usd_micros
        demand = (bill.demand_tou_charge_usd_micros + bill.demand_flat_charge_usd_micros
                  + bill.demand_coincident_charge_usd_micros)
        fixed = bill.fixed_charge_usd_micros + bill.minimum_charge_usd_micros
        total += {"energy": energy, "demand": demand, "fixed": fixed, "export": bill.export_credit_usd_micros,
                  "all": energy + demand + fixed}[component]
    return total


def export_credit_totals(bills: list[MonthBill]) -> tuple[int, int]:
    """(Wh credited, credit in micro-USD, zero or negative) over the bills' export credit lines."""
    lines = [line for bill in bills for line in bill.determinants if line.component == "export_credit"]
    return (sum(int(line.quantity * WH_PER_KWH) for line in lines), sum(line.amount_usd_micros for line in lines))
