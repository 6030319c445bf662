"""ERCOT LSE-format 15-minute interval export (iso-formats.md §2.3, §8 plan item 1); 5-minute meters are summed
into quarter hours.

Who sends it: LSE files are what a TDSP sends ERCOT for the ESI IDs it reads; the campus never sends settlement
meter data to ERCOT (Protocols §10.1). We write the campus's copy of its ESI IDs' data in this layout for the
TDSP and to check ERCOT's usage extracts; a meter without an ESI ID (a tenant sub-meter) has no file, and
generation registered as a Resource is polled by ERCOT from its EPS meter. The DUNS in the name is the sender's:
the TDSP's.

Confirmed by the LSE File Definition: the file name rule `<DUNS>IntervalData<ccyymmddhhmmss><NNN>.lse`
(must contain `.lse`, must not contain `.csv`), comma separation with every comma present, and header row 1
`00000001,<ESI ID>,<channel>,<start>,<stop>,<DST participant Y>,<invalid-record flag N>` in local prevailing time.
NOT confirmed (Retail Market Guide App. G not in hand), so kept here and only here:
- header row 2 `00000002,<interval minutes>,KWH,<day count>`;
- one detail row per operating day `00000003,<YYYYMMDD>,<interval count>,<v1>,...,<vN>` where N is 92, 96
  or 100 (spring-forward, normal, fall-back day in Central prevailing time) and value k is the k-th quarter
  hour after local midnight, so the repeated and skipped hours need no labels; kWh with 3 decimals (exact
  from Wh); a missing interval is BLANK, never 0;
- channel 1 = generation, 4 = load, as the transcriptions read (ERCOT usage elsewhere differs; verify).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campus import MeterRole
from common.errors import BadInput
from common.timeutil import require_utc
from intervals import MeterIntervals, intervals_of
from market_adapters.clock import operating_day_bounds_utc
from market_adapters.ercot.parse import CENTRAL
from market_adapters.hourly import read_interval_table
from market_adapters.model import IsoMeterRef
from meterdata.schema import QUALITY_MISSING

QUARTER_HOUR = timedelta(minutes=15)
QUARTER_HOUR_US = 15 * 60 * 1_000_000
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
LSE_CHANNEL_BY_ROLE: dict[str, int] = {MeterRole.GENERATION: 1, MeterRole.EXPORT: 1, MeterRole.GRID_IMPORT: 4,
                                       MeterRole.TENANT: 4, MeterRole.SHARED: 4}
DUNS_LENGTHS = (9, 13)
DAYS_MAX = 62  # two months per file keeps a file far below any EDM size limit
WH_PER_KWH = Decimal(1000)
KWH_QUANTUM = Decimal("0.001")  # Wh / 1000 is exact at 3 decimals


@dataclass(frozen=True)
class LseFile:
    file_name: str
    text: str


def lse_file_name(duns: str, created_at_utc: datetime, sequence: int) -> str:
    if not (duns.isdigit() and len(duns) in DUNS_LENGTHS):
        raise BadInput("lse", None, "duns", f"DUNS must be 9 or 13 digits, got {duns!r}")
    assert 1 <= sequence <= 999, "sequence is three digits"
    wall = require_utc(created_at_utc, "created_at_utc").astimezone(CENTRAL)
    return f"{duns}IntervalData{wall:%Y%m%d%H%M%S}{sequence:03d}.lse"


def build_lse_file(intervals: str | MeterIntervals, meter: IsoMeterRef, source_channel: str, first_day: date,
                   last_day: date, duns: str, created_at_utc: datetime, sequence: int) -> LseFile:
    """One meter channel's 15-minute kWh for every operating day in `[first_day, last_day]`; `intervals` is
    the file's URI or the file already read."""
    read = intervals_of(intervals)
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    assert 0 < len(days) <= DAYS_MAX, f"1..{DAYS_MAX} days per file"
    start_utc, _ = operating_day_bounds_utc(days[0], CENTRAL)
    _, end_utc = operating_day_bounds_utc(days[-1], CENTRAL)
    table = read_interval_table(read, [meter.meter_id], start_utc, end_utc)
    table = table.filter(pc.equal(table["channel"], source_channel))
    values = _values_by_start(table, read.uri)
    header = (f"00000001,{meter.iso_meter_id},{LSE_CHANNEL_BY_ROLE[meter.role]},"
              f"{datetime.combine(days[0], time(0)):%Y%m%d%H%M%S},"
              f"{datetime.combine(days[-1] + timedelta(days=1), time(0)):%Y%m%d%H%M%S},Y,N")
    lines = [header, f"00000002,15,KWH,{len(days)}"]
    lines += [_day_row(day, values) for day in days]
    return LseFile(lse_file_name(duns, created_at_utc, sequence), "\r\n".join(lines) + "\r\n")


def _values_by_start(table: pa.Table, source: str) -> dict[datetime, int | None]:
    """Energy per quarter hour, Wh (None = missing). Finer intervals (5 or 7.5 minutes: any divisor of 15) are
    summed into their quarter hour, which is missing unless every interval of it is present and none is flagged
    missing; coarser intervals cannot be split without a load profile and are refused."""
    minutes = table["interval_minutes"].to_numpy()
    if len(minutes) and (bool((minutes > 15).any()) or bool((15 % minutes != 0).any())):
        raise BadInput(source, None, "interval_minutes",
                       "LSE files carry 15-minute intervals: meters of 5, 15 or another divisor of 15 minutes only")
    start_us = table["interval_start_utc"].cast(pa.int64()).to_numpy()
    if len(np.unique(start_us)) != len(start_us):
        duplicate = start_us[np.argsort(start_us, kind="stable")]
        first = duplicate[:-1][duplicate[1:] == duplicate[:-1]][0]
        raise BadInput(source, None, "interval_start_utc",
                       f"duplicate interval {_utc(int(first))}")
    quarter_us = start_us - start_us % QUARTER_HOUR_US
    quarters, index = np.unique(quarter_us, return_inverse=True)
    energy_wh = np.zeros(len(quarters), dtype=np.int64)
    np.add.at(energy_wh, index, table["energy_wh"].to_numpy())
    covered_minutes = np.zeros(len(quarters), dtype=np.int64)
    np.add.at(covered_minutes, index, minutes.astype(np.int64))
    missing = (table["quality"].to_numpy() & QUALITY_MISSING) != 0
    any_missing = np.zeros(len(quarters), dtype=bool)
    np.logical_or.at(any_missing, index, missing)
    complete = (covered_minutes == 15) & ~any_missing
    return {_utc(start): int(wh) if ok else None
            for start, wh, ok in zip(quarters.tolist(), energy_wh.tolist(), complete.tolist(), strict=True)}


def _utc(micros: int) -> datetime:
    return EPOCH_UTC + timedelta(microseconds=micros)


def _day_row(day: date, values: dict[datetime, int | None]) -> str:
    start_utc, end_utc = operating_day_bounds_utc(day, CENTRAL)
    count = (end_utc - start_utc) // QUARTER_HOUR
    cells = []
    for index in range(count):
        energy_wh = values.get(start_utc + index * QUARTER_HOUR)
        cells.append("" if energy_wh is None else str((Decimal(energy_wh) / WH_PER_KWH).quantize(KWH_QUANTUM)))
    return f"00000003,{day:%Y%m%d},{count}," + ",".join(cells)
