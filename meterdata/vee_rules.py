"""VEE kernel, later steps: rules over a series' placed grid (spikes, runs) and estimation."""

from __future__ import annotations

import numpy as np
from numba import njit

from meterdata.vee_codes import (
    COUNT_ESTIMATED_LIKE_DAY,
    COUNT_ESTIMATED_LINEAR,
    COUNT_UNESTIMATED,
    FLAG_ESTIMATED_LIKE_DAY,
    FLAG_ESTIMATED_LINEAR,
    FLAG_FLAT_LINE,
    FLAG_PRESENT,
    FLAG_SPIKE,
    FLAG_UNESTIMATED,
    FLAG_ZERO_RUN,
    FLAGS_INVALID,
    PARAM_FLAT_RUN_MIN,
    PARAM_INTERP_GAP_MAX,
    PARAM_LIKE_DAY_DAYS_MAX,
    PARAM_NEVER_IDLE,
    PARAM_SLOTS_PER_DAY,
    PARAM_SPIKE_FLOOR_WH,
    PARAM_SPIKE_RATIO_PERMILLE,
    PARAM_ZERO_RUN_MIN,
    RULE_FLAT_LINE,
    RULE_SPIKE,
    RULE_ZERO_RUN,
)

SLOTS_PER_SKIP = 64
SPIKE_BLOCK = 64
SPIKE_VALUE_SCREEN_MAX = 1 << 40  # 1.1 TWh per interval: any real meter is far below
SPIKE_RATIO_SCREEN_MAX = 1 << 20


@njit(nogil=True, cache=True, inline="always")
def _median5(a, b, c, d, e):
    # Branch-free: min/max compile to conditional moves (or vector min/max), so noisy data costs nothing.
    f = max(min(a, b), min(c, d))
    g = min(max(a, b), max(c, d))
    return _median3(e, f, g)


@njit(nogil=True, cache=True, inline="always")
def _median3(a, b, c):
    return max(min(a, b), min(max(a, b), c))


@njit(nogil=True, cache=True, inline="always")
def _is_valid(flag):
    return (flag & (FLAG_PRESENT | FLAGS_INVALID)) == FLAG_PRESENT


@njit(nogil=True, cache=True)
def _flag_spikes(value, flags, valid, param, count, centre_lo):
    """The spike rule for centres centre_lo..n-3 (placement has already done those below; see vee_place)."""
    spikes = _spike_range(value, flags, valid, max(centre_lo, 2), value.shape[0] - 2,
                          param[PARAM_SPIKE_RATIO_PERMILLE], param[PARAM_SPIKE_FLOOR_WH] * 1000)
    count[RULE_SPIKE] += spikes


@njit(nogil=True, cache=True)
def _spike_range(value, flags, valid, centre_lo, centre_hi, ratio_permille, floor_milli_wh):
    """Slot c in [centre_lo, centre_hi) (2 <= c < n - 2) is a spike when slots c-2..c+2 are valid and value[c]
    strays from their median (see kernels' module doc). Returns how many were flagged.

    Spikes are rare, so centres go in blocks of SPIKE_BLOCK: a cheap vector test that every spike passes
    (`_may_spike`) clears almost every block, and only the blocks it leaves get the exact median test. Indexes
    are unsigned: a signed index keeps a wraparound check, which turns every vector load into a gather."""
    # The cheap test is exact arithmetic only while its products stay far inside int64.
    screen = 0 <= ratio_permille <= SPIKE_RATIO_SCREEN_MAX and 0 <= floor_milli_wh <= SPIKE_VALUE_SCREEN_MAX
    one = np.uint64(1)
    two = np.uint64(2)
    spikes = 0
    for block in range(centre_lo, centre_hi, SPIKE_BLOCK):
        width = min(SPIKE_BLOCK, centre_hi - block)
        if screen:
            maybe = 0
            for q in range(width):
                c = np.uint64(block + q)
                maybe |= _may_spike(value[c - one], value[c], value[c + one], ratio_permille, floor_milli_wh)
            if maybe == 0:
                continue
        for q in range(width):
            c = np.uint64(block + q)
            window_valid = np.int64(valid[c - two] & valid[c - one] & valid[c] & valid[c + one] & valid[c + two])
            median = _median5(value[c - two], value[c - one], value[c], value[c + one], value[c + two])
            far = np.int64(abs(value[c] - median) * 1000 > ratio_permille * abs(median) + floor_milli_wh)
            hit = window_valid & far
            flags[c] |= np.uint16(FLAG_SPIKE * hit)
            spikes += hit
    return spikes


@njit(nogil=True, cache=True)
def _clear_spikes(flags):
    keep = np.uint16(0xFFFF ^ FLAG_SPIKE)
    for j in range(flags.shape[0]):
        flags[j] &= keep


@njit(nogil=True, cache=True, inline="always")
def _may_spike(before, centre, after, ratio_permille, floor_milli_wh):
    """1 unless the centre cannot be a spike. Of any three of five values, one is at or below their median
    and one at or above it, so the median and the centre both lie in [lo, hi] of (before, centre, after):
    the centre is at most hi - lo from the median, and |median| >= max(lo, 0). A spike therefore has
    (hi - lo) * 1000 > ratio * max(lo, 0) + floor. Values beyond +-SPIKE_VALUE_SCREEN_MAX always pass, so
    the products here cannot overflow."""
    lo = min(min(before, centre), after)
    hi = max(max(before, centre), after)
    spread = hi - lo
    outside = np.int64(lo < -SPIKE_VALUE_SCREEN_MAX) | np.int64(hi > SPIKE_VALUE_SCREEN_MAX)
    return outside | np.int64(spread * 1000 > ratio_permille * max(lo, 0) + floor_milli_wh)


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
