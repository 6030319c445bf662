"""Our side of a statement: which charge type each metered quantity settles under, and at which price.

Charge types of wattledger statement format v1: RT_ENERGY_GEN (generator net injection), RT_ENERGY_TIE
(tie flow, import negative) and RT_ENERGY_LOAD (subzone load, negative). Amounts round to cents
ROUND_HALF_EVEN, once per line, as the ISO does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from market_adapters.nyiso.parse import MeteredHour

CHARGE_TYPES = {"generators": "RT_ENERGY_GEN", "ties": "RT_ENERGY_TIE", "subzones": "RT_ENERGY_LOAD"}
# Sign that turns each submitted measure into "MWh delivered to the market by us".
MEASURE_SIGNS = {"meterInjectionEnergyMwh": 1, "meterWithdrawalEnergyMwh": 1, "meterDemandReductionMwh": 0,
                 "meterTieFlowMwh": -1, "meterSubzoneLoadMwh": -1}
CENT = Decimal("0.01")
MICROS_PER_USD = Decimal(1_000_000)

QuantityKey = tuple[str, str, datetime]  # (charge type, resource id, interval start UTC)


def quantities_from_metered_hours(hours: Iterable[MeteredHour]) -> dict[QuantityKey, Decimal]:
    """Our MWh per (charge type, PTID, hour), netting a generator's injection and withdrawal."""
    quantities: dict[QuantityKey, Decimal] = {}
    for hour in hours:
        sign = MEASURE_SIGNS[hour.measure]
        if sign == 0:
            continue
        key = (CHARGE_TYPES[hour.collection], str(hour.ptid), hour.hour_start_utc)
        quantities[key] = quantities.get(key, Decimal(0)) + sign * hour.energy_mwh
    return quantities


def line_amount_usd_micros(quantity_mwh: Decimal, price_usd_per_mwh: Decimal) -> int:
    """Quantity x price, rounded once to whole cents (half-even), as integer micro-USD."""
    cents = (quantity_mwh * price_usd_per_mwh).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return int(cents * MICROS_PER_USD)
