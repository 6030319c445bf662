"""Column builder for normalized readings and the checks every format shares.

The Parquet and Green Button readers append one reading at a time with the file name and line that produced
it, so the window, future and unit checks below can name file, line and field when they refuse a value. The
CSV reader hands over a block of readings at once as an Arrow table (`extend`, READING_BATCH_SCHEMA), checked
the same way column by column (meterdata.csv_columnar).

A reader calls `window.check` and then appends; it never leaves a reading out on its own. When the window
skips readings outside its period (`outside_period="skip"`), the sink drops them: see `ReadingWindow.holds`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import numpy as np
import pyarrow as pa

from common.errors import BadInput
from meterdata.schema import INTERVAL_SCHEMA

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
READING_BATCH_SCHEMA = INTERVAL_SCHEMA.remove(INTERVAL_SCHEMA.get_field_index("source_sha256"))
"""A block of one file's readings: INTERVAL_SCHEMA without the file's sha256, which the sink is given once."""


def micros_from_datetime(value: datetime) -> int:
    return (value - EPOCH_UTC) // timedelta(microseconds=1)


SHOWN_CHARS_MAX = 40
SHOWN_NAMES_MAX = 12


def shown(text: str) -> str:
    """`text` quoted for an error message, cut to SHOWN_CHARS_MAX characters: a refusal names the value, it never
    echoes megabytes of it back."""
    if len(text) <= SHOWN_CHARS_MAX:
        return repr(text)
    return f"{text[:SHOWN_CHARS_MAX]!r}... ({len(text)} characters)"


def shown_names(names: list[str]) -> str:
    """A header's column names for an error message: the first SHOWN_NAMES_MAX, each cut as by `shown`."""
    listed = ", ".join(shown(name) for name in names[:SHOWN_NAMES_MAX])
    more = f", ... ({len(names)} columns)" if len(names) > SHOWN_NAMES_MAX else ""
    return f"[{listed}{more}]"


OutsidePeriod = Literal["refuse", "skip"]


@dataclass(frozen=True)
class ReadingWindow:
    """Readings must end before `now_utc`; a reading starting outside [period_start_utc, period_end_utc) is
    refused (`outside_period="refuse"`: a file sent for one period) or passed on for the sink to leave out
    (`"skip"`: the meter-data store keeps files as sent, and one file may span several periods)."""

    period_start_utc: datetime
    period_end_utc: datetime
    now_utc: datetime
    outside_period: OutsidePeriod = "refuse"

    def holds(self, start_utc: datetime) -> bool:
        return self.period_start_utc <= start_utc < self.period_end_utc

    def check(self, start_utc: datetime, interval_minutes: int, source: str, line: int, column: str) -> None:
        if self.outside_period == "refuse" and not self.holds(start_utc):
            reason = (
                f"interval {start_utc.isoformat()} is outside the period "
                f"[{self.period_start_utc.isoformat()}, {self.period_end_utc.isoformat()})"
            )
            raise BadInput(source, line, column, reason)
        # Even a skipped reading must have ended: a value for an interval still running is not a reading.
        # Compared as start > now - length: start + length would overflow for a start near the year 9999.
        if start_utc > self.now_utc - timedelta(minutes=interval_minutes):
            raise BadInput(source, line, column, f"interval {start_utc.isoformat()} has not ended yet")


class ReadingSink(Protocol):
    """What a reader gives its readings to, one at a time (`append`) or a block at a time (`extend`):
    ReadingColumns, or a sink that filters and batches them (the ingest spill) or only counts them
    (ReadingCounter)."""

    def append(
        self, meter_id: str, channel: str, start_utc: datetime, interval_minutes: int, energy_wh: int,
        quality: int, source_sha256: str, source_row: int, /,
    ) -> None: ...

    def extend(self, batch: pa.Table, source_sha256: str, /) -> None:
        """`batch` in READING_BATCH_SCHEMA, every reading from the file with this sha256."""


@dataclass
class ReadingColumns:
    """Growing columns in INTERVAL_SCHEMA order; `to_table` makes the Arrow table (schema given)."""

    meter_id: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    interval_start_us: list[int] = field(default_factory=list)
    interval_minutes: list[int] = field(default_factory=list)
    energy_wh: list[int] = field(default_factory=list)
    quality: list[int] = field(default_factory=list)
    source_sha256: list[str] = field(default_factory=list)
    source_row: list[int] = field(default_factory=list)

    def append(
        self, meter_id: str, channel: str, start_utc: datetime, interval_minutes: int, energy_wh: int,
        quality: int, source_sha256: str, source_row: int,
    ) -> None:
        self.meter_id.append(meter_id)
        self.channel.append(channel)
        self.interval_start_us.append(micros_from_datetime(start_utc))
        self.interval_minutes.append(interval_minutes)
        self.energy_wh.append(energy_wh)
        self.quality.append(quality)
        self.source_sha256.append(source_sha256)
        self.source_row.append(source_row)

    def extend(self, batch: pa.Table, source_sha256: str) -> None:
        self.meter_id += batch["meter_id"].to_pylist()
        self.channel += batch["channel"].to_pylist()
        self.interval_start_us += batch["interval_start_utc"].cast(pa.int64()).to_pylist()
        self.interval_minutes += batch["interval_minutes"].to_pylist()
        self.energy_wh += batch["energy_wh"].to_pylist()
        self.quality += batch["quality"].to_pylist()
        self.source_sha256 += [source_sha256] * batch.num_rows
        self.source_row += batch["source_row"].to_pylist()

    def __len__(self) -> int:
        return len(self.energy_wh)

    def to_table(self) -> pa.Table:
        arrays = [
            pa.array(self.meter_id, pa.string()),
            pa.array(self.channel, pa.string()),
            pa.array(self.interval_start_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            pa.array(self.interval_minutes, pa.int16()),
            pa.array(self.energy_wh, pa.int64()),
            pa.array(self.quality, pa.uint8()),
            pa.array(self.source_sha256, pa.string()),
            pa.array(self.source_row, pa.int32()),
        ]
        return pa.Table.from_arrays(arrays, schema=INTERVAL_SCHEMA)


class ReadingCounter:
    """A sink with ReadingColumns' `append` that keeps no readings: it counts them and notes the first and
    last interval start (UTC), the span the meter-data store files the file under."""

    def __init__(self) -> None:
        self.count = 0
        self.first_interval_start_utc: datetime | None = None
        self.last_interval_start_utc: datetime | None = None

    def append(self, meter_id: str, channel: str, start_utc: datetime, *rest: object) -> None:
        self.count += 1
        self._note(start_utc)

    def extend(self, batch: pa.Table, source_sha256: str) -> None:
        if batch.num_rows == 0:
            return
        self.count += batch.num_rows
        start_us = batch["interval_start_utc"].cast(pa.int64()).to_numpy()
        for start_utc in (EPOCH_UTC + timedelta(microseconds=int(np.min(start_us))),
                          EPOCH_UTC + timedelta(microseconds=int(np.max(start_us)))):
            self._note(start_utc)

    def _note(self, start_utc: datetime) -> None:
        if self.first_interval_start_utc is None or start_utc < self.first_interval_start_utc:
            self.first_interval_start_utc = start_utc
        if self.last_interval_start_utc is None or start_utc > self.last_interval_start_utc:
            self.last_interval_start_utc = start_utc

    def __len__(self) -> int:
        return self.count
