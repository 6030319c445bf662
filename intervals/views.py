"""Sums over interval rows as dictionaries: per meter, per meter and UTC hour, per meter and local day, and
quality bits. The hour and day sums are the arrays of `intervals.columnar` turned into dictionaries, for small
tables and tests; engines over a whole campus use the arrays.

Each takes a table of INTERVAL_SCHEMA columns (`MeterIntervals.table`, or any table with the columns named) and
sums integer Wh exactly (int64, never float). All rows are summed, whatever their channel: filter first (by
period, meter or channel) where a caller wants fewer. Hours are UTC hours `[h, h+1h)`; every interval (5, 15, 30
or 60 minutes) lies inside one hour, so summing by the hour an interval starts in is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc

from intervals.columnar import meter_hour_sums, meter_local_day_sums, meter_quality_bits


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
    """Wh per meter and UTC hour start (aware datetimes in UTC); `meter_hour_sums` gives the same as arrays."""
    sums = meter_hour_sums(table)
    return cast(dict[str, dict[datetime, int]], sums.nested(sums.hour_starts_utc()))


def energy_wh_by_meter_local_day(table: pa.Table, time_zone: str) -> dict[str, dict[date, int]]:
    """Wh per meter and local calendar day of `time_zone` in which each interval begins (a day across a
    daylight-saving change has 23 or 25 hours of intervals); `meter_local_day_sums` gives it as arrays."""
    sums = meter_local_day_sums(table, time_zone)
    return cast(dict[str, dict[date, int]], sums.nested(sums.days()))


def quality_bits_by_meter(table: pa.Table) -> dict[str, int]:
    """The OR of every row's quality bits, per meter (0 for a meter whose every row is measured)."""
    meter_ids, bits = meter_quality_bits(table)
    return dict(zip(meter_ids, bits.tolist(), strict=True))
