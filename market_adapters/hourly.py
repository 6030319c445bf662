"""Sum interval rows (read by `intervals`) per meter channel into UTC hours, flagging hours that are not complete.

Hourly ISO submissions (NYISO powerMetering, PJM Power Meter) both start here. An hour is complete when every
interval of it is present exactly once and none is marked missing; an incomplete hour is never sent as a
number (the ISOs want missing data absent, not zero).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from common.errors import BadInput
from intervals import MeterIntervals, intervals_of, plain_strings
from meterdata.schema import INTERVAL_SCHEMA, QUALITY_MISSING

MICROS_PER_HOUR = 3_600_000_000
MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class HourlyEnergy:
    """Energy of one meter channel over the UTC hour beginning `hour_start_utc`, integer Wh."""

    meter_id: str
    channel: str
    hour_start_utc: datetime
    energy_wh: int
    complete: bool


def open_input_file(uri: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and path for `uri`: a plain absolute path or any pyarrow.fs URI."""
    if "://" in uri:
        filesystem, path = pafs.FileSystem.from_uri(uri)
        return filesystem, path
    return pafs.LocalFileSystem(), uri


def read_interval_table(
    intervals: str | MeterIntervals, meter_ids: Collection[str], period_start_utc: datetime,
    period_end_utc: datetime,
) -> pa.Table:
    """Rows of `meter_ids` whose interval starts in `[period_start_utc, period_end_utc)`, as INTERVAL_SCHEMA.
    `intervals` is the file's URI, or the file as the caller has read it already (every column)."""
    rows = intervals_of(intervals).within(period_start_utc, period_end_utc).of_meters(meter_ids)
    return plain_strings(rows.table).cast(INTERVAL_SCHEMA)


def hourly_energy(table: pa.Table, source: str) -> list[HourlyEnergy]:
    """Sum INTERVAL_SCHEMA rows per (meter, channel, UTC hour); `source` names the input in errors.

    Hours are UTC hours: for markets whose offsets are whole hours (all US ISOs) a UTC hour is a local hour.
    """
    start_us = pc.cast(table["interval_start_utc"], pa.int64())
    hour_us = pc.multiply(pc.divide(start_us, MICROS_PER_HOUR), MICROS_PER_HOUR)
    missing = pc.not_equal(pc.bit_wise_and(table["quality"], pa.scalar(QUALITY_MISSING, pa.uint8())), 0)
    work = pa.table(
        {
            "meter_id": table["meter_id"],
            "channel": table["channel"],
            "hour_us": hour_us,
            "start_us": start_us,
            "minutes": pc.cast(table["interval_minutes"], pa.int64()),
            "energy_wh": table["energy_wh"],
            "missing": missing,
        }
    )
    grouped = work.group_by(["meter_id", "channel", "hour_us"]).aggregate(
        [
            ("energy_wh", "sum"),
            ("start_us", "count"),
            ("start_us", "count_distinct"),
            ("minutes", "sum"),
            ("missing", "any"),
        ]
    )
    return [_hour_from_group(row, source) for row in grouped.to_pylist()]


def _hour_from_group(row: dict[str, Any], source: str) -> HourlyEnergy:
    if row["start_us_count"] != row["start_us_count_distinct"]:
        raise BadInput(source, None, "interval_start_utc",
                       f"meter {row['meter_id']} channel {row['channel']}: duplicate intervals in one hour")
    hour_start_utc = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=row["hour_us"])
    complete = row["minutes_sum"] == MINUTES_PER_HOUR and not row["missing_any"]
    return HourlyEnergy(
        meter_id=row["meter_id"],
        channel=row["channel"],
        hour_start_utc=hour_start_utc,
        energy_wh=int(row["energy_wh_sum"]),
        complete=complete,
    )
