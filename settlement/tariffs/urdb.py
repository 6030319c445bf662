"""OpenEI URDB tariff JSON (v7/v8 shapes) -> a typed, exact `UrdbTariff`.

Numbers are read as Decimal from the JSON text, so a rate is exactly what the file says. `adj` is added to `rate`
(URDB's rider/fuel adjustment). Schedules are 12 months x 24 hour-beginning values, 0-based period indexes (some
files write them as floats like 1.0; a non-integral value is refused). Tier `max` is cumulative; a missing `max`
or one at or above 1e30 (URDB writes ~1e38) is the open last tier. Anything we cannot bill faithfully (demand in
hp or kVA, an unknown tier unit) is refused with the field named, never dropped silently.

Export: each energy tier's `sell` ($/kWh, 0 when absent) is read exactly like `rate`; `sell` gets no `adj` (URDB's
adjustment is a charge rider). `dgrules` (or the older boolean `usenetmetering`) names how export is billed; see
`settlement.tariffs.export_credit` for the metering options and what each one does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from common.bounds import DECIMAL_ABS_LIMIT, checked_decimal
from common.errors import BadInput
from settlement.tariffs.export_credit import METERING_NONE, metering_option

UNBOUNDED_AT = Decimal("1e30")
TIER_MAX_ABS_LIMIT = Decimal("1e40")  # above URDB's 1e38 "no upper bound"; tier maxima are only compared
ENERGY_TIER_UNITS = ("kWh", "kWh daily", "kWh/kW", "kWh/kW daily")
CHARGE_UNITS = ("$/month", "$/day", "$/year")
Schedule = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Tier:
    """One tier: cumulative upper bound (None = open) in the tier's unit, rate + adj (USD per kWh or kW), and the
    export credit `sell_usd` (USD per kWh exported; 0 for demand tiers and when the tariff gives none)."""

    max_quantity: Decimal | None
    rate_usd: Decimal
    unit: str = "kWh"
    sell_usd: Decimal = Decimal(0)


@dataclass(frozen=True)
class UrdbTariff:
    label: str
    name: str
    utility: str
    energy_periods: tuple[tuple[Tier, ...], ...]
    energy_weekday: Schedule
    energy_weekend: Schedule
    demand_periods: tuple[tuple[Tier, ...], ...]
    demand_weekday: Schedule
    demand_weekend: Schedule
    flat_demand_periods: tuple[tuple[Tier, ...], ...]
    flat_demand_months: tuple[int, ...]
    coincident_periods: tuple[tuple[Tier, ...], ...]
    coincident_schedule: Schedule
    fixed_charge_usd: Decimal
    fixed_charge_unit: str
    min_charge_usd: Decimal
    min_charge_unit: str
    ratchet_percent: Decimal
    ratchet_range_months: int
    ratchet_months: tuple[bool, ...]
    metering: str = METERING_NONE  # one of settlement.tariffs.export_credit.METERING_OPTIONS


def load_urdb_text(source: str, text: str) -> UrdbTariff:
    """Parse URDB JSON: a bare rate object, an API response `{"items": [rate]}`, or either encoded as a JSON string."""
    return parse_urdb_rate(source, unwrap_urdb_text(source, text))


def unwrap_urdb_text(source: str, text: str) -> dict[str, Any]:
    """The one rate object inside URDB JSON text (numbers as exact Decimal), unwrapped from an API response."""
    try:
        document: Any = json.loads(text, parse_float=Decimal)
        if isinstance(document, str):
            document = json.loads(document, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise BadInput(source, error.lineno, None, f"not JSON: {error.msg}") from error
    if isinstance(document, dict) and "items" in document:
        items = document["items"]
        if not isinstance(items, list) or len(items) != 1:
            raise BadInput(source, None, "items", "expected exactly one rate in items")
        document = items[0]
    if not isinstance(document, dict):
        raise BadInput(source, None, None, "expected a JSON object describing one rate")
    return document


def parse_urdb_rate(source: str, rate: dict[str, Any]) -> UrdbTariff:
    _refuse_units(source, rate)
    energy = _structure(source, rate, "energyratestructure", energy=True)
    demand = _structure(source, rate, "demandratestructure", energy=False)
    flat = _structure(source, rate, "flatdemandstructure", energy=False)
    coincident = _structure(source, rate, "coincidentratestructure", energy=False)
    fixed_usd, fixed_unit = _charge(source, rate, "fixedchargefirstmeter", "fixedchargeunits", "fixedmonthlycharge")
    min_usd, min_unit = _charge(source, rate, "mincharge", "minchargeunits", "minmonthlycharge")
    if min_usd == 0 and rate.get("annualmincharge") is not None:
        min_usd, min_unit = _decimal(source, "annualmincharge", rate["annualmincharge"]), "$/year"
    return UrdbTariff(
        label=str(rate.get("label", "")), name=str(rate.get("name", "")), utility=str(rate.get("utility", "")),
        energy_periods=energy,
        energy_weekday=_schedule(source, rate, "energyweekdayschedule", len(energy)),
        energy_weekend=_schedule(source, rate, "energyweekendschedule", len(energy)),
        demand_periods=demand,
        demand_weekday=_schedule(source, rate, "demandweekdayschedule", len(demand)),
        demand_weekend=_schedule(source, rate, "demandweekendschedule", len(demand)),
        flat_demand_periods=flat,
        flat_demand_months=_months(source, rate, "flatdemandmonths", len(flat)),
        coincident_periods=coincident,
        coincident_schedule=_schedule(source, rate, "coincidentrateschedule", len(coincident)),
        fixed_charge_usd=fixed_usd, fixed_charge_unit=fixed_unit, min_charge_usd=min_usd, min_charge_unit=min_unit,
        ratchet_percent=_ratchet_percent(source, rate),
        ratchet_range_months=_integer(source, "lookbackRange", rate.get("lookbackRange", 0)),
        ratchet_months=tuple(bool(flag) for flag in rate.get("lookbackMonths") or [False] * 12),
        metering=metering_option(source, rate),
    )


def _refuse_units(source: str, rate: dict[str, Any]) -> None:
    for field in ("demandrateunit", "flatdemandunit", "coincidentrateunit", "demandunits"):
        unit = rate.get(field)
        if unit is not None and unit != "kW":
            raise BadInput(source, None, field, f"demand unit {unit!r} is not supported (only kW)")


def _structure(source: str, rate: dict[str, Any], field: str, energy: bool) -> tuple[tuple[Tier, ...], ...]:
    periods = rate.get(field) or []
    if not isinstance(periods, list):
        raise BadInput(source, None, field, "expected a list of periods")
    parsed: list[tuple[Tier, ...]] = []
    for period_index, tiers in enumerate(periods):
        if not isinstance(tiers, list) or not tiers:
            raise BadInput(source, None, f"{field}[{period_index}]", "expected a non-empty list of tiers")
        parsed.append(tuple(_tier(source, f"{field}[{period_index}][{tier_index}]", tier, energy)
                            for tier_index, tier in enumerate(tiers)))
    return tuple(parsed)


def _tier(source: str, where: str, tier: Any, energy: bool) -> Tier:
    if not isinstance(tier, dict):
        raise BadInput(source, None, where, "expected an object")
    if tier.get("rate") is None and tier.get("adj") is None:
        raise BadInput(source, None, f"{where}.rate", "neither rate nor adj given")
    rate_usd = _decimal(source, f"{where}.rate", tier.get("rate") or 0)
    rate_usd += _decimal(source, f"{where}.adj", tier.get("adj") or 0)
    raw_max = tier.get("max")
    max_quantity = None if raw_max is None else _decimal(source, f"{where}.max", raw_max)
    if max_quantity is not None and max_quantity >= UNBOUNDED_AT:
        max_quantity = None
    unit = str(tier.get("unit") or "kWh") if energy else "kW"
    if energy and unit not in ENERGY_TIER_UNITS:
        raise BadInput(source, None, f"{where}.unit", f"tier unit {unit!r} is not one of {ENERGY_TIER_UNITS}")
    sell_usd = _decimal(source, f"{where}.sell", tier.get("sell") or 0) if energy else Decimal(0)
    if sell_usd < 0:
        raise BadInput(source, None, f"{where}.sell", f"{sell_usd} is negative (a credit rate is positive)")
    return Tier(max_quantity, rate_usd, unit, sell_usd)


def _schedule(source: str, rate: dict[str, Any], field: str, period_count: int) -> Schedule:
    rows = rate.get(field)
    if rows is None:
        if period_count > 0:
            raise BadInput(source, None, field, "missing, but the matching rate structure has periods")
        return tuple(tuple(-1 for _ in range(24)) for _ in range(12))
    if not isinstance(rows, list) or len(rows) != 12 or any(not isinstance(r, list) or len(r) != 24 for r in rows):
        raise BadInput(source, None, field, "expected 12 rows (months) of 24 values (hours)")
    return tuple(tuple(_period_index(source, f"{field}[{m}][{h}]", value, period_count)
                       for h, value in enumerate(row)) for m, row in enumerate(rows))


def _months(source: str, rate: dict[str, Any], field: str, period_count: int) -> tuple[int, ...]:
    values = rate.get(field)
    if values is None:
        return tuple(0 if period_count else -1 for _ in range(12))
    if not isinstance(values, list) or len(values) != 12:
        raise BadInput(source, None, field, "expected 12 values (one per month)")
    return tuple(_period_index(source, f"{field}[{m}]", value, period_count) for m, value in enumerate(values))


def _period_index(source: str, where: str, value: Any, period_count: int) -> int:
    index = _integer(source, where, value)
    if not 0 <= index < period_count:
        raise BadInput(source, None, where, f"period {index} does not exist ({period_count} periods)")
    return index


def _integer(source: str, where: str, value: Any) -> int:
    number = _decimal(source, where, value)
    if number != number.to_integral_value():
        raise BadInput(source, None, where, f"{value!r} is not an integer")
    return int(number)


def _decimal(source: str, where: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise BadInput(source, None, where, f"{value!r} is not a number")
    try:
        # Finite, ASCII digits, below 10**15 (common.bounds); a tier's `max` is only compared, and URDB writes
        # 1e38 for "no upper bound".
        return checked_decimal(value, TIER_MAX_ABS_LIMIT if where.endswith(".max") else DECIMAL_ABS_LIMIT)
    except ValueError as error:
        raise BadInput(source, None, where, f"{value!r}: {error}") from error


def _charge(source: str, rate: dict[str, Any], field: str, unit_field: str, legacy_monthly: str
            ) -> tuple[Decimal, str]:
    if rate.get(field) is not None:
        unit = str(rate.get(unit_field) or "$/month")
        if unit not in CHARGE_UNITS:
            raise BadInput(source, None, unit_field, f"unit {unit!r} is not one of {CHARGE_UNITS}")
        return _decimal(source, field, rate[field]), unit
    if rate.get(legacy_monthly) is not None:
        return _decimal(source, legacy_monthly, rate[legacy_monthly]), "$/month"
    return Decimal(0), "$/month"


def _ratchet_percent(source: str, rate: dict[str, Any]) -> Decimal:
    """URDB v8 `lookbackPercent` is a fraction (0.8 = 80 %); a value above 1 is refused rather than guessed at."""
    percent = _decimal(source, "lookbackPercent", rate.get("lookbackPercent") or 0)
    if not 0 <= percent <= 1:
        raise BadInput(source, None, "lookbackPercent", f"{percent} is not a fraction between 0 and 1")
    return percent
