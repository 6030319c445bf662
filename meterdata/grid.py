"""Turn a chunk of series into kernel inputs (grid offsets, per-series parameters) and back into tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from meterdata import kernels as k
from meterdata.readings import micros_from_datetime
from meterdata.schema import (
    INTERVAL_SCHEMA,
    QUALITY_EDITED,
    QUALITY_ESTIMATED,
    QUALITY_MISSING,
    QUALITY_SUSPECT,
)

FLAG_EDITED = 2048
"""Set by meterdata.edits on manually edited slots (above every kernel flag)."""
from meterdata.specs import MeterSpec

MICROS_PER_MINUTE = 60_000_000

VALIDATED_WRITE_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string()), nullable=False) if f.type == pa.string() else f
        for f in INTERVAL_SCHEMA
    ]
)
"""INTERVAL_SCHEMA with its strings as dictionaries. Written with `store_schema=False`, the Parquet file
reads back as exactly INTERVAL_SCHEMA (plain strings), while writing skips hashing every string again."""
DAYS_MAX = 400


@dataclass
class GridPlan:
    slot_offsets: np.ndarray
    start_us: np.ndarray
    interval_us: np.ndarray
    params: np.ndarray


def plan_grid(specs: list[MeterSpec], period_start_utc: datetime, period_end_utc: datetime) -> GridPlan:
    """Each series' expected intervals: its meter's service window intersected with the period (see
    `service_slots`), so a meter is neither flagged nor estimated for time it was not in service."""
    period_start_us = micros_from_datetime(period_start_utc)
    period_end_us = micros_from_datetime(period_end_utc)
    interval_us = np.array([spec.interval_minutes * MICROS_PER_MINUTE for spec in specs], np.int64)
    slots = [service_slots(spec, period_start_us, period_end_us) for spec in specs]
    start_us = np.array([first_us for first_us, _ in slots], np.int64)
    slot_counts = np.array([count for _, count in slots], np.int64)
    slot_offsets = np.concatenate(([0], np.cumsum(slot_counts))).astype(np.int64)
    params = np.array([series_params(spec) for spec in specs], np.int64).reshape(len(specs), k.PARAM_COLUMNS)
    return GridPlan(slot_offsets, start_us, interval_us, params)


def service_slots(spec: MeterSpec, period_start_us: int, period_end_us: int) -> tuple[int, int]:
    """(first slot start in UTC microseconds, slot count) of a meter's grid in the period.

    Slots stay on the period's grid of whole intervals. The service window's start is rounded up to it and
    its end down: an interval only partly in service is not expected (ingest refuses its reading). A window
    that misses the period gives no slots."""
    interval_us = spec.interval_minutes * MICROS_PER_MINUTE
    from_us = period_start_us
    if spec.active_from_utc is not None:
        from_us = max(from_us, micros_from_datetime(spec.active_from_utc))
    to_us = period_end_us
    if spec.active_to_utc is not None:
        to_us = min(to_us, micros_from_datetime(spec.active_to_utc))
    first_us = period_start_us - (period_start_us - from_us) // interval_us * interval_us
    return first_us, max(0, (to_us - first_us) // interval_us)


def series_params(spec: MeterSpec) -> list[int]:
    limits = spec.vee_thresholds()
    minutes = spec.interval_minutes
    row = [0] * k.PARAM_COLUMNS
    row[k.PARAM_ONE_WAY] = int(limits.one_way)
    row[k.PARAM_CAPACITY_WH] = spec.capacity_wh_per_interval_max()
    row[k.PARAM_SPIKE_RATIO_PERMILLE] = limits.spike_ratio_permille
    row[k.PARAM_SPIKE_FLOOR_WH] = spec.spike_floor_wh()
    # A run needs two intervals to be a run at all.
    row[k.PARAM_FLAT_RUN_MIN] = max(2, limits.flat_run_minutes_min // minutes)
    row[k.PARAM_NEVER_IDLE] = int(limits.never_idle)
    row[k.PARAM_ZERO_RUN_MIN] = max(2, limits.zero_run_minutes_min // minutes)
    row[k.PARAM_INTERP_GAP_MAX] = limits.interpolate_gap_minutes_max // minutes
    row[k.PARAM_LIKE_DAY_DAYS_MAX] = limits.like_day_search_days_max
    row[k.PARAM_SLOTS_PER_DAY] = 1440 // minutes
    return row


def local_day_starts_us(period_start_utc: datetime, period_end_utc: datetime, time_zone: str) -> np.ndarray:
    """UTC instants of the local midnights from the day containing the period start to past its end."""
    zone = ZoneInfo(time_zone)
    day = period_start_utc.astimezone(zone).date()
    starts: list[int] = []
    for _ in range(DAYS_MAX):
        midnight_utc = datetime.combine(day, datetime.min.time(), zone)
        starts.append(micros_from_datetime(midnight_utc))
        if midnight_utc >= period_end_utc:
            break
        day += timedelta(days=1)
    return np.array(starts, np.int64)


def quality_from_flags(flags: np.ndarray, source_quality: np.ndarray) -> np.ndarray:
    edited = (flags & FLAG_EDITED) != 0
    quality = np.where(flags & (k.FLAG_ESTIMATED_LINEAR | k.FLAG_ESTIMATED_LIKE_DAY), QUALITY_ESTIMATED, 0)
    quality |= np.where(flags & k.FLAG_UNESTIMATED, QUALITY_MISSING, 0)
    quality |= np.where(flags & k.FLAGS_SUSPECT, QUALITY_SUSPECT, 0)
    # A value the source already marked (edited, estimated) keeps that mark when we keep the value.
    kept = (flags & (k.FLAGS_INVALID)) == 0
    quality |= np.where(kept & ((flags & k.FLAG_PRESENT) != 0), source_quality, 0)
    # A person's edit replaces whatever was there: it is only "edited".
    quality = np.where(edited, QUALITY_EDITED, quality)
    return quality.astype(np.uint8)


def validated_table(
    keys: list[tuple[str, str]], specs: Mapping[str, MeterSpec], plan: GridPlan, source_table: pa.Table,
    value: np.ndarray, flags: np.ndarray, source_index: np.ndarray,
) -> pa.Table:
    """One row per grid slot of every series: measured, estimated or missing, with its provenance."""
    counts = np.diff(plan.slot_offsets)
    series_of_slot = np.repeat(np.arange(len(keys)), counts)
    slot_in_series = np.arange(value.shape[0], dtype=np.int64) - plan.slot_offsets[series_of_slot]
    start_us = plan.start_us[series_of_slot] + slot_in_series * plan.interval_us[series_of_slot]
    estimated = (flags & (k.FLAG_ESTIMATED_LINEAR | k.FLAG_ESTIMATED_LIKE_DAY | k.FLAG_UNESTIMATED | FLAG_EDITED)) != 0
    has_source = (source_index >= 0) & ~estimated
    take_index = np.where(has_source, source_index, 0)
    source_quality = source_table["quality"].combine_chunks().to_numpy()[take_index]
    row = source_table["source_row"].combine_chunks().to_numpy()[take_index]
    minutes = np.array([specs[key[0]].interval_minutes for key in keys], np.int16)
    arrays = [
        _strings(series_of_slot, [key[0] for key in keys]),
        _strings(series_of_slot, [key[1] for key in keys]),
        pa.array(start_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        pa.array(minutes[series_of_slot], pa.int16()),
        pa.array(value, pa.int64()),
        pa.array(quality_from_flags(flags, np.where(has_source, source_quality, 0)), pa.uint8()),
        _source_hashes(source_table["source_sha256"], take_index, has_source),
        pa.array(np.where(has_source, row, 0), pa.int32()),
    ]
    return pa.Table.from_arrays(arrays, schema=VALIDATED_WRITE_SCHEMA)


def _strings(indices: np.ndarray, names: list[str]) -> pa.Array:
    """A string column as codes into `names`: written as Parquet dictionary pages without re-hashing."""
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(names, pa.string()))


def _source_hashes(column: pa.ChunkedArray, take_index: np.ndarray, has_source: np.ndarray) -> pa.Array:
    """The source file hash of each kept value; "" where the value was estimated."""
    array = column.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    names = array.dictionary.to_pylist() + [""]
    codes = array.indices.to_numpy()[take_index] if take_index.size else np.zeros(0, np.int64)
    return _strings(np.where(has_source, codes, len(names) - 1), names)
