"""Numba VEE kernel: validation rules and estimation for many meter series at once, parallel over series.

Layout. `out_source` (int32) holds, per slot, the index of the reading that filled it relative to the
series' first reading (-1 for none): four bytes instead of eight per interval written. Readings of series
`s` are `ts_us[series_offsets[s]:series_offsets[s+1]]` (interval starts, UTC
microseconds) with `energy_wh` alongside, in any order. The series' grid of expected intervals is
`slot_offsets[s]:slot_offsets[s+1]` in the output arrays, slot k starting at
`start_us[s] + k * interval_us[s]`. Readings are read from memory once, in blocks (an in-order block is
copied with vector instructions); the later steps walk the series' grid, which is small enough to stay in
cache, each as its own loop (spikes, day counts and the valid mask vectorize; runs and estimation look only
where something can be flagged), so the whole kernel is one pass over the input.

Rules (counts per series in `counts[s, RULE_*]`, per-slot bits in `out_flags`):
- misaligned: a reading whose start is not on the grid (or outside it); it is left out.
- duplicate_identical / duplicate_conflicting: a further reading for a filled slot, equal to / different
  from the first reading's value. A conflicting slot is invalid.
- negative: a reading below zero on a one-way channel (slot invalid).
- over_capacity: a reading above the meter's capacity per interval (slot invalid).
- missing: a slot no reading fills.
- spike: a valid slot k with valid slots k-2..k+2 whose |value - median of the five| * 1000 exceeds
  spike_ratio_permille * |median| + spike_floor_wh * 1000. Suspect, value kept.
- flat_line: a run of at least flat_run_min equal non-zero values over consecutive valid slots. Suspect.
- zero_run: on never-idle meters, a run of at least zero_run_min zeros. Suspect.
- interval_count_day: a local day (bounds in `day_start_us`) whose aligned reading count, duplicates
  included, differs from its slot count (92 or 100 quarter-hours on DST change days).
Estimation of invalid and missing slots, per run of such slots [a, b):
- linear: when b - a <= interp_gap_max and both neighbours exist: left + (right - left) * i // (len + 1).
- like_day: otherwise the floor mean of the first two valid slots found at k -/+ d days, d = 1..days_max.
- unestimated: nothing found; value 0 and flagged.
"""


from __future__ import annotations

import numpy as np
from numba import njit, prange, set_parallel_chunksize

from meterdata.vee_codes import *  # re-exported: readers use kernels.FLAG_*, kernels.RULE_*, ...
from meterdata.vee_codes import RULE_SPIKE
from meterdata.vee_place import _day_counts, _day_slot_bounds, _place_readings
from meterdata.vee_rules import _clear_spikes, _estimate, _flag_runs, _flag_spikes, run_marks_for, valid_mask

SERIES_PER_CHUNK = 8


@njit(nogil=True, parallel=True, cache=True)
def vee_kernel(ts_us, energy_wh, series_offsets, slot_offsets, start_us, interval_us, params, day_start_us,
               out_value, out_flags, out_source, counts):
    """Validate and estimate every series; fills the out_* grids and `counts` (int64[S, COUNT_COLUMNS])."""
    for s in prange(series_offsets.shape[0] - 1):
        base = slot_offsets[s]
        n = slot_offsets[s + 1] - base
        value = out_value[base:base + n]
        flags = out_flags[base:base + n]
        source = out_source[base:base + n]
        day_lo = _day_slot_bounds(start_us[s], interval_us[s], day_start_us, n)
        day_received = np.zeros(day_lo.shape[0], np.int64)
        valid = valid_mask(n)
        run_marks = run_marks_for(n)
        spike_next, spikes, stale = _place_readings(
            ts_us, energy_wh, series_offsets[s], series_offsets[s + 1], start_us[s], interval_us[s], params[s],
            value, flags, source, valid, run_marks, day_lo, day_received, counts[s])
        _day_counts(day_lo, day_received, flags, counts[s])
        if stale:
            # A reading changed a window placement had already checked: check every centre again.
            _clear_spikes(flags)
            _flag_spikes(value, flags, valid, run_marks, params[s], counts[s], 0)
        else:
            counts[s, RULE_SPIKE] += spikes
            _flag_spikes(value, flags, valid, run_marks, params[s], counts[s], spike_next)
        _flag_runs(value, flags, valid, run_marks, params[s], counts[s])
        _estimate(value, flags, valid, params[s], counts[s])


def validate_series(ts_us, energy_wh, series_offsets, slot_offsets, start_us, interval_us, params, day_start_us,
                    out_value, out_flags, out_source, counts) -> None:
    """`vee_kernel` with series handed to threads in small chunks: when one thread is descheduled on a
    shared machine, the others take its remaining series instead of waiting for it."""
    previous_chunk_size = set_parallel_chunksize(SERIES_PER_CHUNK)
    try:
        vee_kernel(ts_us, energy_wh, series_offsets, slot_offsets, start_us, interval_us, params, day_start_us,
                   out_value, out_flags, out_source, counts)
    finally:
        set_parallel_chunksize(previous_chunk_size)
