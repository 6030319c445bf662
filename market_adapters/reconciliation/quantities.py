"""Our side of a statement straight from interval Parquet, for ISOs we do not submit to (ERCOT polls its own
meters) or that settle at 15 minutes.

Each meter's energy is summed into settlement intervals of `settlement_minutes` (UTC-aligned, which is
local-aligned for every US ISO) and signed as statement format v1 wants: MWh delivered to the market.
An interval with any reading absent or flagged missing is left out, so it shows up as a discrepancy
rather than as a silent zero. MWh are exact (Wh / 10^6), not rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow.compute as pc

from campus import MeterRole
from market_adapters.hourly import read_interval_table
from market_adapters.model import IsoMeterRef
from market_adapters.reconciliation.charges import QuantityKey
from meterdata.schema import QUALITY_MISSING

WH_PER_MWH = Decimal(1_000_000)
CHANNEL_RECEIVED = "received"
# role -> (charge type, sign turning the meter's energy into "delivered to the market")
ROLE_CHARGES: dict[str, tuple[str, int]] = {
    MeterRole.GENERATION: ("RT_ENERGY_GEN", 1), MeterRole.EXPORT: ("RT_ENERGY_TIE", 1), MeterRole.GRID_IMPORT: ("RT_ENERGY_TIE", -1),
    MeterRole.TENANT: ("RT_ENERGY_LOAD", -1), MeterRole.SHARED: ("RT_ENERGY_LOAD", -1),
}
# The meters at the campus's point of interconnection: what an ISO settling the campus's net at one settlement
# point (ERCOT's Load Zone) meters.
GRID_TIE_ROLES = frozenset(role for role, (charge_type, _) in ROLE_CHARGES.items() if charge_type == "RT_ENERGY_TIE")


def quantities_from_intervals(intervals_uri: str, meters: Sequence[IsoMeterRef], start_utc: datetime,
                              end_utc: datetime, *, settlement_minutes: int) -> dict[QuantityKey, Decimal]:
    """MWh per (charge type, ISO meter id, settlement interval start) over `[start_utc, end_utc)`."""
    by_id = {meter.meter_id: meter for meter in meters if meter.role in ROLE_CHARGES}
    table = read_interval_table(intervals_uri, by_id.keys(), start_utc, end_utc)
    length_us = settlement_minutes * 60 * 1_000_000
    start_us = pc.cast(table["interval_start_utc"], "int64").to_pylist()
    minutes = table["interval_minutes"].to_pylist()
    missing = pc.not_equal(pc.bit_wise_and(table["quality"], QUALITY_MISSING), 0).to_pylist()
    energy: dict[QuantityKey, int] = {}
    covered_minutes: dict[tuple[QuantityKey, str, str], int] = {}  # per feed: (key, meter, channel)
    spoiled: set[QuantityKey] = set()
    rows = zip(table["meter_id"].to_pylist(), table["channel"].to_pylist(), start_us, minutes,
               table["energy_wh"].to_pylist(), missing, strict=True)
    for meter_id, channel, start, length_minutes, energy_wh, is_missing in rows:
        assert settlement_minutes % length_minutes == 0, "meter intervals must tile the settlement interval"
        charge_type, sign = ROLE_CHARGES[by_id[meter_id].role]
        if channel == CHANNEL_RECEIVED:
            sign = -sign
        bucket = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start // length_us * length_us)
        key = (charge_type, by_id[meter_id].iso_meter_id, bucket)
        energy[key] = energy.get(key, 0) + sign * energy_wh
        feed = (key, meter_id, channel)
        covered_minutes[feed] = covered_minutes.get(feed, 0) + length_minutes
        if is_missing:
            spoiled.add(key)
    # Every meter channel feeding a key must cover the whole settlement interval on its own.
    spoiled |= {feed[0] for feed, total in covered_minutes.items() if total != settlement_minutes}
    return {key: Decimal(value) / WH_PER_MWH for key, value in energy.items() if key not in spoiled}
