"""Export to the grid under a URDB tariff: which metering option applies, and which energy is bought or sold.

URDB's `dgrules` maps to SAM's `ur_metering_option` as PySAM's `URDBv8_to_ElectricityRates` does (Net Metering 0,
Net Billing Instantaneous 2, Net Billing Hourly 3, Buy All Sell All 4). What each option bills here, per local
calendar month (imports are the grid import channel, exports the export channel of the same meter point):

- Net Metering: per TOU period, net kWh = import - export over the month. A positive net is billed at the buy
  rates (tiers filled by the month's net total, shared across periods); a negative net (excess) is credited at
  that period's `sell` rate in the same month. SAM's default carries the excess as a kWh credit into later months
  and pays what is left at a true-up month at `ur_nm_yearend_sell_rate`; URDB carries neither the true-up month
  nor that rate, and our settlement cycles are independent months, so we credit the excess monthly at `sell`.
- Net Billing Instantaneous: every interval's import is billed at its period's buy rates and every interval's
  export is credited at its period's `sell` rate. The meter's two channels already register the instantaneous
  flows, so import and export of one interval are not netted against each other.
- Net Billing Hourly: import and export are netted within each local clock hour; a positive hourly net is billed
  and a negative one credited, as under instantaneous billing. (SAM files this option under number 3, which it
  names "net billing with carryover to next month"; we follow URDB's name and carry nothing between months.)
- Buy All Sell All: everything on the purchase channel is bought and everything on the sale channel is sold, with
  no netting at all. The caller passes what the utility meters: with a separate generation meter that is all
  consumption and all generation; at a campus these are the grid import and export meters.
- none (no `dgrules` and no `usenetmetering`): exports are neither netted nor credited, so a tariff that says
  nothing about export bills exactly as it did before export was modelled. PySAM assumes Net Metering here; we do
  not net energy unless the tariff asks for it.

Legacy `usenetmetering`: true is Net Metering; false is instantaneous net billing (SAM's "non-net metering").
Demand charges always use the import channel only. Export credits are determinant lines of their own, negative
amounts, rounded once to micro-USD (ROUND_HALF_EVEN) like every other line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from common.errors import BadInput

METERING_NONE = "none"
METERING_NET_METERING = "net_metering"
METERING_NET_BILLING_INSTANTANEOUS = "net_billing_instantaneous"
METERING_NET_BILLING_HOURLY = "net_billing_hourly"
METERING_BUY_ALL_SELL_ALL = "buy_all_sell_all"
METERING_OPTIONS = (METERING_NONE, METERING_NET_METERING, METERING_NET_BILLING_INSTANTANEOUS,
                    METERING_NET_BILLING_HOURLY, METERING_BUY_ALL_SELL_ALL)
DGRULES = {
    "Net Metering": METERING_NET_METERING,
    "Net Billing Instantaneous": METERING_NET_BILLING_INSTANTANEOUS,
    "Net Billing Hourly": METERING_NET_BILLING_HOURLY,
    "Buy All Sell All": METERING_BUY_ALL_SELL_ALL,
}
US_PER_HOUR = 3_600_000_000


def metering_option(source: str, rate: dict[str, Any]) -> str:
    """The metering option of a URDB rate object; an unknown `dgrules` is refused rather than guessed."""
    rules = rate.get("dgrules")
    if rules is not None:
        if rules not in DGRULES:
            raise BadInput(source, None, "dgrules", f"{rules!r} is not one of {sorted(DGRULES)}")
        return DGRULES[rules]
    legacy = rate.get("usenetmetering")
    if legacy is None:
        return METERING_NONE
    if not isinstance(legacy, bool):
        raise BadInput(source, None, "usenetmetering", f"{legacy!r} is not true or false")
    return METERING_NET_METERING if legacy else METERING_NET_BILLING_INSTANTANEOUS


def hour_keys(starts_utc_us: npt.NDArray[np.int64], offset_us: int) -> npt.NDArray[np.int64]:
    """A key per interval, equal for intervals in the same local clock hour. `offset_us` is the zone's UTC offset;
    only its part below an hour matters (India's +05:30 shifts hour boundaries by 30 minutes), and whole-hour DST
    shifts keep the repeated fall-back hour two distinct keys, as it is two distinct hours of energy."""
    return (starts_utc_us + offset_us % US_PER_HOUR) // US_PER_HOUR


def interval_flows(metering: str, import_units: npt.NDArray[np.int64], export_units: npt.NDArray[np.int64],
                   hour_key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(billed import, credited export) per interval for the options that price interval by interval.

    Under hourly net billing an hour's net sits on the hour's first interval and the rest are zero: every interval
    of a local hour has the same TOU period, so the period sums, and the hour's place in time order, are kept."""
    assert metering != METERING_NET_METERING, "net metering nets per period and month, not per interval"
    if metering == METERING_NONE:
        return import_units, np.zeros_like(import_units)
    if metering != METERING_NET_BILLING_HOURLY:
        return import_units, export_units
    first = np.flatnonzero(np.concatenate(([True], hour_key[1:] != hour_key[:-1])))
    net = np.add.reduceat(import_units - export_units, first) if first.size else np.zeros(0, np.int64)
    billed = np.zeros_like(import_units)
    credited = np.zeros_like(import_units)
    billed[first] = np.maximum(net, 0)
    credited[first] = np.maximum(-net, 0)
    return billed, credited


def net_by_period(import_kwh_by_period: dict[int, Decimal], export_kwh_by_period: dict[int, Decimal]
                  ) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Net metering: (billed kWh, excess kWh credited) per TOU period, over one month."""
    periods = sorted(set(import_kwh_by_period) | set(export_kwh_by_period))
    net = {p: import_kwh_by_period.get(p, Decimal(0)) - export_kwh_by_period.get(p, Decimal(0)) for p in periods}
    return ({p: max(value, Decimal(0)) for p, value in net.items()},
            {p: max(-value, Decimal(0)) for p, value in net.items()})
