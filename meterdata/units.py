"""Unit conversion to integer watt-hours, exact until the one rounding step.

Energy units convert by a factor; power units (kW, MW, W) are average power over the interval, so
energy = power x interval length. Fuel units convert to watt-hours thermal on the higher heating value:
1 MMBtu = 293,071.07 Wh (1 Btu = 0.29307107 Wh), 1 therm = 100,000 Btu. The meter's CT/PT multiplier
scales the raw value before that one rounding step.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow

WH_PER_UNIT: dict[str, Decimal] = {
    "Wh": Decimal(1),
    "kWh": Decimal(1000),
    "MWh": Decimal(1_000_000),
    "MMBtu": Decimal("293071.07"),
    "therm": Decimal("29307.107"),
}
W_PER_POWER_UNIT: dict[str, Decimal] = {"W": Decimal(1), "kW": Decimal(1000), "MW": Decimal(1_000_000)}

ELECTRIC_UNITS = frozenset({"Wh", "kWh", "MWh", "W", "kW", "MW"})
HEAT_UNITS = frozenset({"MMBtu", "therm"})


def unit_fits_role(unit: str, role: str) -> bool:
    """Fuel meters report heat; every other role reports electric energy or power."""
    return unit in (HEAT_UNITS if role == "fuel" else ELECTRIC_UNITS)


_UNIT_ORDER = ("Wh", "kWh", "MWh", "W", "kW", "MW", "MMBtu", "therm")


def unit_refusal(unit: str, role: str) -> str:
    """Why `unit` is refused for a meter of `role`, naming the units it may report. Units are matched exactly (a
    megawatt is not a milliwatt), so `kwh` is answered with the spelling it was meant to be, never taken for it."""
    fitting = ", ".join(name for name in _UNIT_ORDER if unit_fits_role(name, role))
    if unit in ELECTRIC_UNITS or unit in HEAT_UNITS:
        return f"unit {unit!r} does not fit a {role} meter, which reports {fitting}"
    spelt = next((name for name in _UNIT_ORDER if name.lower() == unit.strip().lower()), None)
    if spelt is not None and unit_fits_role(spelt, role):
        return f"unknown unit {unit!r}: units are case-sensitive, write {spelt!r} (a {role} meter reports {fitting})"
    return f"unknown unit {unit!r}: a {role} meter reports {fitting}"


# The products below must be exact, and the default context keeps only 28 digits: this one holds a reading of
# 30 significant digits times a unit factor, a numeric(18,6) multiplier and the interval minutes, and traps
# Inexact, so a longer reading is refused instead of being rounded twice.
_EXACT = Context(prec=64, traps=[InvalidOperation, Inexact, Overflow, DivisionByZero])
# The one rounding step (and the division by 60 of energy from average power, whose repeating decimal that
# step rounds). A context method is used rather than quantize(context=...): keyword arguments cost per row.
_ROUND_HALF_EVEN = Context(prec=64, rounding=ROUND_HALF_EVEN,
                           traps=[InvalidOperation, Overflow, DivisionByZero])
ONE_WH = Decimal(1)


def energy_wh_from_value(value: Decimal, unit: str, interval_minutes: int, multiplier: Decimal) -> int:
    """Convert one raw reading to integer Wh: value x multiplier (CT x PT ratio) in `unit`, exactly, then
    rounded half-even once, here, so totals do not drift.

    Raises a `decimal.DecimalException` (InvalidOperation, Inexact, Overflow) when the value has more digits
    than an exact product holds; callers report it as out of range."""
    if unit in WH_PER_UNIT:
        exact = _EXACT.multiply(_EXACT.multiply(value, WH_PER_UNIT[unit]), multiplier)
    else:
        watts = _EXACT.multiply(_EXACT.multiply(value, W_PER_POWER_UNIT[unit]), multiplier)
        exact = _ROUND_HALF_EVEN.divide(_EXACT.multiply(watts, interval_minutes), 60)
    return int(_ROUND_HALF_EVEN.quantize(exact, ONE_WH))


def is_known_unit(unit: str) -> bool:
    return unit in WH_PER_UNIT or unit in W_PER_POWER_UNIT
