"""OpenEI URDB tariff JSON (v7/v8 shapes) -> a typed, exact `UrdbTariff`.

Numbers are read as Decimal from the JSON text, so a rate is exactly what the file says. `adj` is added to `rate`
(URDB's rider/fuel adjustment). Schedules are 12 months x 24 hour-beginning values, 0-based period indexes (some
files write them as floats like 1.0; a non-integral value is refused). Tier `max` is cumulative; a missing `max`
or one at or above 1e30 (URDB writes ~1e38) is the open last tier. Anything we cannot bill faithfully (demand in
hp or kVA, an unknown tier unit) is refused with the field named, never dropped silently.

Export: each energy tier's `sell` ($/kWh, 0 when absent) is read exactly like `rate`; `sell` gets no `adj` (URDB's
adjustment is a charge rider). `dgrules` (or the older boolean `usenetmetering`) names how export is billed; see
`settlement.tariffs.export_credit` for the metering options and what each one does.

Field spellings (`FIELD_SPELLINGS`, one table): real URDB API responses, the v8 documentation, NREL's readers (SAM's
OpenEI reader, PySAM's `URDBv8_to_ElectricityRates`, REopt's URDB parser) and the USURDB bulk export spell some
keys differently: `lookbackpercent` / `lookbackPercent`, `coincidentschedule` / `coincidentrateschedule`,
`dgrules` / `dgRules`, ... Every spelling in the table is read as its canonical field; two spellings of one field
with different values are refused. Every top-level key is one of: a billed field (the table), a descriptive field
(`DESCRIPTIVE_FIELDS`: accepted, never billed, listed in `UrdbTariff.descriptive_fields`), a charge this engine
does not bill (`UNBILLED_FIELDS`: refused unless empty or zero), or a USURDB bulk-export structure
(`BULK_EXPORT_FIELDS`: a different shape, refused). Anything else is refused by name, never dropped silently.

Validation: tier `max` values must rise strictly within a period (the first may be 0, never negative); only the last tier of a
period may leave `max` out; a period's tiers share one unit; demand tiers are in kW and their rate + adj is not
negative (a demand credit would make a higher peak cheaper, which billing demand cannot mean); every period of a
structure must be used by its schedule (a period no hour uses is the mark of a shifted, 1-based schedule) and
every schedule value must name a period. Errors name the record (label or name), the structure, the period and
the tier row.

`demandwindow` (minutes) must divide an hour; demand is then measured over clock-aligned blocks of that length
(see `settlement.tariffs.bill`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from common.bounds import DECIMAL_ABS_LIMIT, checked_decimal
from common.errors import BadInput
from settlement.tariffs.export_credit import METERING_NONE, metering_option

FIELD_SPELLINGS: dict[str, tuple[str, ...]] = {
    # canonical: every spelling read as it (the canonical one first). Sources: PySAM URDBv8_to_ElectricityRates
    # reads lookbackpercent/lookbackrange/lookbackmonths; the v8 API documentation and REopt read lookbackPercent/
    # lookbackRange/lookbackMonths; SAM's OpenEI reader reads coincidentschedule; the USURDB bulk export writes
    # dgRules, demandWindow, fixedChargeFirstMeter, fixedChargeUnits, minCharge, minChargeUnits, annualMinCharge,
    # demandUnits, demandRateUnits, flatDemandUnits, coincidentRateUnits for the same scalar values.
    "energyratestructure": ("energyratestructure",),
    "energyweekdayschedule": ("energyweekdayschedule",),
    "energyweekendschedule": ("energyweekendschedule",),
    "demandratestructure": ("demandratestructure",),
    "demandweekdayschedule": ("demandweekdayschedule",),
    "demandweekendschedule": ("demandweekendschedule",),
    "flatdemandstructure": ("flatdemandstructure",),
    "flatdemandmonths": ("flatdemandmonths",),
    "coincidentratestructure": ("coincidentratestructure",),
    "coincidentschedule": ("coincidentschedule", "coincidentrateschedule"),
    "fixedchargefirstmeter": ("fixedchargefirstmeter", "fixedChargeFirstMeter"),
    "fixedchargeunits": ("fixedchargeunits", "fixedChargeUnits"),
    "fixedmonthlycharge": ("fixedmonthlycharge",),
    "mincharge": ("mincharge", "minCharge"),
    "minchargeunits": ("minchargeunits", "minChargeUnits"),
    "minmonthlycharge": ("minmonthlycharge",),
    "annualmincharge": ("annualmincharge", "annualMinCharge"),
    "lookbackpercent": ("lookbackpercent", "lookbackPercent"),
    "lookbackrange": ("lookbackrange", "lookbackRange"),
    "lookbackmonths": ("lookbackmonths", "lookbackMonths"),
    "dgrules": ("dgrules", "dgRules"),
    "usenetmetering": ("usenetmetering",),
    "demandwindow": ("demandwindow", "demandWindow"),
    "demandunits": ("demandunits", "demandUnits"),
    "demandrateunit": ("demandrateunit", "demandRateUnits"),
    "flatdemandunit": ("flatdemandunit", "flatDemandUnits"),
    "coincidentrateunit": ("coincidentrateunit", "coincidentRateUnits"),
}
DESCRIPTIVE_FIELDS = frozenset({
    # Accepted and never billed: identity, applicability and free text (SAM's reader shows these to the user).
    "label", "name", "utility", "uri", "description", "sector", "startdate", "enddate", "eiaid", "country",
    "approved", "is_default", "revisions", "source", "sourceparent", "supersedes", "servicetype", "version",
    "voltagecategory", "voltageminimum", "voltagemaximum", "phasewiring", "peakkwcapacitymin", "peakkwcapacitymax",
    "peakkwcapacityhistory", "peakkwhusagemin", "peakkwhusagemax", "peakkwhusagehistory", "energycomments",
    "demandcomments", "basicinformationcomments", "energyattrs", "demandattrs", "fixedattrs", "energykeyvals",
    "fixedkeyvals", "latest_update",
})
UNBILLED_FIELDS: dict[str, str] = {
    # URDB charges this engine does not bill: refused unless absent, empty or zero (SAM lists them as unused).
    "demandreactivepowercharge": "a reactive power charge ($/kVAR) needs kVAR data, which the engine does not read",
    "demandReactivePowerChg": "a reactive power charge ($/kVAR) needs kVAR data, which the engine does not read",
    "fueladjustmentsmonthly": "monthly fuel adjustments are not billed; fold them into each tier's adj",
    "demandratchetpercentage": "the v7 per-month ratchet is not billed; give lookbackpercent with lookbackmonths "
                               "or lookbackrange (v8)",
    "demandRatchetPct": "the v7 per-month ratchet is not billed; give lookbackpercent with lookbackmonths or "
                        "lookbackrange (v8)",
    "fixedchargeeaaddl": "the engine bills one meter per tariff; a charge for additional meters is not billed",
}
BULK_EXPORT_FIELDS = frozenset({
    # USURDB bulk-export (database dump) structures: nested differently from the API record.
    "energyRateStrux", "demandRateStrux", "flatDemandStrux", "coincidentRateStrux", "energyWeekdaySched",
    "energyWeekendSched", "demandWeekdaySched", "demandWeekendSched", "coincidentSched", "flatDemandMonths",
})
TIER_FIELDS_ENERGY = frozenset({"rate", "adj", "max", "unit", "sell"})
TIER_FIELDS_DEMAND = frozenset({"rate", "adj", "max", "unit"})
DEMAND_WINDOW_MINUTES = (5, 10, 15, 20, 30, 60)
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
    demand_window_minutes: int | None = None  # None: demand on the data's own intervals
    descriptive_fields: tuple[str, ...] = ()  # keys of the record accepted as description only, sorted


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


class NormalizedFields(dict[str, Any]):
    """A rate's billed fields under their canonical names; `spelled(name)` is the key as the record wrote it, for
    error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.spelled_as: dict[str, str] = {}

    def spelled(self, canonical: str) -> str:
        return self.spelled_as.get(canonical, canonical)


def normalized_fields(source: str, rate: dict[str, Any]) -> tuple[NormalizedFields, tuple[str, ...]]:
    """(billed fields under their canonical names, descriptive keys) of a URDB rate object; refuses a field
    spelled twice with different values, a charge the engine does not bill, a bulk-export structure and any key
    it does not know."""
    record = _record_name(rate)
    spelling_to_canonical = {spelling: canonical for canonical, spellings in FIELD_SPELLINGS.items()
                             for spelling in spellings}
    billed = NormalizedFields()
    descriptive: list[str] = []
    for key, value in rate.items():
        if key in spelling_to_canonical:
            canonical = spelling_to_canonical[key]
            if canonical in billed and not _same_value(billed[canonical], value):
                raise BadInput(source, None, key, f"{record}: {billed.spelled(canonical)!r} and {key!r} are two "
                               "spellings of one field with different values; keep one")
            billed[canonical], billed.spelled_as[canonical] = value, key
        elif key in DESCRIPTIVE_FIELDS:
            descriptive.append(key)
        elif key in UNBILLED_FIELDS:
            if not _is_empty(value):
                raise BadInput(source, None, key, f"{record}: {UNBILLED_FIELDS[key]}; billing without it would "
                               "under-bill, so the record is refused (remove the field to bill the rest)")
        elif key in BULK_EXPORT_FIELDS:
            raise BadInput(source, None, key, f"{record}: a USURDB bulk-export structure; give the rate as the "
                           "URDB API returns it (version 7 or 8: energyratestructure, energyweekdayschedule, ...)")
        else:
            raise BadInput(source, None, key, f"{record}: not a URDB field this engine knows (neither billed nor "
                           "descriptive); it is refused rather than ignored")
    return billed, tuple(sorted(descriptive))


def parse_urdb_rate(source: str, rate: dict[str, Any]) -> UrdbTariff:
    fields, descriptive = normalized_fields(source, rate)
    record = _record_name(rate)
    _refuse_units(source, fields)
    energy = _structure(source, record, fields, "energyratestructure", energy=True)
    demand = _structure(source, record, fields, "demandratestructure", energy=False)
    flat = _structure(source, record, fields, "flatdemandstructure", energy=False)
    coincident = _structure(source, record, fields, "coincidentratestructure", energy=False)
    energy_weekday = _schedule(source, record, fields, "energyweekdayschedule", len(energy))
    energy_weekend = _schedule(source, record, fields, "energyweekendschedule", len(energy))
    demand_weekday = _schedule(source, record, fields, "demandweekdayschedule", len(demand))
    demand_weekend = _schedule(source, record, fields, "demandweekendschedule", len(demand))
    flat_months = _months(source, record, fields, "flatdemandmonths", len(flat))
    coincident_schedule = _schedule(source, record, fields, "coincidentschedule", len(coincident))
    _refuse_unused_periods(source, record, "energyratestructure", len(energy), (energy_weekday, energy_weekend))
    _refuse_unused_periods(source, record, "demandratestructure", len(demand), (demand_weekday, demand_weekend))
    _refuse_unused_periods(source, record, "flatdemandstructure", len(flat), ((flat_months,),))
    _refuse_unused_periods(source, record, "coincidentratestructure", len(coincident), (coincident_schedule,))
    fixed_usd, fixed_unit = _charge(source, fields, "fixedchargefirstmeter", "fixedchargeunits", "fixedmonthlycharge")
    min_usd, min_unit = _charge(source, fields, "mincharge", "minchargeunits", "minmonthlycharge")
    if min_usd == 0 and fields.get("annualmincharge") is not None:
        min_usd, min_unit = _decimal(source, fields.spelled("annualmincharge"), fields["annualmincharge"]), "$/year"
    if min_usd < 0:
        raise BadInput(source, None, next(fields.spelled(name) for name in ("mincharge", "minmonthlycharge",
                                                                           "annualmincharge") if name in fields),
                       f"{record}: a minimum charge of {min_usd} is negative; a minimum tops a bill up, it cannot "
                       "lower it")
    percent, range_months, months = _ratchet(source, record, fields)
    return UrdbTariff(
        label=str(rate.get("label", "")), name=str(rate.get("name", "")), utility=str(rate.get("utility", "")),
        energy_periods=energy, energy_weekday=energy_weekday, energy_weekend=energy_weekend,
        demand_periods=demand, demand_weekday=demand_weekday, demand_weekend=demand_weekend,
        flat_demand_periods=flat, flat_demand_months=flat_months,
        coincident_periods=coincident, coincident_schedule=coincident_schedule,
        fixed_charge_usd=fixed_usd, fixed_charge_unit=fixed_unit, min_charge_usd=min_usd, min_charge_unit=min_unit,
        ratchet_percent=percent, ratchet_range_months=range_months, ratchet_months=months,
        metering=_metering(source, record, fields),
        demand_window_minutes=_demand_window(source, record, fields),
        descriptive_fields=descriptive,
    )


def _same_value(first: Any, second: Any) -> bool:
    """Equal as URDB values: numbers by value (0.8 and "0.80" agree), lists item by item, anything else by ==."""
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(_same_value(a, b) for a, b in zip(first, second, strict=True))
    numbers = (int, Decimal, str)
    if isinstance(first, numbers) and isinstance(second, numbers) and \
            not isinstance(first, bool) and not isinstance(second, bool):
        try:
            return checked_decimal(first, TIER_MAX_ABS_LIMIT) == checked_decimal(second, TIER_MAX_ABS_LIMIT)
        except ValueError:
            return bool(first == second)
    return bool(first == second)


def _record_name(rate: dict[str, Any]) -> str:
    for key in ("label", "name"):
        if isinstance(rate.get(key), str) and rate[key]:
            return f"rate {rate[key]}"
    return "rate (no label)"


def _is_empty(value: Any) -> bool:
    """Absent, null, false, zero, an empty string, or a list of only such values: nothing to bill."""
    if value is None or value is False or value == "":
        return True
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, list):
        return all(_is_empty(item) for item in value)
    return False


def _refuse_units(source: str, fields: NormalizedFields) -> None:
    for field in ("demandrateunit", "flatdemandunit", "coincidentrateunit", "demandunits"):
        unit = fields.get(field)
        if unit is not None and unit != "kW":
            raise BadInput(source, None, fields.spelled(field), f"demand unit {unit!r} is not supported (only kW)")


def _structure(source: str, record: str, fields: NormalizedFields, field: str, energy: bool
               ) -> tuple[tuple[Tier, ...], ...]:
    periods = fields.get(field) or []
    if not isinstance(periods, list):
        raise BadInput(source, None, field, f"{record}: expected a list of periods")
    parsed: list[tuple[Tier, ...]] = []
    for period_index, tiers in enumerate(periods):
        if not isinstance(tiers, list) or not tiers:
            raise BadInput(source, None, f"{field}[{period_index}]", f"{record}: expected a non-empty list of tiers")
        parsed.append(_period_tiers(source, record, f"{field}[{period_index}]", tiers, energy))
    return tuple(parsed)


def _period_tiers(source: str, record: str, where: str, tiers: list[Any], energy: bool) -> tuple[Tier, ...]:
    """One period's tiers (`where` = "structure[period]"), checked as a table: rising bounds, only the last tier
    open, one unit."""
    structure, period = where[:-1].split("[")
    parsed = tuple(_tier(source, record, f"{where}[{row}]", tier, energy) for row, tier in enumerate(tiers))
    lower: Decimal | None = None  # the previous bound; the first may be 0 (an empty tier), never negative
    for row, tier in enumerate(parsed):
        is_last = row == len(parsed) - 1
        tier_where = f"{where}[{row}].max"
        at = f"{record}: {structure} period {period}, tier row {row}"
        raw_max = tiers[row].get("max")
        if raw_max is None and not is_last:
            raise BadInput(source, None, tier_where, f"{at} has no max but is not the last of the period's "
                           f"{len(parsed)} tiers (only the last tier may be open)")
        if raw_max is not None:
            bound = _decimal(source, tier_where, raw_max)
            if bound < 0 or (lower is not None and bound <= lower):
                what = "negative" if bound < 0 else f"not above the previous tier's max {lower}"
                raise BadInput(source, None, tier_where, f"{at}: max {bound} is {what} (tier bounds are cumulative "
                               "and must rise)")
            lower = bound
            if tier.max_quantity is None and not is_last:
                raise BadInput(source, None, tier_where, f"{at}: max {bound} means no upper bound but is not the "
                               "last tier")
        if tier.unit != parsed[0].unit:
            raise BadInput(source, None, f"{where}[{row}].unit", f"{at}: unit {tier.unit!r} differs from row 0's "
                           f"{parsed[0].unit!r} (one unit per period)")
    return parsed


def _tier(source: str, record: str, where: str, tier: Any, energy: bool) -> Tier:
    if not isinstance(tier, dict):
        raise BadInput(source, None, where, f"{record}: expected an object")
    allowed = TIER_FIELDS_ENERGY if energy else TIER_FIELDS_DEMAND
    for key in tier:
        if key not in allowed:
            raise BadInput(source, None, f"{where}.{key}", f"{record}: tier field {key!r} is not one of "
                           f"{sorted(allowed)}; it is refused rather than ignored")
    if tier.get("rate") is None and tier.get("adj") is None:
        raise BadInput(source, None, f"{where}.rate", f"{record}: neither rate nor adj given")
    rate_usd = _decimal(source, f"{where}.rate", tier.get("rate") or 0)
    rate_usd += _decimal(source, f"{where}.adj", tier.get("adj") or 0)
    raw_max = tier.get("max")
    max_quantity = None if raw_max is None else _decimal(source, f"{where}.max", raw_max)
    if max_quantity is not None and max_quantity >= UNBOUNDED_AT:
        max_quantity = None
    if energy:
        unit = str(tier.get("unit") or "kWh")
        if unit not in ENERGY_TIER_UNITS:
            raise BadInput(source, None, f"{where}.unit", f"{record}: tier unit {unit!r} is not one of "
                           f"{ENERGY_TIER_UNITS}")
    else:
        unit = str(tier.get("unit") or "kW")
        if unit != "kW":
            raise BadInput(source, None, f"{where}.unit", f"{record}: demand tier unit {unit!r} is not supported "
                           "(only kW)")
        if rate_usd < 0:
            raise BadInput(source, None, f"{where}.rate", f"{record}: {where}: rate + adj = {rate_usd} $/kW is "
                           "negative; a demand credit cannot be billed as a demand charge")
    sell_usd = _decimal(source, f"{where}.sell", tier.get("sell") or 0) if energy else Decimal(0)
    if sell_usd < 0:
        raise BadInput(source, None, f"{where}.sell", f"{record}: {sell_usd} is negative (a credit rate is positive)")
    return Tier(max_quantity, rate_usd, unit, sell_usd)


def _schedule(source: str, record: str, fields: NormalizedFields, field: str, period_count: int) -> Schedule:
    rows = fields.get(field)
    if rows is None:
        if period_count > 0:
            raise BadInput(source, None, field, f"{record}: missing, but the matching rate structure has periods")
        return tuple(tuple(-1 for _ in range(24)) for _ in range(12))
    if not isinstance(rows, list) or len(rows) != 12 or any(not isinstance(r, list) or len(r) != 24 for r in rows):
        raise BadInput(source, None, field, f"{record}: expected 12 rows (months) of 24 values (hours)")
    return tuple(tuple(_period_index(source, record, f"{field}[{m}][{h}]", value, period_count)
                       for h, value in enumerate(row)) for m, row in enumerate(rows))


def _months(source: str, record: str, fields: NormalizedFields, field: str, period_count: int) -> tuple[int, ...]:
    values = fields.get(field)
    if values is None:
        return tuple(0 if period_count else -1 for _ in range(12))
    if not isinstance(values, list) or len(values) != 12:
        raise BadInput(source, None, field, f"{record}: expected 12 values (one per month)")
    return tuple(_period_index(source, record, f"{field}[{m}]", value, period_count) for m, value in enumerate(values))


def _period_index(source: str, record: str, where: str, value: Any, period_count: int) -> int:
    index = _integer(source, where, value)
    if not 0 <= index < period_count:
        raise BadInput(source, None, where, f"{record}: period {index} does not exist ({period_count} periods, "
                       "numbered from 0)")
    return index


def _refuse_unused_periods(source: str, record: str, field: str, period_count: int,
                           schedules: tuple[tuple[tuple[int, ...], ...], ...]) -> None:
    used = {index for schedule in schedules for row in schedule for index in row}
    for period in range(period_count):
        if period not in used:
            raise BadInput(source, None, f"{field}[{period}]", f"{record}: {field} period {period} is used by no hour of its "
                           f"schedule (periods in use: {sorted(used)}); the rates and the schedule do not match")


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


def _charge(source: str, fields: NormalizedFields, field: str, unit_field: str, legacy_monthly: str
            ) -> tuple[Decimal, str]:
    if fields.get(field) is not None:
        unit = str(fields.get(unit_field) or "$/month")
        if unit not in CHARGE_UNITS:
            raise BadInput(source, None, fields.spelled(unit_field), f"unit {unit!r} is not one of {CHARGE_UNITS}")
        return _decimal(source, fields.spelled(field), fields[field]), unit
    if fields.get(legacy_monthly) is not None:
        return _decimal(source, legacy_monthly, fields[legacy_monthly]), "$/month"
    return Decimal(0), "$/month"


def _ratchet(source: str, record: str, fields: NormalizedFields) -> tuple[Decimal, int, tuple[bool, ...]]:
    """(fraction, look-back range in months, look-back months). `lookbackpercent` is a fraction (0.8 = 80 %); a
    value above 1 is refused rather than guessed at. A percent with neither a range nor any month would bill no
    ratchet at all, so it is refused."""
    percent_name, range_name, months_name = (fields.spelled(name) for name in
                                             ("lookbackpercent", "lookbackrange", "lookbackmonths"))
    percent = _decimal(source, percent_name, fields.get("lookbackpercent") or 0)
    if not 0 <= percent <= 1:
        raise BadInput(source, None, percent_name, f"{record}: {percent} is not a fraction between 0 and 1")
    range_months = _integer(source, range_name, fields.get("lookbackrange") or 0)
    if not 0 <= range_months <= 120:
        raise BadInput(source, None, range_name, f"{record}: {range_months} is not 0 to 120 months")
    raw_months = fields.get("lookbackmonths")
    months: tuple[bool, ...]
    if raw_months is None:
        months = (False,) * 12
    elif not isinstance(raw_months, list) or len(raw_months) != 12 or \
            any(not isinstance(flag, bool) and flag not in (0, 1) for flag in raw_months):
        raise BadInput(source, None, months_name, f"{record}: expected 12 booleans (or 0/1), one per month")
    else:
        months = tuple(bool(flag) for flag in raw_months)
    if percent > 0 and range_months == 0 and not any(months):
        raise BadInput(source, None, percent_name, f"{record}: a ratchet of {percent} with neither lookbackrange "
                       "nor any lookbackmonths would bill nothing; give one of them")
    return percent, range_months, months


def _metering(source: str, record: str, fields: NormalizedFields) -> str:
    try:
        return metering_option(source, fields)
    except BadInput as error:
        field = fields.spelled(error.field) if error.field else None
        raise BadInput(source, None, field, f"{record}: {error.reason}") from error


def _demand_window(source: str, record: str, fields: NormalizedFields) -> int | None:
    raw = fields.get("demandwindow")
    if raw is None:
        return None
    name = fields.spelled("demandwindow")
    minutes = _integer(source, name, raw)
    if minutes not in DEMAND_WINDOW_MINUTES:
        raise BadInput(source, None, name, f"{record}: {minutes} minutes is not one of {DEMAND_WINDOW_MINUTES} (a "
                       "demand window divides the hour)")
    return minutes
