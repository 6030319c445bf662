"""Read the interval Parquet (INTERVAL_SCHEMA) into hourly Wh per meter, with quality and provenance.

Hours are UTC hours `[h, h+1h)`; every interval (5, 15, 30 or 60 minutes) lies inside one hour, so summing
by the hour the interval starts in is exact. All channels of a meter are summed: a meter's role says what
its energy is, and directional meters have their own role (`grid_import`, `export`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.errors import BadInput
from common.timeutil import require_utc
from common.uri import read_uri_bytes
from meterdata.schema import INTERVAL_SCHEMA, QUALITY_MEASURED

ROLES = frozenset({"generation", "fuel", "grid_import", "export", "tenant_consumption", "shared_consumption"})
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class MeterRef:
    """A campus meter as the emissions engine needs it; `role` as in the core `meter` table."""

    meter_id: str
    role: str
    tenant_id: str | None = None


@dataclass(frozen=True)
class HourlyEnergy:
    """Hourly Wh per meter (hour start -> Wh), the OR of quality bits per meter, and input hashes."""

    energy_wh: dict[str, dict[datetime, int]]
    quality_bits: dict[str, int]
    file_sha256: str
    source_sha256: tuple[str, ...]
    ignored_meter_ids: tuple[str, ...]

    def hours(self) -> list[datetime]:
        return sorted({hour for by_hour in self.energy_wh.values() for hour in by_hour})

    def is_measured(self, meter_id: str) -> bool:
        return self.quality_bits.get(meter_id, QUALITY_MEASURED) == QUALITY_MEASURED


def read_hourly_energy(
    intervals_uri: str, meter_ids: frozenset[str], period_start_utc: datetime, period_end_utc: datetime
) -> HourlyEnergy:
    """Hourly Wh for `meter_ids` in `[period_start_utc, period_end_utc)`; other meters are listed as ignored."""
    data = read_uri_bytes(intervals_uri)
    table = _parse(intervals_uri, data)
    start = pa.scalar(require_utc(period_start_utc, "period_start_utc"), pa.timestamp("us", tz="UTC"))
    end = pa.scalar(require_utc(period_end_utc, "period_end_utc"), pa.timestamp("us", tz="UTC"))
    starts = table.column("interval_start_utc")
    table = table.filter(pc.and_(pc.greater_equal(starts, start), pc.less(starts, end)))
    all_meters = set(pc.unique(table.column("meter_id")).to_pylist())
    table = table.filter(pc.is_in(table.column("meter_id"), pa.array(sorted(meter_ids), pa.string())))
    _check_non_negative(intervals_uri, table)
    # Vectorised: sum by (meter, UTC hour) and collect each meter's distinct quality codes, then OR them.
    hours = pc.floor_temporal(table.column("interval_start_utc"), unit="hour")
    keyed = pa.table(
        {"meter_id": table.column("meter_id"), "hour": hours, "energy_wh": table.column("energy_wh")}
    )
    sums = keyed.group_by(["meter_id", "hour"]).aggregate([("energy_wh", "sum")])
    energy_wh: dict[str, dict[datetime, int]] = defaultdict(dict)
    for meter_id, hour, total_wh in zip(
        sums.column("meter_id").to_pylist(),
        sums.column("hour").to_pylist(),
        sums.column("energy_wh_sum").to_pylist(),
        strict=True,
    ):
        energy_wh[meter_id][hour] = int(total_wh)
    codes = table.select(["meter_id", "quality"]).group_by(["meter_id", "quality"]).aggregate([])
    quality_bits: dict[str, int] = defaultdict(int)
    for meter_id, quality in zip(
        codes.column("meter_id").to_pylist(), codes.column("quality").to_pylist(), strict=True
    ):
        quality_bits[meter_id] |= quality
    sources = tuple(sorted(set(table.column("source_sha256").to_pylist())))
    return HourlyEnergy(
        energy_wh=dict(energy_wh),
        quality_bits=dict(quality_bits),
        file_sha256=hashlib.sha256(data).hexdigest(),
        source_sha256=sources,
        ignored_meter_ids=tuple(sorted(all_meters - meter_ids)),
    )


def _parse(uri: str, data: bytes) -> pa.Table:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(uri, None, None, f"not a readable Parquet file: {error}") from error
    for expected in INTERVAL_SCHEMA:
        if expected.name not in table.column_names:
            raise BadInput(uri, None, expected.name, "column missing")
        actual_type = table.schema.field(expected.name).type
        if actual_type != expected.type:
            raise BadInput(uri, None, expected.name, f"type {actual_type}, expected {expected.type}")
    return table.select(INTERVAL_SCHEMA.names)


def _check_non_negative(uri: str, table: pa.Table) -> None:
    # Every role is one direction of flow, so a negative reading is a data error, not a credit.
    negative = table.filter(pc.less(table.column("energy_wh"), 0))
    if negative.num_rows:
        row = negative.slice(0, 1).to_pylist()[0]
        raise BadInput(
            uri,
            row["source_row"],
            "energy_wh",
            f"meter {row['meter_id']}: negative energy {row['energy_wh']} Wh",
        )
