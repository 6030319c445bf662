"""Each tenant's peak demand and estimated energy, from the validated intervals the settlement priced (pure:
arrays in, a small dictionary out), recorded with the settle step for finance's review (`billing.review`).

- Peak demand: the largest interval demand of the tenant, its meters' energy in one interval over the
  interval's length (Wh / h = W). The tenant's meters are summed per interval (coincident demand). Meters with
  different interval lengths are compared on the finest common grid: an hour interval of 400 Wh is 400 W in each
  of its four quarter-hours. Exact: demands are integers scaled by the least common multiple of the lengths,
  and the peak in W is rounded half-even to the watt only when the length does not divide an hour in whole
  minutes' watts (never for 1, 5, 15, 30 or 60 minutes).
- Estimated energy: the Wh of rows VEE estimated (quality bit QUALITY_ESTIMATED), against the tenant's total Wh.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from intervals import meter_rows
from meterdata.schema import QUALITY_ESTIMATED

INTERVAL_FIGURES_KEY = "tenant_interval_figures"  # where the settle step records them
MICROS_PER_MINUTE = 60_000_000
# The dense grid is used while it has at most this many cells per row, plus a floor (as intervals.columnar does).
DENSE_CELLS_PER_ROW_MAX = 4
DENSE_CELLS_MIN = 1 << 16
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def tenant_interval_figures(table: pa.Table, tenant_of_meter: Mapping[str, str | None]) -> dict[str, dict[str, Any]]:
    """`{tenant_id: {"demand_w_max": int, "demand_w_max_interval_start_utc": ISO text, "energy_wh": int,
    "energy_wh_estimated": int}}` for tenants whose meters have rows (sorted)."""
    meter_ids = sorted(meter_id for meter_id, tenant_id in tenant_of_meter.items() if tenant_id is not None)
    rows = meter_rows(table, meter_ids)
    selected = rows.selected()
    if not selected.any():
        return {}
    tenant_ids = sorted({str(tenant_of_meter[meter_id]) for meter_id in meter_ids})
    position = {tenant_id: index for index, tenant_id in enumerate(tenant_ids)}
    tenant_of_meter_index = np.array([position[str(tenant_of_meter[m])] for m in rows.meter_ids], dtype=np.int64)
    tenant = tenant_of_meter_index[rows.meter_of_row[selected]]
    start_us = _column(table, "interval_start_utc")[selected]
    minutes = _column(table, "interval_minutes")[selected]
    energy_wh = _column(table, "energy_wh")[selected]
    estimated = (_column(table, "quality")[selected] & QUALITY_ESTIMATED) != 0

    energy_total = np.zeros(len(tenant_ids), dtype=np.int64)
    np.add.at(energy_total, tenant, energy_wh)
    energy_estimated = np.zeros(len(tenant_ids), dtype=np.int64)
    np.add.at(energy_estimated, tenant[estimated], energy_wh[estimated])

    lengths = [int(length) for length in np.unique(minutes).tolist()]
    grid_minutes = math.gcd(*lengths)
    lcm_minutes = math.lcm(*lengths)
    # Demand scaled to an integer: Wh x (lcm / length) is the demand in units of Wh per lcm minutes.
    scaled = energy_wh * (lcm_minutes // minutes)
    pieces = minutes // grid_minutes
    if (pieces > 1).any():  # longer intervals cover several grid slots, each at the interval's demand
        repeat = pieces.astype(np.int64)
        offset = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        tenant, scaled = np.repeat(tenant, repeat), np.repeat(scaled, repeat)
        start_us = np.repeat(start_us, repeat) + offset * grid_minutes * MICROS_PER_MINUTE
    slot = start_us // (grid_minutes * MICROS_PER_MINUTE)
    first_slot = int(slot.min())
    span = int(slot.max()) - first_slot + 1
    peaks = _peaks(tenant, slot - first_slot, scaled, len(tenant_ids), span)

    figures: dict[str, dict[str, Any]] = {}
    for index, tenant_id in enumerate(tenant_ids):
        if index not in peaks:
            continue
        peak_scaled, peak_offset = peaks[index]
        start_utc = EPOCH_UTC + timedelta(minutes=(first_slot + peak_offset) * grid_minutes)
        figures[tenant_id] = {
            "demand_w_max": demand_w(peak_scaled, lcm_minutes),
            "demand_w_max_interval_start_utc": start_utc.isoformat(),
            "energy_wh": int(energy_total[index]),
            "energy_wh_estimated": int(energy_estimated[index]),
        }
    return figures


def _peaks(tenant: np.ndarray, slot_offset: np.ndarray, scaled: np.ndarray, tenant_count: int, span: int
           ) -> dict[int, tuple[int, int]]:
    """Per tenant index with rows: its largest summed scaled demand and the first slot offset at it. A month of
    quarter-hours is 2,976 slots: for a campus's tenants a dense tenants x slots grid, summed in one pass; a grid
    far larger than the rows (many tenants, short intervals) sorts the rows instead."""
    cell = tenant * span + slot_offset
    if tenant_count * span <= DENSE_CELLS_PER_ROW_MAX * cell.size + DENSE_CELLS_MIN:
        demand = np.zeros(tenant_count * span, dtype=np.int64)
        np.add.at(demand, cell, scaled)
        has_rows = np.zeros(tenant_count * span, dtype=np.bool_)
        has_rows[cell] = True
        grid = np.where(has_rows, demand, np.iinfo(np.int64).min).reshape(tenant_count, span)
        offsets = grid.argmax(axis=1)  # the first slot at the maximum
        with_rows = np.flatnonzero(has_rows.reshape(tenant_count, span).any(axis=1)).tolist()
        return {index: (int(grid[index, offsets[index]]), int(offsets[index])) for index in with_rows}
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    firsts = np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))
    sums, cells = np.add.reduceat(scaled[order], firsts), cell[firsts]
    owners = cells // span
    bounds = np.searchsorted(owners, np.arange(tenant_count + 1))
    peaks: dict[int, tuple[int, int]] = {}
    for index in range(tenant_count):
        low, high = int(bounds[index]), int(bounds[index + 1])
        if low < high:
            at = low + int(np.argmax(sums[low:high]))
            peaks[index] = (int(sums[at]), int(cells[at] % span))
    return peaks


def demand_w(energy_wh: int, interval_minutes: int) -> int:
    """Wh in `interval_minutes` as W (Wh x 60 / minutes), rounded half-even to the watt when not whole."""
    return int((Decimal(energy_wh) * 60 / Decimal(interval_minutes)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _column(table: pa.Table, name: str) -> np.ndarray:
    column = table.column(name)
    if column.num_chunks == 0:
        return np.zeros(0, dtype=np.int64)
    values = column.combine_chunks().to_numpy(zero_copy_only=False)
    if values.dtype.kind in "Mm":
        return np.asarray(values.view(np.int64))
    return np.asarray(values, dtype=np.int64)
