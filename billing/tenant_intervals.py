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
    demand, has_rows = _demand_grid(tenant, slot - first_slot, scaled, len(tenant_ids), span)

    figures: dict[str, dict[str, Any]] = {}
    for index, tenant_id in enumerate(tenant_ids):
        if not has_rows[index].any():
            continue
        own = np.where(has_rows[index], demand[index], np.iinfo(np.int64).min)
        peak = int(np.argmax(own))  # the first interval at the peak
        start_utc = EPOCH_UTC + timedelta(minutes=(first_slot + peak) * grid_minutes)
        figures[tenant_id] = {
            "demand_w_max": demand_w(int(own[peak]), lcm_minutes),
            "demand_w_max_interval_start_utc": start_utc.isoformat(),
            "energy_wh": int(energy_total[index]),
            "energy_wh_estimated": int(energy_estimated[index]),
        }
    return figures


def _demand_grid(tenant: np.ndarray, slot_offset: np.ndarray, scaled: np.ndarray, tenant_count: int, span: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Tenants x slots: the summed scaled demand (int64, exact) and whether the tenant has a row in the slot. A
    month of quarter-hours is 2,976 slots: a dense grid of int64 for a campus's tenants, summed in one pass."""
    cell = tenant * span + slot_offset
    demand = np.zeros(tenant_count * span, dtype=np.int64)
    np.add.at(demand, cell, scaled)
    has_rows = np.zeros(tenant_count * span, dtype=np.bool_)
    has_rows[cell] = True
    return demand.reshape(tenant_count, span), has_rows.reshape(tenant_count, span)


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
