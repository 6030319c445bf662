"""Numba VEE kernel: validation rules and estimation for many meter series at once, parallel over series.

Layout. `out_source` (int32) holds, per slot, the index of the reading that filled it relative to the
series' first reading (-1 for none): four bytes instead of eight per interval written. Readings of series `s` are `ts_us[series_offsets[s]:series_offsets[s+1]]` (interval starts, UTC
microseconds) with `energy_wh` alongside, in any order. The series' grid of expected intervals is
`slot_offsets[s]:slot_offsets[s+1]` in the output arrays, slot k starting at
`start_us[s] + k * interval_us[s]`. Readings are read from memory once; the later steps walk the series'
grid, which is small enough to stay in cache, so the whole kernel is one pass over the input.

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

RULE_MISSING = 0
RULE_DUPLICATE_IDENTICAL = 1
RULE_DUPLICATE_CONFLICTING = 2
RULE_NEGATIVE = 3
RULE_OVER_CAPACITY = 4
RULE_SPIKE = 5
RULE_FLAT_LINE = 6
RULE_ZERO_RUN = 7
RULE_MISALIGNED = 8
RULE_INTERVAL_COUNT_DAY = 9
COUNT_ESTIMATED_LINEAR = 10
COUNT_ESTIMATED_LIKE_DAY = 11
COUNT_UNESTIMATED = 12
COUNT_COLUMNS = 13

RULE_NAMES = (
    "missing", "duplicate_identical", "duplicate_conflicting", "negative", "over_capacity", "spike",
    "flat_line", "zero_run", "misaligned", "interval_count_day",
)

FLAG_PRESENT = 1
FLAG_DUPLICATE = 2
FLAG_CONFLICT = 4
FLAG_NEGATIVE = 8
FLAG_OVER_CAPACITY = 16
FLAG_SPIKE = 32
FLAG_FLAT_LINE = 64
FLAG_ZERO_RUN = 128
FLAG_ESTIMATED_LINEAR = 256
FLAG_ESTIMATED_LIKE_DAY = 512
FLAG_UNESTIMATED = 1024
FLAGS_INVALID = FLAG_CONFLICT | FLAG_NEGATIVE | FLAG_OVER_CAPACITY
FLAGS_SUSPECT = FLAG_SPIKE | FLAG_FLAT_LINE | FLAG_ZERO_RUN

PARAM_ONE_WAY = 0
PARAM_CAPACITY_WH = 1
PARAM_SPIKE_RATIO_PERMILLE = 2
PARAM_SPIKE_FLOOR_WH = 3
PARAM_FLAT_RUN_MIN = 4
PARAM_NEVER_IDLE = 5
PARAM_ZERO_RUN_MIN = 6
PARAM_INTERP_GAP_MAX = 7
PARAM_LIKE_DAY_DAYS_MAX = 8
PARAM_SLOTS_PER_DAY = 9
PARAM_COLUMNS = 10
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
        _place_readings(ts_us, energy_wh, series_offsets[s], series_offsets[s + 1], start_us[s], interval_us[s],
                        params[s], value, flags, source, day_lo, day_received, counts[s])
        _day_counts(day_lo, day_received, flags, counts[s])
        _scan_grid(value, flags, source, params[s], counts[s])
        _estimate(value, flags, params[s], counts[s])


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


@njit(nogil=True, cache=True)
def _day_slot_bounds(start_us, interval_us, day_start_us, n):
    """First slot of each local day, clipped to [0, n]."""
    bounds = np.empty(day_start_us.shape[0], np.int64)
    for d in range(day_start_us.shape[0]):
        bounds[d] = _ceil_slot(day_start_us[d] - start_us, interval_us, n)
    return bounds


@njit(nogil=True, cache=True, inline="always")
def _ceil_slot(offset_us, interval_us, n):
    if offset_us <= 0:
        return 0
    k = (offset_us + interval_us - 1) // interval_us
    return min(k, n)


@njit(nogil=True, cache=True)
def _place_readings(ts_us, energy_wh, lo, hi, start_us, interval_us, param, value, flags, source, day_lo,
                    day_received, count):
    n = value.shape[0]
    one_way = param[PARAM_ONE_WAY] != 0
    capacity_wh = param[PARAM_CAPACITY_WH]
    if capacity_wh < 0:
        capacity_wh = np.iinfo(np.int64).max
    negative_wh_max = -1 if one_way else np.iinfo(np.int64).min
    last_day = day_lo.shape[0] - 1
    expected_us = start_us - interval_us
    k = -1
    # Slots above `initialized` have not been written yet: a reading there needs no look at old flags, and
    # the slots it skips are gaps. So the grid is cleared as readings pass, not in a separate pass.
    initialized = -1
    for i in range(lo, hi):
        t = ts_us[i]
        v = energy_wh[i]
        # Sorted input takes the cheap branch; a division only when the series jumps.
        if t == expected_us + interval_us and k + 1 < n:
            k += 1
        else:
            offset_us = t - start_us
            if offset_us < 0 or offset_us % interval_us != 0 or offset_us // interval_us >= n:
                count[RULE_MISALIGNED] += 1
                continue
            k = offset_us // interval_us
        expected_us = t
        if k > initialized:
            _clear_gap(value, flags, source, initialized + 1, k)
            initialized = k
            flag = FLAG_PRESENT
            value[k] = v
            source[k] = i - lo
        else:
            flag = _place_again(flags[k], value, source, k, v, i - lo, day_lo, day_received, last_day, count)
        if v <= negative_wh_max:
            count[RULE_NEGATIVE] += 1
            flag |= FLAG_NEGATIVE
        if v > capacity_wh:
            count[RULE_OVER_CAPACITY] += 1
            flag |= FLAG_OVER_CAPACITY
        flags[k] = flag
    _clear_gap(value, flags, source, initialized + 1, n)


@njit(nogil=True, cache=True, inline="always")
def _clear_gap(value, flags, source, lo, hi):
    for j in range(lo, hi):
        value[j] = 0
        flags[j] = 0
        source[j] = -1


@njit(nogil=True, cache=True)
def _place_again(flag, value, source, k, v, offset, day_lo, day_received, last_day, count):
    """A reading for a slot already written: a gap filled out of order, or a duplicate."""
    if (flag & FLAG_PRESENT) == 0:
        value[k] = v
        source[k] = offset
        return flag | FLAG_PRESENT
    # Per-day reading counts are filled slots (counted in _day_counts) plus these extra readings.
    d = np.searchsorted(day_lo, k, side="right") - 1
    if 0 <= d < last_day:
        day_received[d] += 1
    if value[k] == v:
        count[RULE_DUPLICATE_IDENTICAL] += 1
        return flag | FLAG_DUPLICATE
    count[RULE_DUPLICATE_CONFLICTING] += 1
    return flag | FLAG_CONFLICT


@njit(nogil=True, cache=True)
def _day_counts(day_lo, day_received, flags, count):
    """A day's aligned readings = its filled slots + the extra (duplicate) readings counted on placement."""
    for d in range(day_lo.shape[0] - 1):
        received = day_received[d]
        for j in range(day_lo[d], day_lo[d + 1]):
            received += flags[j] & FLAG_PRESENT
        expected = day_lo[d + 1] - day_lo[d]
        if expected > 0 and received != expected:
            count[RULE_INTERVAL_COUNT_DAY] += 1


@njit(nogil=True, cache=True, inline="always")
def _is_valid(flag):
    return (flag & (FLAG_PRESENT | FLAGS_INVALID)) == FLAG_PRESENT


@njit(nogil=True, cache=True, inline="always")
def _median5(a, b, c, d, e):
    # Branch-free: min/max compile to conditional moves, so noisy data costs no mispredictions.
    f = max(min(a, b), min(c, d))
    g = min(max(a, b), max(c, d))
    return _median3(e, f, g)


@njit(nogil=True, cache=True, inline="always")
def _median3(a, b, c):
    return max(min(a, b), min(max(a, b), c))


@njit(nogil=True, cache=True)
def _scan_grid(value, flags, source, param, count):
    """One walk over the grid: missing, spikes (window ends at j, centre j - 2), flat-line and zero runs."""
    n = value.shape[0]
    ratio_permille = param[PARAM_SPIKE_RATIO_PERMILLE]
    floor_milli_wh = param[PARAM_SPIKE_FLOOR_WH] * 1000
    flat_min = param[PARAM_FLAT_RUN_MIN]
    zero_min = param[PARAM_ZERO_RUN_MIN]
    never_idle = param[PARAM_NEVER_IDLE] != 0
    valid_streak = 0
    run_start = 0
    run_value = 0
    missing = 0
    # The last five values ride in registers (w0 oldest .. w4 = value[j]); no reloads per slot.
    w0 = w1 = w2 = w3 = w4 = 0
    for j in range(n):
        flag = flags[j]
        valid = _is_valid(flag)
        missing += (flag & FLAG_PRESENT) == 0
        w0, w1, w2, w3, w4 = w1, w2, w3, w4, value[j]
        valid_streak = valid_streak + 1 if valid else 0
        if valid_streak >= 5:
            median = _median5(w0, w1, w2, w3, w4)
            if abs(w2 - median) * 1000 > ratio_permille * abs(median) + floor_milli_wh:
                flags[j - 2] |= FLAG_SPIKE
                count[RULE_SPIKE] += 1
        # A run continues while slots stay valid and equal; otherwise close it and start at j.
        if valid and valid_streak > 1 and w4 == run_value:
            continue
        _close_run(value, flags, run_start, j, flat_min, zero_min, never_idle, count)
        run_start = j
        run_value = w4
    _close_run(value, flags, run_start, n, flat_min, zero_min, never_idle, count)
    count[RULE_MISSING] += missing


@njit(nogil=True, cache=True, inline="always")
def _close_run(value, flags, run_start, run_end, flat_min, zero_min, never_idle, count):
    length = run_end - run_start
    if length <= 1 or not _is_valid(flags[run_start]):
        return
    run_value = value[run_start]
    if run_value != 0 and length >= flat_min:
        _mark(flags, run_start, run_end, FLAG_FLAT_LINE)
        count[RULE_FLAT_LINE] += length
    elif run_value == 0 and never_idle and length >= zero_min:
        _mark(flags, run_start, run_end, FLAG_ZERO_RUN)
        count[RULE_ZERO_RUN] += length


@njit(nogil=True, cache=True, inline="always")
def _mark(flags, lo, hi, bit):
    for k in range(lo, hi):
        flags[k] |= bit


@njit(nogil=True, cache=True)
def _estimate(value, flags, param, count):
    n = value.shape[0]
    gap_max = param[PARAM_INTERP_GAP_MAX]
    k = 0
    while k < n:
        if _is_valid(flags[k]):
            k += 1
            continue
        a = k
        while k < n and not _is_valid(flags[k]):
            k += 1
        b = k
        length = b - a
        if length <= gap_max and a > 0 and b < n:
            left = value[a - 1]
            right = value[b]
            for j in range(a, b):
                value[j] = left + (right - left) * (j - a + 1) // (length + 1)
                flags[j] |= FLAG_ESTIMATED_LINEAR
            count[COUNT_ESTIMATED_LINEAR] += length
        else:
            for j in range(a, b):
                _like_day(value, flags, j, param, count)


@njit(nogil=True, cache=True)
def _like_day(value, flags, k, param, count):
    n = value.shape[0]
    slots_per_day = param[PARAM_SLOTS_PER_DAY]
    total = 0
    found = 0
    for d in range(1, param[PARAM_LIKE_DAY_DAYS_MAX] + 1):
        for sign in (-1, 1):
            j = k + sign * d * slots_per_day
            if found < 2 and 0 <= j < n and _is_valid(flags[j]):
                total += value[j]
                found += 1
    if found == 0:
        value[k] = 0
        flags[k] |= FLAG_UNESTIMATED
        count[COUNT_UNESTIMATED] += 1
    else:
        value[k] = total // found
        flags[k] |= FLAG_ESTIMATED_LIKE_DAY
        count[COUNT_ESTIMATED_LIKE_DAY] += 1
