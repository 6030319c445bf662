"""The exceptions file: every interval a rule flagged or estimation filled, with raw value, method, reason.

This is where the raw value of an estimated interval is kept next to the value that replaced it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meterdata import kernels as k
from meterdata.grid import FLAG_EDITED, GridPlan

EXCEPTION_SCHEMA = pa.schema(
    [
        pa.field("meter_id", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("interval_start_utc", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("rules", pa.string(), nullable=False),
        pa.field("flags", pa.uint16(), nullable=False),
        pa.field("raw_energy_wh", pa.int64(), nullable=True),
        pa.field("energy_wh", pa.int64(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=True),
        pa.field("source_row", pa.int32(), nullable=True),
        pa.field("note", pa.string(), nullable=True),
    ]
)

REASON_BY_FLAG = (
    (k.FLAG_CONFLICT, "duplicate_conflicting"),
    (k.FLAG_DUPLICATE, "duplicate"),
    (k.FLAG_NEGATIVE, "negative"),
    (k.FLAG_OVER_CAPACITY, "over_capacity"),
    (k.FLAG_SPIKE, "spike"),
    (k.FLAG_FLAT_LINE, "flat_line"),
    (k.FLAG_ZERO_RUN, "zero_run"),
)


def reasons(flag: int) -> str:
    names = [] if flag & k.FLAG_PRESENT else ["missing"]
    names += [name for bit, name in REASON_BY_FLAG if flag & bit]
    if flag & FLAG_EDITED:
        names.append("manual_edit")
    return ",".join(names)


def method(flag: int) -> str:
    if flag & FLAG_EDITED:
        return "manual"
    if flag & k.FLAG_ESTIMATED_LINEAR:
        return "linear"
    if flag & k.FLAG_ESTIMATED_LIKE_DAY:
        return "like_day"
    if flag & k.FLAG_UNESTIMATED:
        return "none"
    return ""


def exceptions_table(
    keys: list[tuple[str, str]], plan: GridPlan, source_table: pa.Table, value: np.ndarray, flags: np.ndarray,
    source_rows: np.ndarray, notes: dict[int, str] | None = None,
) -> pa.Table:
    slots = np.flatnonzero(flags != k.FLAG_PRESENT)
    series = np.searchsorted(plan.slot_offsets, slots, side="right") - 1
    start_us = plan.start_us[series] + (slots - plan.slot_offsets[series]) * plan.interval_us[series]
    rows = source_rows[slots]
    has_raw = rows >= 0
    take = pa.array(np.where(has_raw, rows, 0))
    mask = pa.array(~has_raw)
    slot_flags = flags[slots]
    distinct = {int(f): (reasons(int(f)), method(int(f))) for f in np.unique(slot_flags)}
    arrays = [
        pa.array([keys[s][0] for s in series], pa.string()),
        pa.array([keys[s][1] for s in series], pa.string()),
        pa.array(start_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        pa.array([distinct[int(f)][0] for f in slot_flags], pa.string()),
        pa.array(slot_flags, pa.uint16()),
        pc.if_else(mask, pa.scalar(None, pa.int64()), source_table["energy_wh"].take(take)),
        pa.array(value[slots], pa.int64()),
        pa.array([distinct[int(f)][1] for f in slot_flags], pa.string()),
        pc.if_else(mask, pa.scalar(None, pa.string()), source_table["source_sha256"].take(take).cast(pa.string())),
        pc.if_else(mask, pa.scalar(None, pa.int32()), source_table["source_row"].take(take)),
        pa.array([(notes or {}).get(int(slot)) for slot in slots], pa.string()),
    ]
    return pa.Table.from_arrays(arrays, schema=EXCEPTION_SCHEMA)
