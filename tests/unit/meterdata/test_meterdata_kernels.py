"""The numba VEE kernel and the numpy implementation agree with the plain-Python reference.

Random series (valid and invalid: gaps, duplicates, conflicts, negatives, over-capacity, spikes, flat and
zero runs, misaligned stamps) are run through all three; counts, values and flags must match exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from meterdata import kernels as k
from meterdata.vee_numpy import vee_numpy
from tests.unit.meterdata.vee_reference_impl import SeriesParams, reference_vee

MINUTE_US = 60_000_000
DAY_US = 1440 * MINUTE_US
REFERENCE_NAMES = {
    k.RULE_MISSING: "missing", k.RULE_DUPLICATE_IDENTICAL: "duplicate_identical",
    k.RULE_DUPLICATE_CONFLICTING: "duplicate_conflicting", k.RULE_NEGATIVE: "negative",
    k.RULE_OVER_CAPACITY: "over_capacity", k.RULE_SPIKE: "spike", k.RULE_FLAT_LINE: "flat_line",
    k.RULE_ZERO_RUN: "zero_run", k.RULE_MISALIGNED: "misaligned", k.RULE_INTERVAL_COUNT_DAY: "interval_count_day",
    k.COUNT_ESTIMATED_LINEAR: "linear", k.COUNT_ESTIMATED_LIKE_DAY: "like_day", k.COUNT_UNESTIMATED: "unestimated",
}
STATUS_BY_FLAG = {
    k.FLAG_SPIKE: "spike", k.FLAG_FLAT_LINE: "flat_line", k.FLAG_ZERO_RUN: "zero_run",
    k.FLAG_ESTIMATED_LINEAR: "linear", k.FLAG_ESTIMATED_LIKE_DAY: "like_day", k.FLAG_UNESTIMATED: "unestimated",
}


@st.composite
def series_case(draw: st.DrawFn, partial: bool = False) -> tuple[list[tuple[int, int]], SeriesParams]:
    """A random series; `partial` gives it a meter's service window instead of the whole period: the grid
    starts some slots into a local day (maybe a later day), may be empty, and readings may lie before it."""
    interval_minutes = draw(st.sampled_from([15, 60]))
    interval_us = interval_minutes * MINUTE_US
    slots_per_day = 1440 // interval_minutes
    slot_count = draw(st.integers(min_value=0 if partial else 1, max_value=3 * slots_per_day))
    lead_slots = draw(st.integers(min_value=0, max_value=slots_per_day + 7)) if partial else 0
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US + lead_slots * interval_us
    base = draw(st.integers(min_value=0, max_value=5000))
    readings: list[tuple[int, int]] = []
    for slot in range(-2 if partial else 0, slot_count):
        kind = draw(st.sampled_from(["ok"] * 8 + ["same"] * 4 + ["skip", "dup", "conflict", "neg", "big", "zero", "odd"]))
        value = base if kind == "same" else draw(st.integers(min_value=0, max_value=10_000))
        ts = start_us + slot * interval_us
        if kind == "skip":
            continue
        if kind == "neg":
            value = -value - 1
        if kind == "big":
            value = 1_000_000
        if kind == "zero":
            value = 0
        if kind == "odd":
            ts += MINUTE_US
        readings.append((ts, value))
        if kind in ("dup", "conflict"):
            readings.append((ts, value if kind == "dup" else value + 1))
    if draw(st.booleans()):
        readings = draw(st.permutations(readings))
    params = SeriesParams(
        start_us=start_us, interval_us=interval_us, slot_count=slot_count, one_way=draw(st.booleans()),
        capacity_wh=draw(st.sampled_from([-1, 20_000])), spike_ratio_permille=draw(st.sampled_from([500, 3000])),
        spike_floor_wh=draw(st.sampled_from([0, 100])), flat_run_min=draw(st.integers(2, 6)),
        never_idle=draw(st.booleans()), zero_run_min=draw(st.integers(2, 4)), interp_gap_max=draw(st.integers(0, 4)),
        like_day_days_max=draw(st.integers(1, 3)), slots_per_day=slots_per_day,
    )
    return readings, params


def _kernel_inputs(cases: list[tuple[list[tuple[int, int]], SeriesParams]]):
    ts = np.array([t for readings, _ in cases for t, _ in readings], np.int64)
    energy = np.array([v for readings, _ in cases for _, v in readings], np.int64)
    series_offsets = np.concatenate(([0], np.cumsum([len(r) for r, _ in cases]))).astype(np.int64)
    slot_offsets = np.concatenate(([0], np.cumsum([p.slot_count for _, p in cases]))).astype(np.int64)
    params = np.zeros((len(cases), k.PARAM_COLUMNS), np.int64)
    for s, (_, p) in enumerate(cases):
        params[s] = [int(p.one_way), p.capacity_wh, p.spike_ratio_permille, p.spike_floor_wh, p.flat_run_min,
                     int(p.never_idle), p.zero_run_min, p.interp_gap_max, p.like_day_days_max, p.slots_per_day]
    start = np.array([p.start_us for _, p in cases], np.int64)
    interval = np.array([p.interval_us for _, p in cases], np.int64)
    return ts, energy, series_offsets, slot_offsets, start, interval, params


def _run(function, inputs, day_start_us, total):
    value = np.empty(total, np.int64)
    flags = np.empty(total, np.uint16)
    source = np.empty(total, np.int32)
    counts = np.zeros((inputs[2].shape[0] - 1, k.COUNT_COLUMNS), np.int64)
    function(*inputs, day_start_us, value, flags, source, counts)
    return value, flags, source, counts


def _status(flag: int) -> set[str]:
    found = {name for bit, name in STATUS_BY_FLAG.items() if flag & bit}
    if flag & k.FLAGS_INVALID:
        found.add("invalid")
    return found


@settings(max_examples=60, deadline=None)
@given(st.lists(series_case(), min_size=1, max_size=4))
def test_kernel_and_numpy_match_reference_on_random_series(cases) -> None:
    """Every count, estimated value and per-slot status equals the reference's, for both implementations."""
    inputs = _kernel_inputs(cases)
    start = int(inputs[4][0])
    day_start_us = np.array([start + d * DAY_US for d in range(5)], np.int64)
    total = int(inputs[3][-1])
    kernel = _run(k.vee_kernel, inputs, day_start_us, total)
    numpy_result = _run(vee_numpy, inputs, day_start_us, total)
    for array_kernel, array_numpy in zip(kernel, numpy_result):
        np.testing.assert_array_equal(array_kernel, array_numpy)
    slot_offsets = inputs[3]
    for s, (readings, params) in enumerate(cases):
        expected = reference_vee(readings, params, [int(d) for d in day_start_us])
        got_counts = {REFERENCE_NAMES[c]: int(kernel[3][s, c]) for c in REFERENCE_NAMES}
        assert got_counts == expected.counts
        lo, hi = slot_offsets[s], slot_offsets[s + 1]
        assert kernel[0][lo:hi].tolist() == expected.values
        assert [_status(int(f)) for f in kernel[1][lo:hi]] == expected.status


@settings(max_examples=60, deadline=None)
@given(st.lists(series_case(partial=True), min_size=1, max_size=4))
def test_kernel_and_numpy_match_reference_on_partial_service_windows(cases) -> None:
    """Series whose grid is a meter's service window: it starts and ends inside local days (the per-day count
    rule checks only the slots a day has in the grid), may hold no slot at all, and readings before it are
    misaligned. Kernel, numpy and reference agree on every count, value and status."""
    day_zero_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    _assert_kernel_numpy_and_reference_agree(cases, np.array([day_zero_us + d * DAY_US for d in range(6)], np.int64))


def test_a_complete_partial_first_and_last_day_are_not_count_anomalies() -> None:
    """A meter in service from 10:15 on day one to 06:00 on day three with every reading present: its first
    and last days hold fewer slots than a whole day, and each gets exactly its slots, so no day is flagged."""
    interval_us = 15 * MINUTE_US
    day_zero_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    start_us = day_zero_us + 41 * interval_us  # 10:15
    slot_count = (96 - 41) + 96 + 24  # to 06:00 on day three
    readings = [(start_us + slot * interval_us, 500 + slot % 9) for slot in range(slot_count)]
    params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count)
    day_start_us = np.array([day_zero_us + d * DAY_US for d in range(4)], np.int64)
    kernel = _assert_kernel_matches_reference([(readings, params)], day_start_us)
    assert int(kernel[3][0, k.RULE_INTERVAL_COUNT_DAY]) == 0 and int(kernel[3][0, k.RULE_MISSING]) == 0
    del readings[3]  # one missing slot in the partial first day: that day, and only it, is flagged
    kernel = _assert_kernel_matches_reference([(readings, params)], day_start_us)
    assert int(kernel[3][0, k.RULE_INTERVAL_COUNT_DAY]) == 1


def test_median_of_five_network_matches_sorting() -> None:
    """The compare-exchange network returns the middle value for every ordering of five distinct values."""
    import itertools

    from meterdata.kernels import _median5

    for ordering in itertools.permutations([3, -7, 11, 0, 5]):
        assert _median5(*ordering) == 3


def _long_series_with_faults(rng: np.random.Generator, slot_count: int, interval_us: int, start_us: int) -> list[tuple[int, int]]:
    """Mostly in-order readings (so most go through the kernel's block copy) with every fault kind mixed in."""
    values = 1000 + rng.integers(0, 50, slot_count)
    values[100:180] = 777  # a flat line
    values[300:320] = 0  # a zero run
    stamps = start_us + np.arange(slot_count) * interval_us
    keep = np.ones(slot_count, bool)
    keep[500:540] = False  # a gap too long to interpolate: like-day estimation
    readings = []
    for slot in np.flatnonzero(keep):
        ts, value = int(stamps[slot]), int(values[slot])
        fault = rng.integers(0, 400)
        if fault == 0:
            continue
        if fault == 1:
            value = -value
        if fault == 2:
            value *= 40
        if fault == 3:
            ts += MINUTE_US
        readings.append((ts, value))
        if fault in (4, 5):
            readings.append((ts, value if fault == 4 else value + 1))
        if fault == 6 and len(readings) > 2:
            readings[-1], readings[-2] = readings[-2], readings[-1]
    return readings


def test_kernel_matches_reference_on_long_series_that_are_mostly_in_order() -> None:
    """Series of 1,440 five-minute slots, mostly in order with scattered faults, a flat line, a zero run and
    a long gap: the kernel's block copy and its reading-by-reading path together give the reference's result."""
    rng = np.random.default_rng(20261127)
    interval_us = 5 * MINUTE_US
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    cases = []
    for s in range(6):
        slot_count = 1440 - 37 * s
        params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count,
                              capacity_wh=30_000 if s % 3 == 0 else -1,
                              spike_ratio_permille=500, spike_floor_wh=10, flat_run_min=12, never_idle=s % 2 == 0,
                              zero_run_min=6, interp_gap_max=12, like_day_days_max=2, slots_per_day=288)
        cases.append((_long_series_with_faults(rng, slot_count, interval_us, start_us), params))
    _assert_kernel_numpy_and_reference_agree(cases, np.array([start_us + d * DAY_US for d in range(6)], np.int64))


def test_kernel_counts_missing_slots_without_any_day_boundary() -> None:
    """With no local-day boundaries the per-day rule has nothing to check, yet missing slots are still counted:
    a two-slot gap in 20 quarter-hours gives the reference's counts, values and statuses."""
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    interval_us = 15 * MINUTE_US
    readings = [(start_us + slot * interval_us, 100 + slot) for slot in range(20) if slot not in (7, 8)]
    params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=20)
    for day_start_us in (np.zeros(0, np.int64), np.array([start_us + DAY_US // 2], np.int64)):
        _assert_kernel_matches_reference([(readings, params)], day_start_us)


def _assert_kernel_matches_reference(cases, day_start_us: np.ndarray):
    """Run the kernel on `cases` and check every series against the reference; returns the kernel's arrays."""
    inputs = _kernel_inputs(cases)
    kernel = _run(k.vee_kernel, inputs, day_start_us, int(inputs[3][-1]))
    _assert_each_series_matches_reference(cases, inputs[3], kernel, day_start_us)
    return kernel


def _assert_each_series_matches_reference(cases, slot_offsets: np.ndarray, kernel, day_start_us: np.ndarray) -> None:
    for s, (readings, params) in enumerate(cases):
        expected = reference_vee(readings, params, [int(d) for d in day_start_us])
        assert {REFERENCE_NAMES[c]: int(kernel[3][s, c]) for c in REFERENCE_NAMES} == expected.counts
        lo, hi = slot_offsets[s], slot_offsets[s + 1]
        assert kernel[0][lo:hi].tolist() == expected.values
        assert [_status(int(f)) for f in kernel[1][lo:hi]] == expected.status


def test_late_readings_into_windows_already_checked_for_spikes_give_the_reference_result() -> None:
    """Placement checks spikes as it goes; readings that arrive after the rest of the series and land in an
    early window (a conflicting duplicate that makes a neighbour invalid, a gap filled late, an identical
    duplicate) must leave exactly what checking after placement gives."""
    rng = np.random.default_rng(20261128)
    interval_us = 5 * MINUTE_US
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    slot_count = 2016
    values = [int(v) for v in 1000 + rng.integers(0, 50, slot_count)]
    values[40] = 40_000  # a spike whose window loses a neighbour to a late conflicting duplicate
    values[300] = 40_000  # a spike whose window had a gap that a late reading fills
    values[900] = 40_000  # a spike next to a late identical duplicate
    late_gap = 302
    readings = [(start_us + slot * interval_us, values[slot]) for slot in range(slot_count) if slot != late_gap]
    readings += [
        (start_us + 41 * interval_us, values[41] + 7),
        (start_us + late_gap * interval_us, values[late_gap]),
        (start_us + 899 * interval_us, values[899]),
    ]
    params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count, slots_per_day=288)
    day_start_us = np.array([start_us + d * DAY_US for d in range(8)], np.int64)
    _assert_kernel_matches_reference([(readings, params)], day_start_us)


def test_spikes_on_values_too_large_for_the_cheap_screen_give_the_reference_result() -> None:
    """Values past the screen's bound (1 TWh per interval and more) skip the screen and still get the exact rule."""
    interval_us = 15 * MINUTE_US
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    slot_count = 700
    base = 3 << 40
    values = [base + 1000 * (slot % 7) for slot in range(slot_count)]
    values[100] = base * 3
    values[650] = base // 3
    readings = [(start_us + slot * interval_us, value) for slot, value in enumerate(values)]
    params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count, spike_ratio_permille=500)
    day_start_us = np.array([start_us + d * DAY_US for d in range(9)], np.int64)
    kernel = _assert_kernel_matches_reference([(readings, params)], day_start_us)
    assert int(kernel[3][0, k.RULE_SPIKE]) == 2


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), slot_count=st.integers(600, 2000), late_count=st.integers(0, 6),
       spike_ratio_permille=st.sampled_from([400, 1500, 3000, 9000]))
def test_kernel_matches_reference_on_long_series_with_late_readings(
        seed: int, slot_count: int, late_count: int, spike_ratio_permille: int) -> None:
    """Long, mostly in-order series (placement checks spikes and runs block by block as it goes) plus readings
    that arrive after the rest for early slots: duplicates, conflicts, gap fills and misaligned stamps."""
    rng = np.random.default_rng(seed)
    interval_us = 5 * MINUTE_US
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    readings = _long_series_with_faults(rng, slot_count, interval_us, start_us)
    for _ in range(late_count):
        slot = int(rng.integers(0, slot_count))
        stamp = start_us + slot * interval_us + (MINUTE_US if rng.integers(0, 5) == 0 else 0)
        readings.append((stamp, int(rng.integers(0, 3000))))
    params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count,
                          spike_ratio_permille=spike_ratio_permille, spike_floor_wh=10, flat_run_min=12,
                          never_idle=True, zero_run_min=6, interp_gap_max=12, like_day_days_max=2, slots_per_day=288)
    day_start_us = np.array([start_us + d * DAY_US for d in range(9)], np.int64)
    _assert_kernel_matches_reference([(readings, params)], day_start_us)


def test_a_three_slot_run_at_the_very_end_of_the_grid_is_flagged() -> None:
    """The run screen covers centres 2..n-3, so a run whose only middle slot is n-2 must still be found, for
    grid lengths either side of a screen block's edge."""
    interval_us = 5 * MINUTE_US
    start_us = 1_700_000_000_000_000 - 1_700_000_000_000_000 % DAY_US
    for slot_count in (127, 128, 129, 130):
        values = [1000 + 37 * (slot % 11) for slot in range(slot_count)]
        values[-3:] = [555, 555, 555]
        readings = [(start_us + slot * interval_us, value) for slot, value in enumerate(values)]
        params = SeriesParams(start_us=start_us, interval_us=interval_us, slot_count=slot_count, flat_run_min=3,
                              slots_per_day=288)
        day_start_us = np.array([start_us, start_us + DAY_US], np.int64)
        kernel = _assert_kernel_matches_reference([(readings, params)], day_start_us)
        assert int(kernel[3][0, k.RULE_FLAT_LINE]) == 3


def _assert_kernel_numpy_and_reference_agree(cases, day_start_us: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """The numba kernel and the numpy version give identical arrays, and each series matches the reference."""
    inputs = _kernel_inputs(cases)
    total = int(inputs[3][-1])
    kernel = _run(k.vee_kernel, inputs, day_start_us, total)
    numpy_result = _run(vee_numpy, inputs, day_start_us, total)
    for array_kernel, array_numpy in zip(kernel, numpy_result):
        np.testing.assert_array_equal(array_kernel, array_numpy)
    _assert_each_series_matches_reference(cases, inputs[3], kernel, day_start_us)
