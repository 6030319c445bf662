"""Unit constants for emissions arithmetic, exact as Decimal.

Fuel heat input arrives as watt-hours thermal on the higher heating value (HHV); eGRID rates are pounds per
MWh; the ledger holds integer grams CO2e.
"""

from __future__ import annotations

from decimal import Decimal

WH_PER_MMBTU = Decimal("293071.07")  # 1 Btu = 0.29307107 Wh (International Table Btu)
MMBTU_PER_THERM = Decimal("0.1")  # 1 therm = 100,000 Btu
G_PER_LB = Decimal("453.59237")  # international avoirdupois pound, exact by definition
G_PER_KG = Decimal(1000)
WH_PER_MWH = Decimal(1_000_000)
WH_PER_KWH = Decimal(1000)
MICROGRAMS_PER_G = Decimal(1_000_000)
