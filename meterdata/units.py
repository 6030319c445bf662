"""Unit conversion to integer watt-hours, exact until the one rounding step.

Energy units convert by a factor; power units (kW, MW, W) are average power over the interval, so
energy = power x interval length. Fuel units convert to watt-hours thermal on the higher heating value:
1 MMBtu = 293,071.07 Wh (1 Btu = 0.29307107 Wh), 1 therm = 100,000 Btu.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

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


def energy_wh_from_value(value: Decimal, unit: str, interval_minutes: int) -> int:
    """Convert one reading to integer Wh; rounds half-even once, here, so totals do not drift."""
    if unit in WH_PER_UNIT:
        exact = value * WH_PER_UNIT[unit]
    else:
        exact = value * W_PER_POWER_UNIT[unit] * interval_minutes / 60
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def is_known_unit(unit: str) -> bool:
    return unit in WH_PER_UNIT or unit in W_PER_POWER_UNIT
