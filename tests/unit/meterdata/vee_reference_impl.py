"""Plain-Python reference of the VEE rules and estimation, written from the kernel's documented semantics.

Deliberately naive (dicts and lists, one rule at a time) so that it is easy to check by reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise


@dataclass
class SeriesParams:
    start_us: int
    interval_us: int
    slot_count: int
    one_way: bool = True
    capacity_wh: int = -1
    spike_ratio_permille: int = 3000
    spike_floor_wh: int = 1000
    flat_run_min: int = 24
    never_idle: bool = False
    zero_run_min: int = 4
    interp_gap_max: int = 4
    like_day_days_max: int = 7
    slots_per_day: int = 96


@dataclass
class SeriesResult:
    counts: dict[str, int] = field(default_factory=dict)
    values: list[int] = field(default_factory=list)
    status: list[set[str]] = field(default_factory=list)


def reference_vee(readings: list[tuple[int, int]], p: SeriesParams, day_start_us: list[int]) -> SeriesResult:
    counts = {name: 0 for name in (
        "missing", "duplicate_identical", "duplicate_conflicting", "negative", "over_capacity", "spike",
        "flat_line", "zero_run", "misaligned", "interval_count_day", "linear", "like_day", "unestimated")}
    first: dict[int, int] = {}
    received: dict[int, int] = {}
    status: list[set[str]] = [set() for _ in range(p.slot_count)]
    for ts, value in readings:
        offset = ts - p.start_us
        if offset < 0 or offset % p.interval_us != 0 or offset // p.interval_us >= p.slot_count:
            counts["misaligned"] += 1
            continue
        slot = offset // p.interval_us
        received[slot] = received.get(slot, 0) + 1
        if slot in first:
            if first[slot] == value:
                counts["duplicate_identical"] += 1
            else:
                counts["duplicate_conflicting"] += 1
                status[slot].add("invalid")
        else:
            first[slot] = value
        if p.one_way and value < 0:
            counts["negative"] += 1
            status[slot].add("invalid")
        if p.capacity_wh >= 0 and value > p.capacity_wh:
            counts["over_capacity"] += 1
            status[slot].add("invalid")
    values = [first.get(slot, 0) for slot in range(p.slot_count)]
    valid = [slot in first and "invalid" not in status[slot] for slot in range(p.slot_count)]
    counts["missing"] = p.slot_count - len(first)
    _spikes(values, valid, status, p, counts)
    _runs(values, valid, status, p, counts)
    _days(received, p, day_start_us, counts)
    _estimate(values, valid, status, p, counts)
    return SeriesResult(counts, values, status)


def _spikes(values: list[int], valid: list[bool], status: list[set[str]], p: SeriesParams, counts: dict[str, int]) -> None:
    for slot in range(2, p.slot_count - 2):
        window = range(slot - 2, slot + 3)
        if not all(valid[j] for j in window):
            continue
        median = sorted(values[j] for j in window)[2]
        if abs(values[slot] - median) * 1000 > p.spike_ratio_permille * abs(median) + p.spike_floor_wh * 1000:
            counts["spike"] += 1
            status[slot].add("spike")


def _runs(values: list[int], valid: list[bool], status: list[set[str]], p: SeriesParams, counts: dict[str, int]) -> None:
    slot = 0
    while slot < p.slot_count:
        if not valid[slot]:
            slot += 1
            continue
        end = slot
        while end + 1 < p.slot_count and valid[end + 1] and values[end + 1] == values[slot]:
            end += 1
        length = end - slot + 1
        if values[slot] != 0 and length >= p.flat_run_min:
            counts["flat_line"] += length
            for j in range(slot, end + 1):
                status[j].add("flat_line")
        if values[slot] == 0 and p.never_idle and length >= p.zero_run_min:
            counts["zero_run"] += length
            for j in range(slot, end + 1):
                status[j].add("zero_run")
        slot = end + 1


def _days(received: dict[int, int], p: SeriesParams, day_start_us: list[int], counts: dict[str, int]) -> None:
    for day_start, day_end in pairwise(day_start_us):
        slots = [s for s in range(p.slot_count) if day_start <= p.start_us + s * p.interval_us < day_end]
        if slots and sum(received.get(s, 0) for s in slots) != len(slots):
            counts["interval_count_day"] += 1


def _estimate(values: list[int], valid: list[bool], status: list[set[str]], p: SeriesParams, counts: dict[str, int]) -> None:
    slot = 0
    while slot < p.slot_count:
        if valid[slot]:
            slot += 1
            continue
        end = slot
        while end < p.slot_count and not valid[end]:
            end += 1
        length = end - slot
        if length <= p.interp_gap_max and slot > 0 and end < p.slot_count:
            left, right = values[slot - 1], values[end]
            for i, j in enumerate(range(slot, end), start=1):
                values[j] = left + (right - left) * i // (length + 1)
                status[j].add("linear")
            counts["linear"] += length
        else:
            for j in range(slot, end):
                found = []
                for d in range(1, p.like_day_days_max + 1):
                    for other in (j - d * p.slots_per_day, j + d * p.slots_per_day):
                        if len(found) < 2 and 0 <= other < p.slot_count and valid[other]:
                            found.append(values[other])
                if found:
                    values[j] = sum(found) // len(found)
                    status[j].add("like_day")
                    counts["like_day"] += 1
                else:
                    values[j] = 0
                    status[j].add("unestimated")
                    counts["unestimated"] += 1
        slot = end
