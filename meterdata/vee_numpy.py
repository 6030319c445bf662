"""The same VEE rules and estimation as `kernels.vee_kernel`, written with vectorized numpy.

Kept as the benchmark's baseline and as a second, independent implementation the tests compare with
the kernel. Same inputs, same outputs (value, flags, source index, counts); see `kernels` for semantics.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from meterdata import kernels as k
from meterdata.kernels import Array


def _per_series(mask: np.ndarray, series: np.ndarray, series_count: int) -> np.ndarray:
    return np.bincount(series[mask], minlength=series_count).astype(np.int64)


def vee_numpy(ts_us: Array, energy_wh: Array, series_offsets: Array, slot_offsets: Array, start_us: Array,
              interval_us: Array, params: Array, day_start_us: Array, out_value: Array, out_flags: Array,
              out_source: Array, counts: Array) -> None:
    series_count = series_offsets.shape[0] - 1
    total = int(slot_offsets[-1])
    slot_series = np.repeat(np.arange(series_count), np.diff(slot_offsets))
    slot_index = np.arange(total, dtype=np.int64) - slot_offsets[slot_series]
    _gslot, present, received = _place(ts_us, energy_wh, series_offsets, slot_offsets, start_us, interval_us, params,
                                      out_value, out_flags, out_source, counts)
    valid = present & ((out_flags & k.FLAGS_INVALID) == 0)
    counts[:, k.RULE_MISSING] += _per_series(~present, slot_series, series_count)
    _spikes(out_value, out_flags, valid, slot_series, slot_index, slot_offsets, params, counts)
    _runs(out_value, out_flags, valid, slot_series, slot_index, params, counts)
    _days(received, slot_series, slot_index, start_us, interval_us, day_start_us, counts)
    _estimate(out_value, out_flags, valid, slot_series, slot_index, slot_offsets, params, counts)


def _place(ts_us: Array, energy_wh: Array, series_offsets: Array, slot_offsets: Array, start_us: Array,
           interval_us: Array, params: Array, out_value: Array, out_flags: Array, out_source: Array, counts: Array,
           ) -> tuple[Array, Array, Array]:
    series_count = series_offsets.shape[0] - 1
    total = int(slot_offsets[-1])
    sid = np.repeat(np.arange(series_count), np.diff(series_offsets))
    offset = ts_us - start_us[sid]
    step = interval_us[sid]
    slot_count = np.diff(slot_offsets)[sid]
    aligned = (offset >= 0) & (offset % step == 0) & (offset // step < slot_count)
    counts[:, k.RULE_MISALIGNED] += _per_series(~aligned, sid, series_count)
    reading = np.flatnonzero(aligned)
    gslot = slot_offsets[sid[reading]] + offset[reading] // step[reading]
    unique_slots, first = np.unique(gslot, return_index=True)
    out_value[:] = 0
    out_flags[:] = 0
    out_source[:] = -1
    out_value[unique_slots] = energy_wh[reading[first]]
    out_source[unique_slots] = reading[first] - series_offsets[sid[reading[first]]]
    out_flags[unique_slots] = k.FLAG_PRESENT
    is_first = np.zeros(reading.shape[0], bool)
    is_first[first] = True
    values = energy_wh[reading]
    rsid = sid[reading]
    identical = ~is_first & (values == out_value[gslot])
    conflicting = ~is_first & ~identical
    counts[:, k.RULE_DUPLICATE_IDENTICAL] += _per_series(identical, rsid, series_count)
    counts[:, k.RULE_DUPLICATE_CONFLICTING] += _per_series(conflicting, rsid, series_count)
    out_flags[gslot[identical]] |= k.FLAG_DUPLICATE
    out_flags[gslot[conflicting]] |= k.FLAG_CONFLICT
    negative = (params[rsid, k.PARAM_ONE_WAY] != 0) & (values < 0)
    capacity = params[rsid, k.PARAM_CAPACITY_WH]
    over = (capacity >= 0) & (values > capacity)
    counts[:, k.RULE_NEGATIVE] += _per_series(negative, rsid, series_count)
    counts[:, k.RULE_OVER_CAPACITY] += _per_series(over, rsid, series_count)
    out_flags[gslot[negative]] |= k.FLAG_NEGATIVE
    out_flags[gslot[over]] |= k.FLAG_OVER_CAPACITY
    received = np.bincount(gslot, minlength=total)
    return gslot, out_flags != 0, received


def _spikes(value: Array, flags: Array, valid: Array, slot_series: Array, slot_index: Array, slot_offsets: Array,
            params: Array, counts: Array) -> None:
    total = value.shape[0]
    if total < 5:
        return
    series_count = slot_offsets.shape[0] - 1
    slot_count = np.diff(slot_offsets)[slot_series]
    center = np.arange(2, total - 2)
    window_valid = sliding_window_view(valid, 5).all(axis=1)
    inside = (slot_index[center] >= 2) & (slot_index[center] <= slot_count[center] - 3)
    median = np.partition(sliding_window_view(value, 5), 2, axis=1)[:, 2]
    ratio = params[slot_series[center], k.PARAM_SPIKE_RATIO_PERMILLE]
    floor = params[slot_series[center], k.PARAM_SPIKE_FLOOR_WH] * 1000
    spike = window_valid & inside & (np.abs(value[center] - median) * 1000 > ratio * np.abs(median) + floor)
    flags[center[spike]] |= k.FLAG_SPIKE
    counts[:, k.RULE_SPIKE] += np.bincount(slot_series[center[spike]], minlength=series_count)


def _run_ids(breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    run_id = np.cumsum(breaks) - 1
    return run_id, np.bincount(run_id)


def _runs(value: Array, flags: Array, valid: Array, slot_series: Array, slot_index: Array, params: Array,
          counts: Array) -> None:
    series_count = counts.shape[0]
    breaks = np.ones(value.shape[0], bool)
    breaks[1:] = (slot_index[1:] == 0) | ~valid[1:] | ~valid[:-1] | (value[1:] != value[:-1])
    run_id, lengths = _run_ids(breaks)
    length = lengths[run_id]
    flat = valid & (value != 0) & (length >= params[slot_series, k.PARAM_FLAT_RUN_MIN])
    zero = valid & (value == 0) & (params[slot_series, k.PARAM_NEVER_IDLE] != 0) & (
        length >= params[slot_series, k.PARAM_ZERO_RUN_MIN])
    flags[flat] |= k.FLAG_FLAT_LINE
    flags[zero] |= k.FLAG_ZERO_RUN
    counts[:, k.RULE_FLAT_LINE] += _per_series(flat, slot_series, series_count)
    counts[:, k.RULE_ZERO_RUN] += _per_series(zero, slot_series, series_count)


def _days(received: Array, slot_series: Array, slot_index: Array, start_us: Array, interval_us: Array,
          day_start_us: Array, counts: Array) -> None:
    series_count = counts.shape[0]
    day_count = day_start_us.shape[0] - 1
    if day_count <= 0:
        return
    slot_start = start_us[slot_series] + slot_index * interval_us[slot_series]
    day = np.searchsorted(day_start_us, slot_start, side="right") - 1
    inside = (day >= 0) & (day < day_count)
    key = slot_series[inside] * day_count + day[inside]
    expected = np.bincount(key, minlength=series_count * day_count)
    got = np.bincount(key, weights=received[inside], minlength=series_count * day_count).astype(np.int64)
    wrong = (expected > 0) & (got != expected)
    counts[:, k.RULE_INTERVAL_COUNT_DAY] += wrong.reshape(series_count, day_count).sum(axis=1)


def _estimate(value: Array, flags: Array, valid: Array, slot_series: Array, slot_index: Array, slot_offsets: Array,
              params: Array, counts: Array) -> None:
    total = value.shape[0]
    if total == 0 or valid.all():
        return
    series_count = counts.shape[0]
    breaks = np.ones(total, bool)
    breaks[1:] = (slot_index[1:] == 0) | (valid[1:] != valid[:-1])
    run_id, lengths = _run_ids(breaks)
    run_start = np.flatnonzero(breaks)
    bad = ~valid
    a = run_start[run_id]
    length = lengths[run_id]
    end_index = slot_index[a] + length
    slot_count = np.diff(slot_offsets)[slot_series]
    has_neighbours = (slot_index[a] > 0) & (end_index < slot_count)
    linear = bad & has_neighbours & (length <= params[slot_series, k.PARAM_INTERP_GAP_MAX])
    at = np.flatnonzero(linear)
    left = value[a[at] - 1]
    right = value[a[at] + length[at]]
    value[at] = left + (right - left) * (at - a[at] + 1) // (length[at] + 1)
    flags[at] |= k.FLAG_ESTIMATED_LINEAR
    counts[:, k.COUNT_ESTIMATED_LINEAR] += _per_series(linear, slot_series, series_count)
    _like_day(value, flags, valid, np.flatnonzero(bad & ~linear), slot_series, slot_index, slot_offsets, params, counts)


def _like_day(value: Array, flags: Array, valid: Array, at: Array, slot_series: Array, slot_index: Array,
              slot_offsets: Array, params: Array, counts: Array) -> None:
    series_count = counts.shape[0]
    sid = slot_series[at]
    per_day = params[sid, k.PARAM_SLOTS_PER_DAY]
    slot_count = np.diff(slot_offsets)[sid]
    total = np.zeros(at.shape[0], np.int64)
    found = np.zeros(at.shape[0], np.int64)
    days_max = int(params[:, k.PARAM_LIKE_DAY_DAYS_MAX].max()) if at.size else 0
    for d in range(1, days_max + 1):
        for sign in (-1, 1):
            other_index = slot_index[at] + sign * d * per_day
            inside = (other_index >= 0) & (other_index < slot_count) & (d <= params[sid, k.PARAM_LIKE_DAY_DAYS_MAX])
            other = np.where(inside, at + sign * d * per_day, 0)
            take = inside & valid[other] & (found < 2)
            total += np.where(take, value[other], 0)
            found += take
    some = found > 0
    value[at] = np.where(some, total // np.maximum(found, 1), 0)
    flags[at[some]] |= k.FLAG_ESTIMATED_LIKE_DAY
    flags[at[~some]] |= k.FLAG_UNESTIMATED
    counts[:, k.COUNT_ESTIMATED_LIKE_DAY] += np.bincount(sid[some], minlength=series_count)
    counts[:, k.COUNT_UNESTIMATED] += np.bincount(sid[~some], minlength=series_count)
