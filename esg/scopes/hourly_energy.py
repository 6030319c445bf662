"""Read the interval Parquet (INTERVAL_SCHEMA) into hourly Wh per meter as arrays, with quality and provenance.

Hours are UTC hours `[h, h+1h)`; every interval (5, 15, 30 or 60 minutes) lies inside one hour, so summing
by the hour the interval starts in is exact. All channels of a meter are summed: a meter's role says what
its energy is, and directional meters have their own role (`grid_import`, `export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common.errors import BadInput
from intervals import (
    MeterIntervals,
    MeterPeriodSums,
    intervals_of,
    meter_hour_sums,
    meter_quality_bits,
    meter_rows,
)
from meterdata.schema import QUALITY_MEASURED

ROLES = frozenset({"generation", "fuel", "grid_import", "export", "tenant_consumption", "shared_consumption",
                   # A battery's charge is a consumer of its hour (esg.scopes.campus_hours) whose grams
                   # esg.scopes.storage_carry hands on to the takers of its discharge (docs/storage.md).
                   "storage_charge", "storage_discharge"})
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class MeterRef:
    """A campus meter as the emissions engine needs it; `role` as in the core `meter` table."""

    meter_id: str
    role: str
    tenant_id: str | None = None


@dataclass(frozen=True)
class HourlyEnergy:
    """Hourly Wh per meter as arrays (`sums`: meter index, hour index, int64 Wh, over the UTC hours that have
    rows), the OR of quality bits per meter that has rows, and input hashes."""

    sums: MeterPeriodSums
    quality_bits: dict[str, int]
    file_sha256: str
    source_sha256: tuple[str, ...]
    ignored_meter_ids: tuple[str, ...]

    def hours(self) -> list[datetime]:
        return self.sums.hour_starts_utc()

    def is_measured(self, meter_id: str) -> bool:
        return self.quality_bits.get(meter_id, QUALITY_MEASURED) == QUALITY_MEASURED


def read_hourly_energy(
    intervals: str | MeterIntervals, meter_ids: frozenset[str], period_start_utc: datetime, period_end_utc: datetime
) -> HourlyEnergy:
    """Hourly Wh for `meter_ids` in `[period_start_utc, period_end_utc)`; other meters are listed as ignored.

    `intervals` is the file's URI, or the file as the caller has read it already (every column)."""
    read = intervals_of(intervals).within(period_start_utc, period_end_utc)
    table = read.table
    rows = meter_rows(table, tuple(sorted(meter_ids)))
    selected = rows.selected()
    _check_non_negative(read.uri, table, selected)
    sums = meter_hour_sums(table, rows=rows)
    _, bits = meter_quality_bits(table, rows=rows)
    sources = table.column("source_sha256")
    if not selected.all():
        sources = sources.filter(pa.array(selected))
    return HourlyEnergy(
        sums=sums,
        quality_bits={rows.meter_ids[m]: int(bits[m]) for m in np.unique(sums.meter_index).tolist()},
        file_sha256=read.sha256_hex,
        source_sha256=tuple(sorted(pc.unique(sources).to_pylist())),
        ignored_meter_ids=tuple(sorted(set(rows.seen_meter_ids) - meter_ids)),
    )


def _check_non_negative(uri: str, table: pa.Table, selected: np.ndarray) -> None:
    # Every role is one direction of flow, so a negative reading is a data error, not a credit.
    if not table.num_rows or pc.min(table.column("energy_wh")).as_py() >= 0:
        return
    negative = np.flatnonzero(selected & (table.column("energy_wh").to_numpy() < 0))
    if not negative.size:
        return
    row = table.slice(int(negative[0]), 1).to_pylist()[0]
    raise BadInput(
        uri,
        row["source_row"],
        "energy_wh",
        f"meter {row['meter_id']}: negative energy {row['energy_wh']} Wh",
    )
