"""Numba VEE kernel: validation rules and estimation for many meter series at once, parallel over series.

Layout. Readings of series `s` are `ts_us[series_offsets[s]:series_offsets[s+1]]` (interval starts, UTC
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
from numba import njit, prange

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
        received = np.zeros(n, np.int32)
        _place_readings(ts_us, energy_wh, series_offsets[s], series_offsets[s + 1], start_us[s], interval_us[s],
                        params[s], value, flags, source, received, counts[s])
        _grid_rules(value, flags, params[s], counts[s])
        _day_counts(received, start_us[s], interval_us[s], day_start_us, counts[s])
        _estimate(value, flags, params[s], counts[s])


@njit(nogil=True, cache=True, inline="always")
def _place_readings(ts_us, energy_wh, lo, hi, start_us, interval_us, param, value, flags, source, received,
                    count):
    n = value.shape[0]
    value[:] = 0
    flags[:] = 0
    source[:] = -1
    one_way = param[PARAM_ONE_WAY] != 0
    capacity_wh = param[PARAM_CAPACITY_WH]
    expected_us = start_us - interval_us
    k = -1
    for i in range(lo, hi):
        t = ts_us[i]
        v = energy_wh[i]
        # Sorted input takes the cheap branch; a division only when the series jumps.
        if t == expected_us + interval_us:
            k += 1
        else:
            offset_us = t - start_us
            if offset_us < 0 or offset_us % interval_us != 0 or offset_us // interval_us >= n:
                count[RULE_MISALIGNED] += 1
                continue
            k = offset_us // interval_us
        expected_us = t
        if k >= n:
            count[RULE_MISALIGNED] += 1
            continue
        received[k] += 1
        if flags[k] & FLAG_PRESENT:
            if value[k] == v:
                count[RULE_DUPLICATE_IDENTICAL] += 1
                flags[k] |= FLAG_DUPLICATE
            else:
                count[RULE_DUPLICATE_CONFLICTING] += 1
                flags[k] |= FLAG_CONFLICT
        else:
            value[k] = v
            source[k] = i
            flags[k] |= FLAG_PRESENT
        if one_way and v < 0:
            count[RULE_NEGATIVE] += 1
            flags[k] |= FLAG_NEGATIVE
        if capacity_wh >= 0 and v > capacity_wh:
            count[RULE_OVER_CAPACITY] += 1
            flags[k] |= FLAG_OVER_CAPACITY


@njit(nogil=True, cache=True, inline="always")
def _is_valid(flag):
    return (flag & FLAG_PRESENT) != 0 and (flag & FLAGS_INVALID) == 0


@njit(nogil=True, cache=True, inline="always")
def _median5(a, b, c, d, e):
    # A fixed compare-exchange network: no allocation, no data-dependent loop.
    if a > b:
        a, b = b, a
    if d > e:
        d, e = e, d
    if c > e:
        c, e = e, c
    if c > d:
        c, d = d, c
    if a > d:
        a, d = d, a
    if a > c:
        a, c = c, a
    if b > e:
        b, e = e, b
    if b > d:
        b, d = d, b
    if b > c:
        b, c = c, b
    return c


@njit(nogil=True, cache=True)
def _grid_rules(value, flags, param, count):
    n = value.shape[0]
    ratio_permille = param[PARAM_SPIKE_RATIO_PERMILLE]
    floor_milli_wh = param[PARAM_SPIKE_FLOOR_WH] * 1000
    for k in range(n):
        flag = flags[k]
        if (flag & FLAG_PRESENT) == 0:
            count[RULE_MISSING] += 1
            continue
        if k < 2 or k > n - 3 or not _is_valid(flag):
            continue
        if not (_is_valid(flags[k - 2]) and _is_valid(flags[k - 1]) and _is_valid(flags[k + 1])
                and _is_valid(flags[k + 2])):
            continue
        median = _median5(value[k - 2], value[k - 1], value[k], value[k + 1], value[k + 2])
        if abs(value[k] - median) * 1000 > ratio_permille * abs(median) + floor_milli_wh:
            flags[k] |= FLAG_SPIKE
            count[RULE_SPIKE] += 1
    _runs(value, flags, param, count)


@njit(nogil=True, cache=True)
def _runs(value, flags, param, count):
    """Flat-line and zero runs over consecutive valid slots."""
    n = value.shape[0]
    flat_min = param[PARAM_FLAT_RUN_MIN]
    zero_min = param[PARAM_ZERO_RUN_MIN]
    never_idle = param[PARAM_NEVER_IDLE] != 0
    run_start = 0
    for k in range(n + 1):
        continues = (k < n and k > run_start and _is_valid(flags[run_start]) and _is_valid(flags[k])
                     and value[k] == value[run_start])
        if continues:
            continue
        if k > run_start and _is_valid(flags[run_start]):
            length = k - run_start
            run_value = value[run_start]
            if run_value != 0 and length >= flat_min:
                _mark(flags, run_start, k, FLAG_FLAT_LINE)
                count[RULE_FLAT_LINE] += length
            elif run_value == 0 and never_idle and length >= zero_min:
                _mark(flags, run_start, k, FLAG_ZERO_RUN)
                count[RULE_ZERO_RUN] += length
        run_start = k


@njit(nogil=True, cache=True, inline="always")
def _mark(flags, lo, hi, bit):
    for k in range(lo, hi):
        flags[k] |= bit


@njit(nogil=True, cache=True)
def _day_counts(received, start_us, interval_us, day_start_us, count):
    n = received.shape[0]
    for d in range(day_start_us.shape[0] - 1):
        lo = _ceil_slot(day_start_us[d] - start_us, interval_us, n)
        hi = _ceil_slot(day_start_us[d + 1] - start_us, interval_us, n)
        if hi <= lo:
            continue
        total = 0
        for k in range(lo, hi):
            total += received[k]
        if total != hi - lo:
            count[RULE_INTERVAL_COUNT_DAY] += 1


@njit(nogil=True, cache=True, inline="always")
def _ceil_slot(offset_us, interval_us, n):
    if offset_us <= 0:
        return 0
    k = (offset_us + interval_us - 1) // interval_us
    return min(k, n)


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
