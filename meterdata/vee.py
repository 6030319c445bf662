"""run_vee: validate, estimate and report one period of interval data with the numba kernel.

Streams the input in chunks of whole series, so memory is bounded by `rows_per_chunk_max` readings.
Writes the validated grid (INTERVAL_SCHEMA, one row per expected interval) to `out_uri` and the
exceptions (every flagged interval with its raw value, method and reason) beside it. A meter's expected
intervals are its service window inside the period (meterdata.grid.service_slots): nothing is flagged or
estimated before it entered service or after it left, and a meter out of service all period is not missing.
A reading outside the window lies off the meter's grid, so it counts as misaligned and is left out (ingest
refuses such readings; they can only come from data ingested before the window was set).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from campus import StorageAsset
from common import storage
from common.errors import BadInput
from common.timeutil import require_utc
from meterdata import kernels as k
from meterdata.cross_checks import CrossCheckLimits, cross_check_counts
from meterdata.edits import ManualEdit, apply_edits
from meterdata.exceptions import EXCEPTION_SCHEMA, exceptions_table
from meterdata.grid import (
    VALIDATED_WRITE_SCHEMA,
    local_day_starts_us,
    plan_grid,
    service_slots,
    validated_table,
)
from meterdata.readings import micros_from_datetime
from meterdata.report import VeeTally, build_report
from meterdata.series import SeriesChunk, SeriesNotGrouped, iter_series_chunks, sort_intervals
from meterdata.specs import MeterSpec
from meterdata.state_of_charge import state_of_charge_keys
from meterdata.vee_storage import finish_storage

ROWS_PER_CHUNK_MAX = 2_000_000
REGISTER_CHANNEL = "register"


@dataclass(frozen=True)
class VeeResult:
    validated_uri: str
    reading_count: int
    estimated_count: int
    report: dict[str, object] = field(default_factory=dict)
    exceptions_uri: str = ""


def exceptions_uri_for(out_uri: str) -> str:
    stem = out_uri.removesuffix(".parquet")
    return stem + ".exceptions.parquet"


def run_vee(
    intervals_uri: str, meters: Mapping[str, MeterSpec], period_start_utc: datetime, period_end_utc: datetime,
    out_uri: str, local_time_zone: str = "UTC", limits: CrossCheckLimits | None = None,
    rows_per_chunk_max: int = ROWS_PER_CHUNK_MAX, edits: Sequence[ManualEdit] = (),
    storage: Sequence[StorageAsset] = (), stored_wh_start: Mapping[str, int] | None = None,
) -> VeeResult:
    """Validate and estimate `intervals_uri` for [period_start_utc, period_end_utc); see module doc.

    `local_time_zone` fixes the day boundaries of the interval-count-per-day rule (92/100 on DST days).
    `edits` (manual edits with user and reason) are applied after estimation and win over it.
    `storage`: the campus's batteries, checked by the storage rules (meterdata.storage_checks); their
    state-of-charge channels are levels, kept out of the energy and written beside `out_uri`
    (meterdata.vee_storage). `stored_wh_start`: asset id -> the stored energy at the period's start where known
    (the previous period's last reported level), where the storage rules start.
    """
    start_utc = require_utc(period_start_utc, "period_start_utc")
    end_utc = require_utc(period_end_utc, "period_end_utc")
    try:
        tally = _validate_stream(intervals_uri, meters, start_utc, end_utc, out_uri, local_time_zone, rows_per_chunk_max, edits, storage)
    except SeriesNotGrouped:
        sorted_uri = exceptions_uri_for(out_uri).replace(".exceptions.", ".sorted-input.")
        sort_intervals(intervals_uri, sorted_uri)
        tally = _validate_stream(sorted_uri, meters, start_utc, end_utc, out_uri, local_time_zone, rows_per_chunk_max, edits, storage)
    hours = int((end_utc - start_utc).total_seconds()) // 3600
    cross = cross_check_counts(tally.hourly_complete(hours), meters, limits or CrossCheckLimits())
    storage_counts, storage_findings = finish_storage(
        tally.state_of_charge_tables(), storage, tally.hourly_complete(hours), tally.period_start_us, out_uri,
        {meter_id: spec.role for meter_id, spec in meters.items()}, stored_wh_start)
    report = build_report(tally, {**cross, **storage_counts})
    if storage:
        report["storage_findings"] = storage_findings
    return VeeResult(out_uri, tally.reading_count, tally.estimated_count, report, exceptions_uri_for(out_uri))


def _validate_stream(
    intervals_uri: str, meters: Mapping[str, MeterSpec], start_utc: datetime, end_utc: datetime, out_uri: str,
    local_time_zone: str, rows_per_chunk_max: int, edits: Sequence[ManualEdit], assets: Sequence[StorageAsset],
) -> VeeTally:
    day_start_us = local_day_starts_us(start_utc, end_utc, local_time_zone)
    start_us, end_us = micros_from_datetime(start_utc), micros_from_datetime(end_utc)
    hour_aligned = start_utc.minute == 0 and start_utc.second == 0 and start_utc.microsecond == 0
    tally = VeeTally(hour_aligned=hour_aligned, period_start_us=start_us, period_end_us=end_us)
    # Both files appear whole or not at all (common.storage), on a folder or an object store.
    with storage.atomic_output(out_uri) as out_stream, \
            storage.atomic_output(exceptions_uri_for(out_uri)) as ex_stream, \
            pq.ParquetWriter(out_stream, VALIDATED_WRITE_SCHEMA, compression="zstd", store_schema=False) as writer, \
            pq.ParquetWriter(ex_stream, EXCEPTION_SCHEMA, compression="zstd") as ex_writer:
        for chunk in iter_series_chunks(intervals_uri, rows_per_chunk_max):
            _validate_chunk(chunk, meters, start_utc, end_utc, day_start_us, intervals_uri, tally, writer, ex_writer,
                            edits, assets)
        # A registered meter that sent nothing is wholly missing, not absent from the report; unless it was
        # out of service all period: then nothing was expected of it.
        silent = sorted(
            m for m in set(meters) - set(tally.counts) if service_slots(meters[m], start_us, end_us)[1] > 0)
        if silent:
            _validate_chunk(_empty_chunk(silent), meters, start_utc, end_utc, day_start_us, intervals_uri, tally,
                            writer, ex_writer, edits, assets)
    return tally


def _empty_chunk(meter_ids: list[str]) -> SeriesChunk:
    """Series with no readings; one placeholder row keeps the provenance lookups uniform (never referenced)."""
    placeholder = pa.table({
        "meter_id": pa.array([meter_ids[0]], pa.string()),
        "channel": pa.array(["main"], pa.string()),
        "interval_start_utc": pa.array([0], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([0], pa.int64()),
        "quality": pa.array([0], pa.uint8()),
        "source_sha256": pa.array([""], pa.string()),
        "source_row": pa.array([0], pa.int32()),
    })
    offsets = np.zeros(len(meter_ids) + 1, np.int64)
    return SeriesChunk(placeholder, [(m, "main") for m in meter_ids], offsets, np.zeros(1, np.int64), np.zeros(1, np.int64))


def _validate_chunk(
    chunk: SeriesChunk, meters: Mapping[str, MeterSpec], start_utc: datetime, end_utc: datetime,
    day_start_us: np.ndarray, source: str, tally: VeeTally, writer: pq.ParquetWriter, ex_writer: pq.ParquetWriter,
    edits: Sequence[ManualEdit], assets: Sequence[StorageAsset],
) -> None:
    tally.reading_count += int(chunk.offsets[-1])
    for index, (meter_id, _channel) in enumerate(chunk.keys):
        if meter_id not in meters:
            raise BadInput(source, int(chunk.offsets[index]) + 1, "meter_id", f"unknown meter {meter_id!r}")
    levels = state_of_charge_keys(assets)
    keep = [i for i, key in enumerate(chunk.keys) if key[1] != REGISTER_CHANNEL and key not in levels]
    tally.add_registers(chunk, [i for i, key in enumerate(chunk.keys) if key[1] == REGISTER_CHANNEL])
    for index, key in enumerate(chunk.keys):
        if key in levels:
            tally.add_state_of_charge(chunk, index, levels[key].asset_id, meters[key[0]].interval_minutes)
    keys = [chunk.keys[i] for i in keep]
    specs = [meters[key[0]] for key in keys]
    plan = plan_grid(specs, start_utc, end_utc)
    series_offsets, ts_us, energy_wh = _select_series(chunk, keep)
    total_slots = int(plan.slot_offsets[-1])
    value = np.empty(total_slots, np.int64)
    flags = np.empty(total_slots, np.uint16)
    source_index = np.empty(total_slots, np.int32)
    counts = np.zeros((len(keys), k.COUNT_COLUMNS), np.int64)
    k.validate_series(ts_us, energy_wh, series_offsets, plan.slot_offsets, plan.start_us, plan.interval_us, plan.params,
                      day_start_us, value, flags, source_index, counts)
    notes = apply_edits(edits, keys, plan, value, flags) if edits else {}
    source_rows = _source_rows(chunk, keep, series_offsets, plan.slot_offsets, source_index)
    validated = validated_table(keys, meters, plan, chunk.table, value, flags, source_rows)
    writer.write_table(validated)
    ex_writer.write_table(exceptions_table(keys, plan, chunk.table, value, flags, source_rows, notes))
    # The validated quality, not the kernel's flags alone: a value its source marked estimated (a connector's
    # register-split gap, a file's estimate) counts as estimated in the report.
    tally.add_series(keys, specs, plan, value, flags, counts, validated["quality"].to_numpy())


def _select_series(chunk: SeriesChunk, keep: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(keep) == len(chunk.keys):
        return chunk.offsets, chunk.ts_us, chunk.energy_wh
    rows = np.concatenate([np.arange(chunk.offsets[i], chunk.offsets[i + 1]) for i in keep]) if keep else np.zeros(0, np.int64)
    lengths = np.array([chunk.offsets[i + 1] - chunk.offsets[i] for i in keep], np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return offsets, chunk.ts_us[rows], chunk.energy_wh[rows]


def _source_rows(chunk: SeriesChunk, keep: list[int], series_offsets: np.ndarray, plan_slot_offsets: np.ndarray,
                 source_index: np.ndarray) -> np.ndarray:
    """Turn the kernel's per-series reading offsets into rows of the chunk table (-1: no reading)."""
    series_of_slot = np.repeat(np.arange(len(keep)), np.diff(plan_slot_offsets))
    kept_row = series_offsets[series_of_slot] + source_index
    if len(keep) != len(chunk.keys):
        rows = np.concatenate([np.arange(chunk.offsets[i], chunk.offsets[i + 1]) for i in keep]) if keep else np.zeros(1, np.int64)
        kept_row = rows[np.clip(kept_row, 0, max(rows.size - 1, 0))]
    return np.where(source_index >= 0, kept_row, -1)
