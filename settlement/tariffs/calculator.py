"""The stand-alone tariff calculator: bill a load file against a URDB tariff, no campus set-up needed.

Output money is decimal strings in USD with six decimals: each charge is exact, rounded once to micro-USD
(ROUND_HALF_EVEN); month totals and the year total are sums of those, so they add up exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.errors import BadInput
from settlement.money import micros_to_usd_text
from settlement.tariffs.bill import (
    DEMAND_WINDOW_BLOCK,
    TIER_FILL_CHRONOLOGICAL,
    TIER_FILL_SHARED,
    BillOptions,
    LoadSeries,
    MonthBill,
    bill_load,
)
from settlement.tariffs.load_file import read_load_csv, with_export
from settlement.tariffs.urdb import UrdbTariff, load_urdb_text


@functools.lru_cache(maxsize=32)
def _tariff(urdb_source: str, urdb_text: str) -> UrdbTariff:
    """A tariff read once per process (it is immutable): a portfolio, a comparison or a service bills many loads
    against the same few."""
    return load_urdb_text(urdb_source, urdb_text)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadInput("--tz", None, "tz", f"{name!r} is not an IANA time zone") from error


def bill_tariff_json(urdb_source: str, urdb_text: str, load_source: str, load_text: str, time_zone: ZoneInfo,
                     holidays: Collection[date] = (), tier_fill: str = TIER_FILL_SHARED,
                     holidays_as_weekend: bool = True, export_source: str | None = None,
                     export_text: str | None = None, demand_window: str = DEMAND_WINDOW_BLOCK) -> dict[str, Any]:
    """`export_text` (same CSV shape as the load) is energy exported to the grid, billed by the tariff's
    `dgrules`; without it nothing is exported. `demand_window` (block or rolling) is how the tariff's
    `demandwindow` is measured (see `settlement.tariffs.bill`)."""
    _check_tier_fill(tier_fill)
    tariff = _tariff(urdb_source, urdb_text)
    load = read_load_csv(load_source, load_text)
    if export_text is not None:
        source = export_source or "export"
        load = with_export(source, load, read_load_csv(source, export_text))
    bills = bill_load(tariff, load, BillOptions(time_zone, holidays, holidays_as_weekend, tier_fill,
                                                demand_window_kind=demand_window))
    total_micros = sum(bill.total_usd_micros for bill in bills)
    return {
        "tariff": {"label": tariff.label, "name": tariff.name, "utility": tariff.utility,
                   "demand_window_minutes": tariff.demand_window_minutes,
                   "descriptive_fields": list(tariff.descriptive_fields)},
        "demand_window": demand_window,
        "time_zone": time_zone.key,
        "tier_fill": tier_fill,
        "months": [_month_json(bill) for bill in bills],
        "metering": tariff.metering,
        "energy_kwh": str(sum((bill.energy_kwh for bill in bills), Decimal(0))),
        "export_kwh": str(sum((bill.export_kwh for bill in bills), Decimal(0))),
        "total_usd": micros_to_usd_text(total_micros),
    }


def bill_meters(urdb_source: str, urdb_text: str, loads: Iterable[tuple[str, LoadSeries]], time_zone: ZoneInfo,
                holidays: Collection[date] = (), tier_fill: str = TIER_FILL_SHARED, holidays_as_weekend: bool = True,
                demand_window: str = DEMAND_WINDOW_BLOCK) -> Iterator[dict[str, Any]]:
    """One row per meter (`meter_row`), in the order of `loads`: the tariff is read once, and meters with the
    same span share one local calendar (see `settlement.tariffs.calendar`)."""
    _check_tier_fill(tier_fill)
    tariff = _tariff(urdb_source, urdb_text)
    options = BillOptions(time_zone, holidays, holidays_as_weekend, tier_fill, demand_window_kind=demand_window)
    for meter, load in loads:
        yield meter_row(meter, bill_load(tariff, load, options))


METER_ROW_FIELDS = ("meter", "months", "energy_kwh", "peak_kw", "energy_charge_usd", "demand_charge_usd",
                    "fixed_charge_usd", "minimum_charge_usd", "total_usd")


def meter_row(meter: str, bills: list[MonthBill]) -> dict[str, Any]:
    """A meter's year (or whatever span its load covers) in one row: totals of its monthly bills, the highest
    monthly peak; demand is the TOU, flat and coincident charges together."""
    demand_micros = sum(bill.demand_tou_charge_usd_micros + bill.demand_flat_charge_usd_micros
                        + bill.demand_coincident_charge_usd_micros for bill in bills)
    return {
        "meter": meter,
        "months": len(bills),
        "energy_kwh": str(sum((bill.energy_kwh for bill in bills), Decimal(0))),
        "peak_kw": str(max((bill.peak_kw for bill in bills), default=Decimal(0))),
        "energy_charge_usd": micros_to_usd_text(sum(bill.energy_charge_usd_micros for bill in bills)),
        "demand_charge_usd": micros_to_usd_text(demand_micros),
        "fixed_charge_usd": micros_to_usd_text(sum(bill.fixed_charge_usd_micros for bill in bills)),
        "minimum_charge_usd": micros_to_usd_text(sum(bill.minimum_charge_usd_micros for bill in bills)),
        "total_usd": micros_to_usd_text(sum(bill.total_usd_micros for bill in bills)),
    }


def _check_tier_fill(tier_fill: str) -> None:
    if tier_fill not in (TIER_FILL_SHARED, TIER_FILL_CHRONOLOGICAL):
        raise BadInput("--tier-fill", None, "tier_fill", f"{tier_fill!r} is not shared or chronological")


def _month_json(bill: MonthBill) -> dict[str, Any]:
    return {
        "month": bill.month,
        "days_billed": bill.days_billed,
        "energy_kwh": str(bill.energy_kwh),
        "peak_kw": str(bill.peak_kw),
        "billing_demand_kw": str(bill.billing_demand_kw),
        "export_kwh": str(bill.export_kwh),
        "energy_charge_usd": micros_to_usd_text(bill.energy_charge_usd_micros),
        "export_credit_usd": micros_to_usd_text(bill.export_credit_usd_micros),
        "demand_tou_charge_usd": micros_to_usd_text(bill.demand_tou_charge_usd_micros),
        "demand_flat_charge_usd": micros_to_usd_text(bill.demand_flat_charge_usd_micros),
        "demand_coincident_charge_usd": micros_to_usd_text(bill.demand_coincident_charge_usd_micros),
        "fixed_charge_usd": micros_to_usd_text(bill.fixed_charge_usd_micros),
        "minimum_charge_usd": micros_to_usd_text(bill.minimum_charge_usd_micros),
        "total_usd": micros_to_usd_text(bill.total_usd_micros),
        "determinants": [{"component": line.component, "period": line.period, "quantity": str(line.quantity),
                          "unit": line.unit, "amount_usd": micros_to_usd_text(line.amount_usd_micros)}
                         for line in bill.determinants],
    }
