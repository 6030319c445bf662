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


READINGS_PER_BLOCK = 64
READINGS_PER_STEP_IRREGULAR = 8
SLOTS_PER_SKIP = 64


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
        valid = _valid_slots(flags)
        _day_counts(day_lo, day_received, flags, counts[s])
        _flag_spikes(value, flags, valid, params[s], counts[s])
        _flag_runs(value, flags, valid, params[s], counts[s])
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
    """Readings go in blocks. A block whose stamps are consecutive slots above every slot written so far (the
    usual case) is copied without per-reading branches, so the compiler vectorizes it; any other block goes
    reading by reading (`_place_each`). Both leave the grid the one-by-one placement would.

    Hot loops index with unsigned integers and call no function taking arrays: a signed index gets a
    wraparound check (which turns vector loads into gathers), and passing an array costs two atomic
    reference-count updates per call."""
    n = value.shape[0]
    capacity_wh = param[PARAM_CAPACITY_WH]
    if capacity_wh < 0:
        capacity_wh = np.iinfo(np.int64).max
    negative_wh_max = -1 if param[PARAM_ONE_WAY] != 0 else np.iinfo(np.int64).min
    # Slots above `initialized` have not been written yet: a reading there needs no look at old flags, and
    # the slots it skips are gaps. So the grid is cleared as readings pass, not in a separate pass.
    initialized = -1
    k = -1
    expected_us = start_us - interval_us
    negatives = 0
    overs = 0
    i = lo
    while i < hi:
        m = min(READINGS_PER_BLOCK, hi - i)
        t_first = ts_us[i]
        if t_first == expected_us + interval_us and k == initialized and k + m < n:
            k_first = k + 1  # the block continues the previous one: no division
        else:
            k_first = _block_first_slot(t_first - start_us, interval_us, m, n, initialized)
        mismatch = 0 if k_first >= 0 else 1
        for q in range(m if k_first >= 0 else 0):
            mismatch |= ts_us[np.uint64(i + q)] ^ (t_first + q * interval_us)
        if mismatch != 0:
            # A few readings one by one, then try a block again: a fault costs a step, not a whole block.
            step = min(READINGS_PER_STEP_IRREGULAR, hi - i)
            k, expected_us, initialized = _place_each(
                ts_us, energy_wh, i, i + step, lo, start_us, interval_us, negative_wh_max, capacity_wh, value,
                flags, source, k, expected_us, initialized, day_lo, day_received, count)
            i += step
            continue
        for j in range(initialized + 1, k_first):
            value[np.uint64(j)] = 0
            flags[np.uint64(j)] = 0
            source[np.uint64(j)] = -1
        for q in range(m):
            v = energy_wh[np.uint64(i + q)]
            negative = np.int64(v <= negative_wh_max)
            over = np.int64(v > capacity_wh)
            slot = np.uint64(k_first + q)
            value[slot] = v
            source[slot] = i - lo + q
            flags[slot] = FLAG_PRESENT + FLAG_NEGATIVE * negative + FLAG_OVER_CAPACITY * over
            negatives += negative
            overs += over
        initialized = k = k_first + m - 1
        expected_us = ts_us[i + m - 1]
        i += m
    count[RULE_NEGATIVE] += negatives
    count[RULE_OVER_CAPACITY] += overs
    for j in range(initialized + 1, n):
        value[np.uint64(j)] = 0
        flags[np.uint64(j)] = 0
        source[np.uint64(j)] = -1


@njit(nogil=True, cache=True, inline="always")
def _block_first_slot(offset_us, interval_us, m, n, initialized):
    """The slot of a block's first reading if the block could fill m new slots (stamps still to check), else -1."""
    if offset_us < 0 or offset_us % interval_us != 0:
        return -1
    k_first = offset_us // interval_us
    if k_first <= initialized or k_first + m > n:
        return -1
    return k_first


@njit(nogil=True, cache=True)
def _place_each(ts_us, energy_wh, i_lo, i_hi, lo, start_us, interval_us, negative_wh_max, capacity_wh, value, flags,
                source, k, expected_us, initialized, day_lo, day_received, count):
    """Readings i_lo..i_hi-1 one by one, in any order; returns the placement state (k, expected_us, initialized)."""
    n = value.shape[0]
    last_day = day_lo.shape[0] - 1
    for i in range(i_lo, i_hi):
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
            for j in range(initialized + 1, k):
                value[np.uint64(j)] = 0
                flags[np.uint64(j)] = 0
                source[np.uint64(j)] = -1
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
    return k, expected_us, initialized


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


@njit(nogil=True, cache=True, inline="always")
def _is_valid(flag):
    return (flag & (FLAG_PRESENT | FLAGS_INVALID)) == FLAG_PRESENT


@njit(nogil=True, cache=True)
def _valid_slots(flags):
    """1 where a slot holds a reading that no rule made invalid (before estimation), else 0."""
    valid = np.empty(flags.shape[0], np.uint8)
    for j in range(flags.shape[0]):
        valid[j] = _is_valid(flags[j])
    return valid


@njit(nogil=True, cache=True)
def _day_counts(day_lo, day_received, flags, count):
    """A day's aligned readings = its filled slots + the extra (duplicate) readings counted on placement.
    Missing slots are the grid's slots minus all filled ones; segment -1 is before the first day, segment
    day_count after the last."""
    n = flags.shape[0]
    day_count = day_lo.shape[0] - 1
    present_total = 0
    for d in range(-1, day_count + 1):
        segment_lo = 0 if d < 0 else day_lo[d]
        segment_hi = n if d >= day_count else day_lo[d + 1]
        present = 0
        for j in range(segment_lo, segment_hi):
            present += np.int64(flags[np.uint64(j)] & FLAG_PRESENT)
        present_total += present
        expected = segment_hi - segment_lo
        if 0 <= d < day_count and expected > 0 and present + day_received[d] != expected:
            count[RULE_INTERVAL_COUNT_DAY] += 1
    count[RULE_MISSING] += n - present_total


@njit(nogil=True, cache=True, inline="always")
def _median5(a, b, c, d, e):
    # Branch-free: min/max compile to conditional moves (or vector min/max), so noisy data costs nothing.
    f = max(min(a, b), min(c, d))
    g = min(max(a, b), max(c, d))
    return _median3(e, f, g)


@njit(nogil=True, cache=True, inline="always")
def _median3(a, b, c):
    return max(min(a, b), min(max(a, b), c))


@njit(nogil=True, cache=True)
def _flag_spikes(value, flags, valid, param, count):
    """Slot c is a spike when slots c-2..c+2 are valid and value[c] strays from their median (see module doc).
    No state carries from one slot to the next, so the loop runs on vector instructions. It walks shifted
    views from index 0 up: indexes that are provably non-negative need no wraparound check, which would
    otherwise turn every load into a gather."""
    n = value.shape[0]
    if n < 5:
        return
    ratio_permille = param[PARAM_SPIKE_RATIO_PERMILLE]
    floor_milli_wh = param[PARAM_SPIKE_FLOOR_WH] * 1000
    m = n - 4
    v0, v1, v2, v3, v4 = value[0:m], value[1:m + 1], value[2:m + 2], value[3:m + 3], value[4:m + 4]
    ok0, ok1, ok2, ok3, ok4 = valid[0:m], valid[1:m + 1], valid[2:m + 2], valid[3:m + 3], valid[4:m + 4]
    centre_flags = flags[2:m + 2]
    spikes = 0
    for j in range(m):
        window_valid = np.int64(ok0[j] & ok1[j] & ok2[j] & ok3[j] & ok4[j])
        median = _median5(v0[j], v1[j], v2[j], v3[j], v4[j])
        far = np.int64(abs(v2[j] - median) * 1000 > ratio_permille * abs(median) + floor_milli_wh)
        hit = window_valid & far
        centre_flags[j] |= np.uint16(FLAG_SPIKE * hit)
        spikes += hit
    count[RULE_SPIKE] += spikes


@njit(nogil=True, cache=True)
def _flag_runs(value, flags, valid, param, count):
    """Flat-line and zero runs: maximal runs of equal values over consecutive valid slots.

    Only runs of at least `length_min` slots can be flagged, and such a run joins slot j to slot j-1 for at
    least length_min - 1 consecutive j, one of which is a multiple of `step`: so only every step-th slot is
    looked at, and a run is walked out from there."""
    n = value.shape[0]
    flat_min = param[PARAM_FLAT_RUN_MIN]
    zero_min = param[PARAM_ZERO_RUN_MIN]
    never_idle = param[PARAM_NEVER_IDLE] != 0
    length_min = min(flat_min, zero_min) if never_idle else flat_min
    step = max(length_min, 2) - 1
    covered = 0
    for j in range(step, n, step):
        if j < covered or not _joins(valid[j - 1], valid[j], value[j - 1], value[j]):
            continue
        run_start = j - 1
        while run_start > 0 and _joins(valid[run_start - 1], valid[run_start], value[run_start - 1], value[run_start]):
            run_start -= 1
        run_end = j + 1
        while run_end < n and _joins(valid[run_end - 1], valid[run_end], value[run_end - 1], value[run_end]):
            run_end += 1
        _close_run(value, flags, run_start, run_end, flat_min, zero_min, never_idle, count)
        covered = run_end


@njit(nogil=True, cache=True, inline="always")
def _joins(valid_previous, valid_current, value_previous, value_current):
    return valid_previous != 0 and valid_current != 0 and value_previous == value_current


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
def _estimate(value, flags, valid, param, count):
    n = value.shape[0]
    gap_max = param[PARAM_INTERP_GAP_MAX]
    k = 0
    while k < n:
        if valid[k]:
            # Invalid slots are rare: skip whole aligned blocks that hold none.
            if k % SLOTS_PER_SKIP == 0 and k + SLOTS_PER_SKIP <= n and _all_valid(valid, k, k + SLOTS_PER_SKIP):
                k += SLOTS_PER_SKIP
            else:
                k += 1
            continue
        a = k
        while k < n and not valid[k]:
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
                _like_day(value, flags, valid, j, param, count)


@njit(nogil=True, cache=True)
def _all_valid(valid, lo, hi):
    block = valid[lo:hi]
    every = np.uint8(1)
    for j in range(block.shape[0]):
        every &= block[j]
    return every != 0


@njit(nogil=True, cache=True)
def _like_day(value, flags, valid, k, param, count):
    n = value.shape[0]
    slots_per_day = param[PARAM_SLOTS_PER_DAY]
    total = 0
    found = 0
    for d in range(1, param[PARAM_LIKE_DAY_DAYS_MAX] + 1):
        for sign in (-1, 1):
            j = k + sign * d * slots_per_day
            if found < 2 and 0 <= j < n and valid[j] != 0:
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
