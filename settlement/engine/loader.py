"""Load a campus period for the full engine: interval rows -> per-series integer arrays in one numba pass.

Rows whose channel is `deemed_curtailment` carry deemed (compensable curtailed) energy for PPA meters; every other
row must be the meter's one energy channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campus import MeterRole
from common.errors import BadInput
from common.timeutil import require_utc
from settlement.engine.inputs import (
    SERIES_EXPORT,
    SERIES_GRID_IMPORT,
    SERIES_SHARED,
    Series,
    meter_series_key,
    tenant_series_key,
)
from settlement.engine.kernels import STATUS_OFF_GRID, aggregate_rows
from settlement.engine.meters import MeterRef
from settlement.engine.ppa_charges import DEEMED_SERIES_PREFIX
from settlement.errors import MeterUnknown
from settlement.tariffs import datetime_to_utc_us

DEEMED_CHANNEL = "deemed_curtailment"
US_PER_MINUTE = 60_000_000


def split_deemed(uri: str, table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(energy rows, deemed rows); refuses a meter with two energy channels (they would be summed silently).

    Works on the channel dictionaries where it can: with one channel value in the file there is nothing to split
    or check, and no string is materialized for millions of rows."""
    channel_values = _dictionary_values(table.column("channel"))
    if channel_values is not None and DEEMED_CHANNEL not in channel_values and len(channel_values) <= 1:
        return table, table.slice(0, 0)
    deemed_mask = pc.equal(table.column("channel").cast(pa.string()), DEEMED_CHANNEL)
    deemed = table.filter(deemed_mask)
    energy = table.filter(pc.invert(deemed_mask)) if deemed.num_rows else table
    if len(pc.unique(energy.column("channel").cast(pa.string()))) > 1:
        pairs = energy.select(["meter_id", "channel"]).cast(pa.schema([("meter_id", pa.string()),
                                                                       ("channel", pa.string())]))
        counts = pairs.group_by("meter_id").aggregate([("channel", "count_distinct")])
        for meter_id, count in zip(counts.column(0).to_pylist(), counts.column(1).to_pylist(), strict=True):
            if count != 1:
                raise BadInput(uri, None, "channel", f"meter {meter_id!r} has {count} energy channels, expected 1")
    return energy, deemed


def _dictionary_values(column: pa.ChunkedArray) -> set[str] | None:
    """Every value in the column's chunk dictionaries (a superset of the values used); None if not dictionary."""
    if not pa.types.is_dictionary(column.type):
        return None
    values: set[str] = set()
    for chunk in column.chunks:
        values.update(chunk.dictionary.to_pylist())
    return values


def series_plan(meters: Sequence[MeterRef], tenant_ids: Sequence[str], ppa_meter_ids: Sequence[str]
                ) -> dict[str, str]:
    """meter_id -> series key it feeds (tenant, shared, grid import, or its own series when a PPA names it)."""
    plan: dict[str, str] = {}
    for meter in meters:
        if meter.meter_id in ppa_meter_ids:
            plan[meter.meter_id] = meter_series_key(meter.meter_id)
        elif meter.role == MeterRole.TENANT and meter.tenant_id in tenant_ids:
            plan[meter.meter_id] = tenant_series_key(str(meter.tenant_id))
        elif meter.role == MeterRole.SHARED:
            plan[meter.meter_id] = SERIES_SHARED
        elif meter.role == MeterRole.GRID_IMPORT:
            plan[meter.meter_id] = SERIES_GRID_IMPORT
        elif meter.role == MeterRole.EXPORT:
            plan[meter.meter_id] = SERIES_EXPORT  # the campus utility bill credits it per the tariff's dgrules
    return plan


def batch_meter_codes(uri: str, column: pa.Array, code_of: dict[str, int]) -> np.ndarray:
    """Row -> index into the campus meter list, for one record batch; unknown meters are refused. Works on the
    batch's dictionary (a few thousand strings), never on millions of row strings."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    meter_ids = column.dictionary.to_pylist()
    mapping = np.empty(len(meter_ids), dtype=np.int32)
    for position, meter_id in enumerate(meter_ids):
        if meter_id not in code_of:
            raise MeterUnknown(uri, meter_id)
        mapping[position] = code_of[meter_id]
    codes: np.ndarray = mapping[column.indices.to_numpy(zero_copy_only=False)]
    return codes


def aggregate_series(uri: str, table: pa.Table, meters: Sequence[MeterRef], plan: dict[str, str],
                     series_minutes: dict[str, int], start_utc: datetime, end_utc: datetime
                     ) -> tuple[dict[str, int], dict[str, Series]]:
    """Meter totals (Wh, every campus meter) and one Series per key of `series_minutes`, in one kernel pass per
    record batch (columns are read in place: no concatenated copies of 18M-row columns)."""
    code_of = {meter.meter_id: index for index, meter in enumerate(meters)}
    keys = sorted(series_minutes)
    key_index = {key: index for index, key in enumerate(keys)}
    start_us = datetime_to_utc_us(require_utc(start_utc, "start_utc"))
    period_us = datetime_to_utc_us(require_utc(end_utc, "end_utc")) - start_us
    steps_us = np.array([series_minutes[key] * US_PER_MINUTE for key in keys], dtype=np.int64)
    cell_counts = -(-period_us // steps_us)  # ceiling division: a partial last cell still counts
    offsets = np.concatenate([[0], np.cumsum(cell_counts)]).astype(np.int64)
    code_series = np.array([key_index.get(plan.get(m.meter_id, ""), -1) for m in meters], dtype=np.int32)
    code_interval_us = np.array([m.interval_minutes * US_PER_MINUTE for m in meters], dtype=np.int64)
    totals = np.zeros(len(meters), dtype=np.int64)
    cells = np.zeros(int(offsets[-1]), dtype=np.int64)
    for batch in table.to_batches():
        codes = batch_meter_codes(uri, batch.column("meter_id"), code_of)
        starts = batch.column("interval_start_utc").view(pa.int64()).to_numpy()
        energy = batch.column("energy_wh").to_numpy()
        status = aggregate_rows(codes, starts, energy, code_series, code_interval_us, steps_us, offsets,
                                np.int64(start_us), totals, cells)
        _check_status(uri, status, codes, starts, meters)
    series = {key: Series(start_us + np.arange(cell_counts[i], dtype=np.int64) * steps_us[i],
                          cells[offsets[i]:offsets[i + 1]], series_minutes[key])
              for i, key in enumerate(keys)}
    return {m.meter_id: int(totals[i]) for i, m in enumerate(meters)}, series


def _check_status(uri: str, status: np.ndarray, codes: np.ndarray, starts: np.ndarray,
                  meters: Sequence[MeterRef]) -> None:
    bad = np.flatnonzero(status)
    if bad.size:
        row = int(bad[0])
        reason = "straddles two cells of its series" if status[row] == STATUS_OFF_GRID else "is outside the period"
        raise BadInput(uri, None, "interval_start_utc", f"meter {meters[codes[row]].meter_id} interval at "
                       f"{np.datetime64(int(starts[row]), 'us')}Z {reason}")


def series_minutes_for(meters: Sequence[MeterRef], plan: dict[str, str], tenant_ids: Sequence[str],
                       extra_keys: Sequence[str] = ()) -> dict[str, int]:
    """Cell length per series: the longest interval among its meters. Tenants without meters get the campus's
    shortest tenant interval, so every tenant series shares one grid when the meters do."""
    minutes: dict[str, int] = {}
    for meter in meters:
        key = plan.get(meter.meter_id)
        if key is not None:
            minutes[key] = max(minutes.get(key, 0), meter.interval_minutes)
    tenant_minutes = [meter.interval_minutes for meter in meters if meter.role == MeterRole.TENANT] or [60]
    for tenant_id in tenant_ids:
        minutes.setdefault(tenant_series_key(tenant_id), min(tenant_minutes))
    for key in (SERIES_SHARED, SERIES_GRID_IMPORT, SERIES_EXPORT, *extra_keys):
        minutes.setdefault(key, min(tenant_minutes))
    return minutes


def deemed_plan(plan: dict[str, str], ppa_meter_ids: Sequence[str]) -> dict[str, str]:
    return {meter_id: DEEMED_SERIES_PREFIX + meter_id for meter_id in ppa_meter_ids if meter_id in plan}
