"""Sums over interval rows: per meter, per meter and UTC hour, per meter and local day, and quality bits.

Each takes a table of INTERVAL_SCHEMA columns (`MeterIntervals.table`, or any table with the columns named) and
sums integer Wh exactly (int64, never float). All rows are summed, whatever their channel: filter first (by
period, meter or channel) where a caller wants fewer. Hours are UTC hours `[h, h+1h)`; every interval (5, 15, 30
or 60 minutes) lies inside one hour, so summing by the hour an interval starts in is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def plain_strings(table: pa.Table) -> pa.Table:
    """`table` with its dictionary-encoded string columns decoded (grouping needs one dictionary, not one per
    row group)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(field.type.value_type))
    return table


def energy_wh_total(table: pa.Table) -> int:
    total = pc.sum(table.column("energy_wh")).as_py()
    return int(total) if total is not None else 0


def energy_wh_by_meter(table: pa.Table) -> dict[str, int]:
    """Wh per meter, every row of the table."""
    keyed = plain_strings(table.select(["meter_id", "energy_wh"]))
    sums = keyed.group_by("meter_id").aggregate([("energy_wh", "sum")])
    return {meter_id: int(energy_wh) for meter_id, energy_wh in zip(
        sums.column("meter_id").to_pylist(), sums.column("energy_wh_sum").to_pylist(), strict=True)}


def energy_wh_by_key(energy_wh_of_meter: Mapping[str, int], key_of_meter: Mapping[str, str | None]
                     ) -> dict[str, int]:
    """Meter sums summed again per key (tenant, role, ...); meters without a key are left out."""
    totals: dict[str, int] = {}
    for meter_id, energy_wh in energy_wh_of_meter.items():
        key = key_of_meter.get(meter_id)
        if key is not None:
            totals[key] = totals.get(key, 0) + energy_wh
    return totals


def energy_wh_by_meter_hour(table: pa.Table) -> dict[str, dict[datetime, int]]:
    """Wh per meter and UTC hour start (aware datetimes in UTC)."""
    keyed = pa.table({
        "meter_id": plain_strings(table.select(["meter_id"])).column(0),
        "hour": pc.floor_temporal(table.column("interval_start_utc"), unit="hour"),
        "energy_wh": table.column("energy_wh"),
    })
    return _nested(keyed.group_by(["meter_id", "hour"]).aggregate([("energy_wh", "sum")]), "hour")


def energy_wh_by_meter_local_day(table: pa.Table, time_zone: str) -> dict[str, dict[date, int]]:
    """Wh per meter and local calendar day of `time_zone` in which each interval begins (a day across a
    daylight-saving change has 23 or 25 hours of intervals)."""
    starts_utc = table.column("interval_start_utc")
    local_days = pc.cast(pc.local_timestamp(pc.cast(starts_utc, pa.timestamp("us", tz=time_zone))), pa.date32())
    keyed = pa.table({
        "meter_id": plain_strings(table.select(["meter_id"])).column(0),
        "day": local_days,
        "energy_wh": table.column("energy_wh"),
    })
    return _nested(keyed.group_by(["meter_id", "day"]).aggregate([("energy_wh", "sum")]), "day")


def quality_bits_by_meter(table: pa.Table) -> dict[str, int]:
    """The OR of every row's quality bits, per meter (0 for a meter whose every row is measured)."""
    codes = plain_strings(table.select(["meter_id", "quality"])).group_by(["meter_id", "quality"]).aggregate([])
    bits: dict[str, int] = {}
    for meter_id, quality in zip(codes.column("meter_id").to_pylist(), codes.column("quality").to_pylist(),
                                 strict=True):
        bits[meter_id] = bits.get(meter_id, 0) | quality
    return bits


def _nested(sums: pa.Table, when: str) -> dict[str, dict[Any, int]]:
    nested: dict[str, dict[Any, int]] = {}
    for meter_id, moment, energy_wh in zip(sums.column("meter_id").to_pylist(), sums.column(when).to_pylist(),
                                           sums.column("energy_wh_sum").to_pylist(), strict=True):
        nested.setdefault(meter_id, {})[moment] = int(energy_wh)
    return nested
