"""Manual edits: a person replaces one interval's value, with their name and a reason.

Edits are applied after estimation, so they win over any estimate; the slot is flagged QUALITY_EDITED
and the exceptions file keeps the value it replaced, the editor and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from meterdata import kernels as k
from meterdata.grid import FLAG_EDITED, GridPlan
from meterdata.readings import micros_from_datetime


@dataclass(frozen=True)
class ManualEdit:
    meter_id: str
    channel: str
    interval_start_utc: datetime
    energy_wh: int
    edited_by: str
    reason: str
    edit_id: int = 0


def apply_edits(
    edits: Sequence[ManualEdit], keys: list[tuple[str, str]], plan: GridPlan, value: np.ndarray, flags: np.ndarray,
) -> dict[int, str]:
    """Overwrite edited slots in place (in `edit_id` order, so the latest wins); returns slot -> note."""
    series_by_key = {key: index for index, key in enumerate(keys)}
    notes: dict[int, str] = {}
    for edit in sorted(edits, key=lambda e: e.edit_id):
        series = series_by_key.get((edit.meter_id, edit.channel))
        if series is None:
            continue
        offset_us = micros_from_datetime(edit.interval_start_utc) - int(plan.start_us[series])
        interval_us = int(plan.interval_us[series])
        slot_count = int(plan.slot_offsets[series + 1] - plan.slot_offsets[series])
        if offset_us < 0 or offset_us % interval_us != 0 or offset_us // interval_us >= slot_count:
            continue
        slot = int(plan.slot_offsets[series]) + offset_us // interval_us
        value[slot] = edit.energy_wh
        flags[slot] |= FLAG_EDITED
        notes[slot] = f"edit {edit.edit_id} by {edit.edited_by}: {edit.reason}"
    return notes


assert FLAG_EDITED > k.FLAG_UNESTIMATED, "edit flag must not collide with kernel flags"
