"""VEE kernel, first step: readings into a series' grid of slots, with the per-reading rules.

Placement is the one step that streams from memory; every later step works on the series' grid, which stays
in cache. So placement also runs the spike rule on the part of the grid already placed, and prefetches the
readings ahead: the vector work then overlaps the memory traffic instead of following it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from meterdata.cpu_hints import prefetch
from meterdata.vee_codes import (
    FLAG_CONFLICT,
    FLAG_DUPLICATE,
    FLAG_NEGATIVE,
    FLAG_OVER_CAPACITY,
    FLAG_PRESENT,
    PARAM_CAPACITY_WH,
    PARAM_ONE_WAY,
    PARAM_SPIKE_FLOOR_WH,
    PARAM_SPIKE_RATIO_PERMILLE,
    RULE_DUPLICATE_CONFLICTING,
    RULE_DUPLICATE_IDENTICAL,
    RULE_INTERVAL_COUNT_DAY,
    RULE_MISALIGNED,
    RULE_MISSING,
    RULE_NEGATIVE,
    RULE_OVER_CAPACITY,
)
from meterdata.vee_rules import _check_windows, _is_valid

READINGS_PER_BLOCK = 64
READINGS_PER_STEP_IRREGULAR = 8
# Spike centres are checked in batches this large during placement: big enough that the call (two atomic
# reference-count updates per array passed) is noise, small enough to interleave with the memory stream.
SPIKE_CENTRES_PER_BATCH = 512
# How far ahead of the block being placed its readings are prefetched (16 KB per input array).
PREFETCH_READINGS_AHEAD = 1024
READINGS_PER_LINE = 8  # int64 readings per 64-byte cache line


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
def _place_readings(ts_us, energy_wh, lo, hi, start_us, interval_us, param, value, flags, source, valid, run_marks,
                    day_lo, day_received, count):
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
    ratio_permille = param[PARAM_SPIKE_RATIO_PERMILLE]
    floor_milli_wh = param[PARAM_SPIKE_FLOOR_WH] * 1000
    # Slots above `initialized` have not been written yet: a reading there needs no look at old flags, and
    # the slots it skips are gaps. So the grid is cleared as readings pass, not in a separate pass.
    initialized = -1
    k = -1
    expected_us = start_us - interval_us
    negatives = 0
    overs = 0
    spike_next = 2
    spikes = 0
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
                flags, source, valid, k, expected_us, initialized, day_lo, day_received, count, spike_next + 1)
            stale |= touched_checked
            i += step
            continue
        for j in range(initialized + 1, k_first):
            value[np.uint64(j)] = 0
            flags[np.uint64(j)] = 0
            source[np.uint64(j)] = -1
            valid[np.uint64(j)] = 0
        for q in range(m):
            v = energy_wh[np.uint64(i + q)]
            negative = np.int64(v <= negative_wh_max)
            over = np.int64(v > capacity_wh)
            slot = np.uint64(k_first + q)
            value[slot] = v
            source[slot] = i - lo + q
            flags[slot] = FLAG_PRESENT + FLAG_NEGATIVE * negative + FLAG_OVER_CAPACITY * over
            valid[slot] = np.uint8(1 - (negative | over))
            negatives += negative
            overs += over
        initialized = k = k_first + m - 1
        expected_us = ts_us[i + m - 1]
        i += m
        # Readings past this series' end are the next series', which this thread usually places next.
        if i + PREFETCH_READINGS_AHEAD + READINGS_PER_BLOCK <= readings_total:
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
    for j in range(initialized + 1, n):
        value[np.uint64(j)] = 0
        flags[np.uint64(j)] = 0
        source[np.uint64(j)] = -1
        valid[np.uint64(j)] = 0
    return spike_next, spikes, stale


@njit(nogil=True, cache=True)
def _regular_prefix(ts_us, i, m, t_first, interval_us):
    """How many of readings i..i+m-1 carry consecutive stamps from t_first on (a scalar scan: faults only)."""
    for q in range(m):
        if ts_us[i + q] != t_first + q * interval_us:
            return q
    return m


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
                source, valid, k, expected_us, initialized, day_lo, day_received, count, checked_hi):
    """Readings i_lo..i_hi-1 one by one, in any order. Returns the placement state (k, expected_us,
    initialized) and whether a reading changed a slot at or below `checked_hi` (a window already checked)."""
    n = value.shape[0]
    last_day = day_lo.shape[0] - 1
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
            for j in range(initialized + 1, k):
                value[np.uint64(j)] = 0
                flags[np.uint64(j)] = 0
                source[np.uint64(j)] = -1
                valid[np.uint64(j)] = 0
            initialized = k
            flag = FLAG_PRESENT
            value[k] = v
            source[k] = i - lo
        else:
            flag = _place_again(flags[k], value, source, k, v, i - lo, day_lo, day_received, last_day, count)
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
