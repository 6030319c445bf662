"""Read the interval Parquet (INTERVAL_SCHEMA) into hourly Wh per meter, with quality and provenance.

Hours are UTC hours `[h, h+1h)`; every interval (5, 15, 30 or 60 minutes) lies inside one hour, so summing
by the hour the interval starts in is exact. All channels of a meter are summed: a meter's role says what
its energy is, and directional meters have their own role (`grid_import`, `export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from common.errors import BadInput
from intervals import (
    MeterIntervals,
    energy_wh_by_meter_hour,
    intervals_of,
    plain_strings,
    quality_bits_by_meter,
)
from meterdata.schema import QUALITY_MEASURED

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
    intervals: str | MeterIntervals, meter_ids: frozenset[str], period_start_utc: datetime, period_end_utc: datetime
) -> HourlyEnergy:
    """Hourly Wh for `meter_ids` in `[period_start_utc, period_end_utc)`; other meters are listed as ignored.

    `intervals` is the file's URI, or the file as the caller has read it already (every column)."""
    read = intervals_of(intervals).within(period_start_utc, period_end_utc)
    table = plain_strings(read.table)
    all_meters = set(pc.unique(table.column("meter_id")).to_pylist())
    table = table.filter(pc.is_in(table.column("meter_id"), pa.array(sorted(meter_ids), pa.string())))
    _check_non_negative(read.uri, table)
    return HourlyEnergy(
        energy_wh=energy_wh_by_meter_hour(table),
        quality_bits=quality_bits_by_meter(table),
        file_sha256=read.sha256_hex,
        source_sha256=tuple(sorted(set(table.column("source_sha256").to_pylist()))),
        ignored_meter_ids=tuple(sorted(all_meters - meter_ids)),
    )


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
