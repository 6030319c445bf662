"""Numba VEE kernel: validation rules and estimation for many meter series at once, parallel over series.

Layout. `out_source` (int32) holds, per slot, the index of the reading that filled it relative to the
series' first reading (-1 for none): four bytes instead of eight per interval written. Readings of series
`s` are `ts_us[series_offsets[s]:series_offsets[s+1]]` (interval starts, UTC
microseconds) with `energy_wh` alongside, in any order. The series' grid of expected intervals is
`slot_offsets[s]:slot_offsets[s+1]` in the output arrays, slot k starting at
`start_us[s] + k * interval_us[s]`. Readings are read from memory once, in blocks (an in-order block is
copied with vector instructions). While it places them, the kernel also screens the windows already placed for
spikes and runs, so that vector work overlaps the memory stream. The later steps (the spike tail, runs,
estimation, per-day counts) walk the series' grid, which stays in cache, and look only where a screen or a
mask says something can be flagged. The whole kernel is one pass over the input.

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

Everything the kernel compiles lives in this one file on purpose: numba's on-disk cache of `vee_kernel` is
checked against this file only, so a helper kept in another module could change without the cache noticing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import njit, prange, set_parallel_chunksize, types
from numba.extending import intrinsic

Array: TypeAlias = npt.NDArray[Any]
"""The kernels' arrays; their element types are as the module doc says (numba checks them when it compiles)."""
Int: TypeAlias = int | np.integer[Any]
"""A count built from numpy scalars: numba compiles both kinds to int64."""

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
# Typed once so the block copy's stores stay in their own widths (no widening and narrowing per reading).
FLAG_PRESENT_U16 = np.uint16(FLAG_PRESENT)
FLAG_NEGATIVE_U16 = np.uint16(FLAG_NEGATIVE)
FLAG_OVER_CAPACITY_U16 = np.uint16(FLAG_OVER_CAPACITY)
ZERO_U16 = np.uint16(0)
ZERO_U8 = np.uint8(0)
ONE_U8 = np.uint8(1)
READINGS_PER_BLOCK = 64
READINGS_PER_STEP_IRREGULAR = 8
# Spike centres are checked in batches this large during placement: big enough that the call (two atomic
# reference-count updates per array passed) is noise, small enough to interleave with the memory stream.
SPIKE_CENTRES_PER_BATCH = 512
# How far ahead of the block being placed its readings are prefetched (16 KB per input array).
PREFETCH_READINGS_AHEAD = 1024
READINGS_PER_LINE = 8  # int64 readings per 64-byte cache line
SCREEN_BLOCK = 64
ALL_VALID_WORD = np.uint64(0x0101010101010101)  # eight valid bytes
SPIKE_VALUE_SCREEN_MAX = 1 << 40  # 1.1 TWh per interval: any real meter is far below
SPIKE_RATIO_SCREEN_MAX = 1 << 20


@njit(nogil=True, parallel=True, cache=True)
def vee_kernel(ts_us: Array, energy_wh: Array, series_offsets: Array, slot_offsets: Array, start_us: Array,
               interval_us: Array, params: Array, day_start_us: Array, out_value: Array, out_flags: Array,
               out_source: Array, counts: Array) -> None:
    """Validate and estimate every series; fills the out_* grids and `counts` (int64[S, COUNT_COLUMNS])."""
    for s in prange(series_offsets.shape[0] - 1):
        base = slot_offsets[s]
        n = slot_offsets[s + 1] - base
        value = out_value[base:base + n]
        flags = out_flags[base:base + n]
        source = out_source[base:base + n]
        day_lo = _day_slot_bounds(start_us[s], interval_us[s], day_start_us, n)
        day_balance = np.zeros(day_lo.shape[0] + 1, np.int64)
        valid = valid_mask(n)
        run_marks = run_marks_for(n)
        spike_next, spikes, stale = _place_readings(
            ts_us, energy_wh, series_offsets[s], series_offsets[s + 1], start_us[s], interval_us[s], params[s],
            value, flags, source, valid, run_marks, day_lo, day_balance, counts[s])
        _day_counts(day_lo, day_balance, counts[s])
        if stale:
            # A reading changed a window placement had already checked: check every centre again.
            _clear_spikes(flags)
            _flag_spikes(value, flags, valid, run_marks, params[s], counts[s], 0)
        else:
            counts[s, RULE_SPIKE] += spikes
            _flag_spikes(value, flags, valid, run_marks, params[s], counts[s], spike_next)
        _flag_runs(value, flags, valid, run_marks, params[s], counts[s])
        _estimate(value, flags, valid, params[s], counts[s])


def validate_series(ts_us: Array, energy_wh: Array, series_offsets: Array, slot_offsets: Array, start_us: Array,
                    interval_us: Array, params: Array, day_start_us: Array, out_value: Array, out_flags: Array,
                    out_source: Array, counts: Array) -> None:
    """`vee_kernel` with series handed to threads in small chunks: when one thread is descheduled on a
    shared machine, the others take its remaining series instead of waiting for it."""
    previous_chunk_size = set_parallel_chunksize(SERIES_PER_CHUNK)
    try:
        vee_kernel(ts_us, energy_wh, series_offsets, slot_offsets, start_us, interval_us, params, day_start_us,
                   out_value, out_flags, out_source, counts)
    finally:
        set_parallel_chunksize(previous_chunk_size)


# Placement: readings into a series' grid of slots, with the per-reading rules. It is the one step that
# streams from memory; every later step works on the series' grid, which stays in cache. So placement also
# screens the windows already placed (spikes, runs) and prefetches the readings ahead: the vector work then
# overlaps the memory traffic instead of following it.


@njit(nogil=True, cache=True)
def _day_slot_bounds(start_us: int, interval_us: int, day_start_us: Array, n: int) -> Array:
    """First slot of each local day, clipped to [0, n]."""
    bounds = np.empty(day_start_us.shape[0], np.int64)
    for d in range(day_start_us.shape[0]):
        bounds[d] = _ceil_slot(day_start_us[d] - start_us, interval_us, n)
    return bounds


@njit(nogil=True, cache=True, inline="always")
def _ceil_slot(offset_us: int, interval_us: int, n: int) -> int:
    if offset_us <= 0:
        return 0
    k = (offset_us + interval_us - 1) // interval_us
    return min(k, n)


@njit(nogil=True, cache=True)
def _place_readings(ts_us: Array, energy_wh: Array, lo: int, hi: int, start_us: int, interval_us: int, param: Array,
                    value: Array, flags: Array, source: Array, valid: Array, run_marks: Array, day_lo: Array,
                    day_balance: Array, count: Array) -> tuple[int, Int, bool]:
    """Place readings lo..hi-1 and fill `valid` (1 where a slot holds a reading no rule made invalid).

    Readings go in blocks. A block whose stamps are consecutive slots above every slot written so far (the
    usual case) is copied without per-reading branches, so the compiler vectorizes it; any other block goes
    reading by reading (`_place_each`). Both leave the grid the one-by-one placement would.

    Spikes are flagged for every centre whose five-slot window is already placed. A later reading that lands
    in such a window (a duplicate, or a gap filled out of order) makes the early answer stale: then placement
    reports `stale` and the caller redoes the spike rule over the whole grid. Returns (the first centre not
    yet checked, spikes flagged so far, stale).

    Hot loops index with unsigned integers and call no function taking arrays: a signed index gets a
    wraparound check (which turns vector loads into gathers), and passing an array costs two atomic
    reference-count updates per call."""
    n = value.shape[0]
    readings_total = ts_us.shape[0]
    capacity_wh = param[PARAM_CAPACITY_WH]
    if capacity_wh < 0:
        capacity_wh = np.iinfo(np.int64).max
    negative_wh_max = -1 if param[PARAM_ONE_WAY] != 0 else np.iinfo(np.int64).min
    # Values lowest_ok..capacity are acceptable; unsigned arithmetic wraps where int64 would overflow.
    lowest_ok_u64 = np.uint64(negative_wh_max + 1)
    ok_span_u64 = np.uint64(capacity_wh) - lowest_ok_u64
    ratio_permille = param[PARAM_SPIKE_RATIO_PERMILLE]
    floor_milli_wh = param[PARAM_SPIKE_FLOOR_WH] * 1000
    # Slots above `initialized` have not been written yet: a reading there needs no look at old flags, and
    # the slots it skips are gaps. So the grid is cleared as readings pass, not in a separate pass.
    initialized = -1
    k = -1
    expected_us = start_us - interval_us
    negatives: Int = 0
    overs: Int = 0
    spike_next = 2
    spikes: Int = 0
    stale = False
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
        if mismatch != 0 and k_first >= 0:
            # Place the regular readings before the first odd one as a shorter block.
            m = _regular_prefix(ts_us, i, m, t_first, interval_us)
        if m == 0 or k_first < 0:
            # A few readings one by one, then try a block again: a fault costs a step, not a whole block.
            step = min(READINGS_PER_STEP_IRREGULAR, hi - i)
            k, expected_us, initialized, touched_checked = _place_each(
                ts_us, energy_wh, i, i + step, lo, start_us, interval_us, negative_wh_max, capacity_wh, value,
                flags, source, valid, k, expected_us, initialized, day_lo, day_balance, count, spike_next + 1)
            stale |= touched_checked
            i += step
            continue
        if k_first > initialized + 1:
            _leave_gap(value, flags, source, valid, day_lo, day_balance, initialized + 1, k_first, count)
        # The usual block holds only acceptable values: write it as such, and fix up the rare block that
        # does not. One unsigned compare tests both bounds (below lowest_ok wraps around to a huge number).
        any_out_of_range: bool | np.bool_ = False
        for q in range(m):
            v = energy_wh[np.uint64(i + q)]
            slot = np.uint64(k_first + q)
            value[slot] = v
            source[slot] = np.int32(i - lo + q)
            flags[slot] = FLAG_PRESENT_U16
            valid[slot] = ONE_U8
            any_out_of_range |= np.uint64(v) - lowest_ok_u64 > ok_span_u64
        if any_out_of_range:
            for q in range(m):
                v = energy_wh[np.uint64(i + q)]
                negative = v <= negative_wh_max
                over = v > capacity_wh
                if negative or over:
                    slot = np.uint64(k_first + q)
                    flags[slot] |= (FLAG_NEGATIVE_U16 if negative else ZERO_U16) | \
                        (FLAG_OVER_CAPACITY_U16 if over else ZERO_U16)
                    valid[slot] = ZERO_U8
                    negatives += np.int64(negative)
                    overs += np.int64(over)
        initialized = k = k_first + m - 1
        expected_us = ts_us[i + m - 1]
        i += m
        # Readings past this series' end are the next series', which this thread usually places next.
        if PREFETCH_READINGS_AHEAD > 0 and i + PREFETCH_READINGS_AHEAD + READINGS_PER_BLOCK <= readings_total:
            for q in range(0, READINGS_PER_BLOCK, READINGS_PER_LINE):
                prefetch(ts_us, i + PREFETCH_READINGS_AHEAD + q)
                prefetch(energy_wh, i + PREFETCH_READINGS_AHEAD + q)
        centre_hi = initialized - 1  # centres below it have their whole window placed
        if centre_hi - spike_next >= SPIKE_CENTRES_PER_BATCH:
            spikes += _check_windows(value, flags, valid, run_marks, spike_next, centre_hi, ratio_permille,
                                     floor_milli_wh)
            spike_next = centre_hi
    count[RULE_NEGATIVE] += negatives
    count[RULE_OVER_CAPACITY] += overs
    if n > initialized + 1:
        _leave_gap(value, flags, source, valid, day_lo, day_balance, initialized + 1, n, count)
    return spike_next, spikes, stale


@njit(nogil=True, cache=True)
def _regular_prefix(ts_us: Array, i: int, m: int, t_first: int, interval_us: int) -> int:
    """How many of readings i..i+m-1 carry consecutive stamps from t_first on (a scalar scan: faults only)."""
    for q in range(m):
        if ts_us[i + q] != t_first + q * interval_us:
            return q
    return m


@njit(nogil=True, cache=True, inline="always")
def _block_first_slot(offset_us: int, interval_us: int, m: int, n: int, initialized: int) -> int:
    """The slot of a block's first reading if the block could fill m new slots (stamps still to check), else -1."""
    if offset_us < 0 or offset_us % interval_us != 0:
        return -1
    k_first = offset_us // interval_us
    if k_first <= initialized or k_first + m > n:
        return -1
    return k_first


@njit(nogil=True, cache=True)
def _place_each(ts_us: Array, energy_wh: Array, i_lo: int, i_hi: int, lo: int, start_us: int, interval_us: int,
                negative_wh_max: int, capacity_wh: int, value: Array, flags: Array, source: Array, valid: Array,
                k: int, expected_us: int, initialized: int, day_lo: Array, day_balance: Array, count: Array,
                checked_hi: int) -> tuple[int, int, int, bool]:
    """Readings i_lo..i_hi-1 one by one, in any order. Returns the placement state (k, expected_us,
    initialized) and whether a reading changed a slot at or below `checked_hi` (a window already checked)."""
    n = value.shape[0]
    touched_checked = False
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
            if k > initialized + 1:
                _leave_gap(value, flags, source, valid, day_lo, day_balance, initialized + 1, k, count)
            initialized = k
            flag = FLAG_PRESENT
            value[k] = v
            source[k] = i - lo
        else:
            flag = _place_again(flags[k], value, source, k, v, i - lo, day_lo, day_balance, count)
            touched_checked |= k <= checked_hi
        if v <= negative_wh_max:
            count[RULE_NEGATIVE] += 1
            flag |= FLAG_NEGATIVE
        if v > capacity_wh:
            count[RULE_OVER_CAPACITY] += 1
            flag |= FLAG_OVER_CAPACITY
        flags[k] = flag
        valid[k] = np.uint8(_is_valid(flag))
    return k, expected_us, initialized, touched_checked


@njit(nogil=True, cache=True)
def _place_again(flag: int, value: Array, source: Array, k: int, v: int, offset: int, day_lo: Array,
                 day_balance: Array, count: Array) -> int:
    """A reading for a slot already written: a gap filled out of order, or a duplicate. Either way the slot's
    day gets one more reading than placement had counted for it."""
    day_balance[np.searchsorted(day_lo, k, side="right")] += 1
    if (flag & FLAG_PRESENT) == 0:
        count[RULE_MISSING] -= 1
        value[k] = v
        source[k] = offset
        return flag | FLAG_PRESENT
    if value[k] == v:
        count[RULE_DUPLICATE_IDENTICAL] += 1
        return flag | FLAG_DUPLICATE
    count[RULE_DUPLICATE_CONFLICTING] += 1
    return flag | FLAG_CONFLICT


@njit(nogil=True, cache=True)
def _leave_gap(value: Array, flags: Array, source: Array, valid: Array, day_lo: Array, day_balance: Array,
               gap_lo: int, gap_hi: int, count: Array) -> None:
    """Slots gap_lo..gap_hi-1 (above every slot written so far) get no reading: clear them, count them missing,
    and one reading short each in their day's balance. Gaps are rare, so this is a call of its own.

    Segment g of the grid is [day_lo[g-1], day_lo[g]), with day_lo[-1] read as 0 and day_lo[day_count] as
    n: segment 0 lies before the first local day, segment d + 1 is day d, the last lies after the last day."""
    n = value.shape[0]
    for j in range(gap_lo, gap_hi):
        value[np.uint64(j)] = 0
        flags[np.uint64(j)] = 0
        source[np.uint64(j)] = -1
        valid[np.uint64(j)] = 0
    count[RULE_MISSING] += gap_hi - gap_lo
    last = day_lo.shape[0]
    g = np.searchsorted(day_lo, gap_lo, side="right")
    while g <= last:
        segment_lo = 0 if g == 0 else day_lo[g - 1]
        segment_hi = n if g == last else day_lo[g]
        overlap = min(gap_hi, segment_hi) - max(gap_lo, segment_lo)
        if segment_lo >= gap_hi:
            break
        if overlap > 0:
            day_balance[g] -= overlap
        g += 1


@njit(nogil=True, cache=True)
def _day_counts(day_lo: Array, day_balance: Array, count: Array) -> None:
    """A local day breaks the interval-count rule when its aligned readings (filled slots plus duplicates)
    differ from its slots: when its balance of extra readings against missing slots is not zero."""
    for d in range(day_lo.shape[0] - 1):
        if day_lo[d + 1] > day_lo[d] and day_balance[d + 1] != 0:
            count[RULE_INTERVAL_COUNT_DAY] += 1


# Rules over the placed grid, and estimation.

@njit(nogil=True, cache=True, inline="always")
def _median5(a: int, b: int, c: int, d: int, e: int) -> int:
    # Branch-free: min/max compile to conditional moves (or vector min/max), so noisy data costs nothing.
    f = max(min(a, b), min(c, d))
    g = min(max(a, b), max(c, d))
    return _median3(e, f, g)


@njit(nogil=True, cache=True, inline="always")
def _median3(a: int, b: int, c: int) -> int:
    return max(min(a, b), min(max(a, b), c))


@njit(nogil=True, cache=True, inline="always")
def _is_valid(flag: int) -> bool:
    return (flag & (FLAG_PRESENT | FLAGS_INVALID)) == FLAG_PRESENT


@njit(nogil=True, cache=True)
def _flag_spikes(value: Array, flags: Array, valid: Array, run_marks: Array, param: Array, count: Array,
                 centre_lo: int) -> None:
    """The spike rule for centres centre_lo..n-3 (placement has already checked those below)."""
    spikes = _check_windows(value, flags, valid, run_marks, max(centre_lo, 2), value.shape[0] - 2,
                            param[PARAM_SPIKE_RATIO_PERMILLE], param[PARAM_SPIKE_FLOOR_WH] * 1000)
    count[RULE_SPIKE] += spikes


@njit(nogil=True, cache=True)
def run_marks_for(n: int) -> Array:
    """One mark per block of SCREEN_BLOCK centres: 1 where the block may hold a run. The blocks of centres 1
    and n-2 are always looked at, since the screen covers only the spike rule's centres 2..n-3."""
    marks = np.zeros(n // SCREEN_BLOCK + 1, np.uint8)
    marks[0] = 1
    marks[max(n - 2, 0) // SCREEN_BLOCK] = 1
    return marks


@njit(nogil=True, cache=True)
def _check_windows(value: Array, flags: Array, valid: Array, run_marks: Array, centre_lo: int, centre_hi: int,
                   ratio_permille: int, floor_milli_wh: int) -> Int:
    """Spike rule for centres c in [centre_lo, centre_hi) (2 <= c < n - 2): c is a spike when slots c-2..c+2
    are valid and value[c] strays from their median (see the module doc). Returns how many were flagged.

    Both spikes and runs are rare, so centres go in blocks of SCREEN_BLOCK, aligned to multiples of it, and
    one vector pass over a block screens for both. A run the run rule can flag has a centre equal to both
    neighbours (then `run_marks` gets the block's mark). A block whose values (with one neighbour each side)
    cannot hold a spike (`_may_spike` on their minimum and maximum) skips the exact median test. Indexes
    are unsigned: a signed index keeps a wraparound check, which turns every vector load into a gather."""
    # The cheap test is exact arithmetic only while its products stay far inside int64.
    screen = 0 <= ratio_permille <= SPIKE_RATIO_SCREEN_MAX and 0 <= floor_milli_wh <= SPIKE_VALUE_SCREEN_MAX
    shift_up, shift_down = _screen_shifts(ratio_permille)
    floor_wh = floor_milli_wh // 1000
    one = np.uint64(1)
    two = np.uint64(2)
    spikes: Int = 0
    block = centre_lo
    while block < centre_hi:
        block_end = min((block // SCREEN_BLOCK + 1) * SCREEN_BLOCK, centre_hi)
        lo = min(value[block - 1], value[block_end])
        hi = max(value[block - 1], value[block_end])
        maybe_run: Int = 0
        for c in range(np.uint64(block), np.uint64(block_end)):
            centre = value[c]
            lo = min(lo, centre)
            hi = max(hi, centre)
            maybe_run |= np.int64(value[c - one] == centre) & np.int64(centre == value[c + one])
        run_marks[block // SCREEN_BLOCK] |= np.uint8(maybe_run)
        if not screen or _may_spike(lo, hi, shift_up, shift_down, floor_wh):
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
def _clear_spikes(flags: Array) -> None:
    keep = np.uint16(0xFFFF ^ FLAG_SPIKE)
    for j in range(flags.shape[0]):
        flags[j] &= keep


@njit(nogil=True, cache=True, inline="always")
def _may_spike(lo: int, hi: int, shift_up: int, shift_down: int, floor_wh: int) -> bool:
    """False only if no centre among values in [lo, hi] can be a spike. Of any three of a window's five
    values, one is at or below their median and one at or above it; so the median and the centre both lie
    between the lowest and highest of (before, centre, after), hence in [lo, hi]: the centre is at most
    hi - lo from the median, and |median| >= max(lo, 0). A spike therefore has hi - lo > ratio / 1000 *
    max(lo, 0) + floor, and ratio / 1000 is at least 2 ** (shift_up - shift_down) (see `_screen_shifts`).
    Values beyond +-SPIKE_VALUE_SCREEN_MAX always pass, so nothing here can overflow."""
    if lo < -SPIKE_VALUE_SCREEN_MAX or hi > SPIKE_VALUE_SCREEN_MAX:
        return True
    return hi - lo > ((max(lo, 0) << shift_up) >> shift_down) + floor_wh


@njit(nogil=True, cache=True)
def _screen_shifts(ratio_permille: int) -> tuple[int, int]:
    """(up, down) with 2 ** (up - down) <= ratio_permille / 1000, as close to it as a power of two gets."""
    if ratio_permille <= 0:
        return 0, 63
    up = 0
    while (1000 << (up + 1)) <= ratio_permille:
        up += 1
    down = 0
    while (ratio_permille << down) < 1000:
        down += 1
    return up, down


@njit(nogil=True, cache=True)
def _flag_runs(value: Array, flags: Array, valid: Array, run_marks: Array, param: Array, count: Array) -> None:
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
def _flag_runs_every_slot(value: Array, flags: Array, valid: Array, flat_min: int, zero_min: int, never_idle: bool,
                          count: Array) -> None:
    """The run rule when a run of two slots can be flagged: every join of neighbours starts a walk."""
    covered = 0
    for j in range(1, value.shape[0]):
        if j >= covered and _joins(valid[j - 1], valid[j], value[j - 1], value[j]):
            covered = _walk_run(value, flags, valid, j, flat_min, zero_min, never_idle, count)


@njit(nogil=True, cache=True)
def _walk_run(value: Array, flags: Array, valid: Array, j: int, flat_min: int, zero_min: int, never_idle: bool,
              count: Array) -> int:
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
def _joins(valid_previous: int, valid_current: int, value_previous: int, value_current: int) -> bool:
    return valid_previous != 0 and valid_current != 0 and value_previous == value_current


@njit(nogil=True, cache=True, inline="always")
def _close_run(value: Array, flags: Array, run_start: int, run_end: int, flat_min: int, zero_min: int,
               never_idle: bool, count: Array) -> None:
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
def _mark(flags: Array, lo: int, hi: int, bit: int) -> None:
    for k in range(lo, hi):
        flags[k] |= bit


@njit(nogil=True, cache=True)
def valid_mask(n: int) -> Array:
    """An uninitialized mask for n slots, padded with valid bytes to whole 8-byte words (see `_estimate`)."""
    mask = np.empty((n + 7) // 8 * 8, np.uint8)
    mask[n:] = 1
    return mask


@njit(nogil=True, cache=True)
def _estimate(value: Array, flags: Array, valid: Array, param: Array, count: Array) -> None:
    """Estimate every run of slots that are not valid (see the module doc). `valid` comes from
    `valid_mask`: invalid slots are rare, so it is scanned eight slots to a word until a word is not all ones."""
    n = value.shape[0]
    gap_max = param[PARAM_INTERP_GAP_MAX]
    words = valid.view(np.uint64)
    k = 0
    while k < n:
        if (k & 7) == 0:
            w = k >> 3
            # Eight words (64 slots) per step while they are all valid, then word by word.
            while w + 8 <= words.shape[0]:
                every = words[w] & words[w + 1] & words[w + 2] & words[w + 3]
                every &= words[w + 4] & words[w + 5] & words[w + 6] & words[w + 7]
                if every != ALL_VALID_WORD:
                    break
                w += 8
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
def _like_day(value: Array, flags: Array, valid: Array, k: int, param: Array, count: Array) -> None:
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


# CPU hints numba has no word for.

_READ = 0
_KEEP_IN_ALL_CACHES = 3
_DATA = 1


_PREFETCH_FUNCTION = "llvm.prefetch.p0"


def _prefetch_typing(typingctx: Any, array: Any, index: Any) -> tuple[Any, Callable[..., Any]]:
    """Ask for the cache line holding array[index] ahead of its use (LLVM's `llvm.prefetch`: a hint that never
    faults, so an index past the end is harmless). Written as an intrinsic because it has no Python form."""
    signature = types.void(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = builder.module.globals.get(_PREFETCH_FUNCTION)
        if function is None:  # declared once per LLVM module
            function = ir.Function(builder.module, ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32]),
                                   _PREFETCH_FUNCTION)
        builder.call(function, [address, ir.Constant(i32, _READ), ir.Constant(i32, _KEEP_IN_ALL_CACHES),
                                ir.Constant(i32, _DATA)])
        return context.get_dummy_value()

    return signature, codegen


# Called from compiled code only, as prefetch(array, index); the cast says so to the type checker.
prefetch = cast(Callable[[Array, int], None], intrinsic(_prefetch_typing))
