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

ALL_VALID_WORD = np.uint64(0x0101010101010101)  # eight valid bytes
SCREEN_BLOCK = 64
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
def _flag_spikes(value, flags, valid, run_marks, param, count, centre_lo):
    """The spike rule for centres centre_lo..n-3 (placement has already done those below; see vee_place)."""
    spikes = _check_windows(value, flags, valid, run_marks, max(centre_lo, 2), value.shape[0] - 2,
                            param[PARAM_SPIKE_RATIO_PERMILLE], param[PARAM_SPIKE_FLOOR_WH] * 1000)
    count[RULE_SPIKE] += spikes


@njit(nogil=True, cache=True)
def run_marks_for(n):
    """One mark per block of SCREEN_BLOCK centres: 1 where the block may hold a run. The first and last blocks
    are always looked at, since centres 1 and n-2 are outside the spike rule's range."""
    marks = np.zeros(n // SCREEN_BLOCK + 1, np.uint8)
    marks[0] = 1
    marks[-1] = 1
    return marks


@njit(nogil=True, cache=True)
def _check_windows(value, flags, valid, run_marks, centre_lo, centre_hi, ratio_permille, floor_milli_wh):
    """Spike rule for centres c in [centre_lo, centre_hi) (2 <= c < n - 2): c is a spike when slots c-2..c+2
    are valid and value[c] strays from their median (see kernels' module doc). Returns how many were flagged.

    Both spikes and runs are rare, so centres go in blocks of SCREEN_BLOCK, aligned to multiples of it. One
    vector pass over each block's three-slot windows screens for both: every spike passes `_may_spike`, and
    a run the run rule can flag has a centre equal to both neighbours (then `run_marks` gets the block's
    mark). Only blocks that pass the spike screen get the exact median test. Indexes are unsigned: a signed
    index keeps a wraparound check, which turns every vector load into a gather."""
    # The cheap test is exact arithmetic only while its products stay far inside int64.
    screen = 0 <= ratio_permille <= SPIKE_RATIO_SCREEN_MAX and 0 <= floor_milli_wh <= SPIKE_VALUE_SCREEN_MAX
    one = np.uint64(1)
    two = np.uint64(2)
    spikes = 0
    block = centre_lo
    while block < centre_hi:
        block_end = min((block // SCREEN_BLOCK + 1) * SCREEN_BLOCK, centre_hi)
        maybe_spike = 0
        maybe_run = 0
        for c in range(np.uint64(block), np.uint64(block_end)):
            before, centre, after = value[c - one], value[c], value[c + one]
            maybe_spike |= _may_spike(before, centre, after, ratio_permille, floor_milli_wh)
            maybe_run |= np.int64(before == centre) & np.int64(centre == after)
        run_marks[block // SCREEN_BLOCK] |= np.uint8(maybe_run)
        if maybe_spike != 0 or not screen:
            for c in range(np.uint64(block), np.uint64(block_end)):
                window_valid = np.int64(valid[c - two] & valid[c - one] & valid[c] & valid[c + one] & valid[c + two])
                median = _median5(value[c - two], value[c - one], value[c], value[c + one], value[c + two])
                far = np.int64(abs(value[c] - median) * 1000 > ratio_permille * abs(median) + floor_milli_wh)
                hit = window_valid & far
                flags[c] |= np.uint16(FLAG_SPIKE * hit)
                spikes += hit
        block = block_end
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
def _flag_runs(value, flags, valid, run_marks, param, count):
    """Flat-line and zero runs: maximal runs of equal values over consecutive valid slots.

    A run that can be flagged (at least `length_min` >= 3 slots) has a middle slot c with value[c-1] ==
    value[c] == value[c+1]; `_check_windows` marked the blocks that have one, and only those are walked."""
    n = value.shape[0]
    flat_min = param[PARAM_FLAT_RUN_MIN]
    zero_min = param[PARAM_ZERO_RUN_MIN]
    never_idle = param[PARAM_NEVER_IDLE] != 0
    length_min = min(flat_min, zero_min) if never_idle else flat_min
    if length_min <= 2:
        _flag_runs_every_slot(value, flags, valid, flat_min, zero_min, never_idle, count)
        return
    covered = 0
    for mark in range(run_marks.shape[0]):
        if run_marks[mark] == 0:
            continue
        c = max(mark * SCREEN_BLOCK, covered, 1)
        while c < min((mark + 1) * SCREEN_BLOCK, n - 1):
            if _joins(valid[c - 1], valid[c], value[c - 1], value[c]) and \
                    _joins(valid[c], valid[c + 1], value[c], value[c + 1]):
                covered = _walk_run(value, flags, valid, c, flat_min, zero_min, never_idle, count)
                c = covered
            else:
                c += 1


@njit(nogil=True, cache=True)
def _flag_runs_every_slot(value, flags, valid, flat_min, zero_min, never_idle, count):
    """The run rule when a run of two slots can be flagged: every join of neighbours starts a walk."""
    covered = 0
    for j in range(1, value.shape[0]):
        if j >= covered and _joins(valid[j - 1], valid[j], value[j - 1], value[j]):
            covered = _walk_run(value, flags, valid, j, flat_min, zero_min, never_idle, count)


@njit(nogil=True, cache=True)
def _walk_run(value, flags, valid, j, flat_min, zero_min, never_idle, count):
    """Walk out the run through slots j-1 and j (joined), flag it if long enough; returns its end."""
    n = value.shape[0]
    run_start = j - 1
    while run_start > 0 and _joins(valid[run_start - 1], valid[run_start], value[run_start - 1], value[run_start]):
        run_start -= 1
    run_end = j + 1
    while run_end < n and _joins(valid[run_end - 1], valid[run_end], value[run_end - 1], value[run_end]):
        run_end += 1
    _close_run(value, flags, run_start, run_end, flat_min, zero_min, never_idle, count)
    return run_end


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
def valid_mask(n):
    """An uninitialized mask for n slots, padded with valid bytes to whole 8-byte words (see `_estimate`)."""
    mask = np.empty((n + 7) // 8 * 8, np.uint8)
    mask[n:] = 1
    return mask


@njit(nogil=True, cache=True)
def _estimate(value, flags, valid, param, count):
    """Estimate every run of slots that are not valid (see kernels' module doc). `valid` comes from
    `valid_mask`: invalid slots are rare, so it is scanned eight slots to a word until a word is not all ones."""
    n = value.shape[0]
    gap_max = param[PARAM_INTERP_GAP_MAX]
    words = valid.view(np.uint64)
    k = 0
    while k < n:
        if (k & 7) == 0:
            w = k >> 3
            while w < words.shape[0] and words[w] == ALL_VALID_WORD:
                w += 1
            k = w << 3
            if k >= n:
                break
        if valid[k]:
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
