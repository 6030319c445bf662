"""Accumulate VEE results over chunks and build the JSON-serializable VEE report.

The data-quality score is the share of expected intervals that arrived valid and unsuspected, in
percent with two decimals (ROUND_HALF_EVEN), per meter and for the whole cycle. A meter's expected
intervals are those of its service window inside the period; its hourly sums (for the cross-meter rules)
still span the whole period, zero where it was not in service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pyarrow as pa

from meterdata import kernels as k
from meterdata.grid import FLAG_EDITED, MICROS_PER_MINUTE, GridPlan
from meterdata.schema import QUALITY_ESTIMATED, QUALITY_SUSPECT
from meterdata.series import SeriesChunk
from meterdata.specs import MeterSpec
from meterdata.state_of_charge import state_of_charge_table

MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE
REGISTER_TOLERANCE_PERMILLE = 10
REGISTER_FLOOR_WH = 1000


@dataclass
class VeeTally:
    hour_aligned: bool
    period_start_us: int
    period_end_us: int
    reading_count: int = 0
    estimated_count: int = 0
    edited: dict[str, int] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    slots_expected: dict[str, int] = field(default_factory=dict)
    slots_good: dict[str, int] = field(default_factory=dict)
    hourly_wh: dict[str, np.ndarray] = field(default_factory=dict)
    registers: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    state_of_charge: dict[str, list[pa.Table]] = field(default_factory=dict)
    """Asset id -> its state-of-charge readings (STATE_OF_CHARGE_SCHEMA), kept apart from the energy."""

    def add_series(
        self, keys: list[tuple[str, str]], specs: list[MeterSpec], plan: GridPlan, value: np.ndarray,
        flags: np.ndarray, counts: np.ndarray, quality: np.ndarray,
    ) -> None:
        """`quality`: the validated grid's quality bits per slot (meterdata.grid.quality_from_flags: VEE's own
        estimates and edits, and the bits a kept value's source gave it)."""
        marked = QUALITY_ESTIMATED | QUALITY_SUSPECT
        for s, (meter_id, _channel) in enumerate(keys):
            lo, hi = int(plan.slot_offsets[s]), int(plan.slot_offsets[s + 1])
            series_flags, series_quality = flags[lo:hi], quality[lo:hi]
            self.counts[meter_id] = self.counts.get(meter_id, np.zeros(k.COUNT_COLUMNS, np.int64)) + counts[s]
            self.slots_expected[meter_id] = self.slots_expected.get(meter_id, 0) + (hi - lo)
            # Valid and unsuspected: present without a rule's flag, and not marked estimated or suspect by its source.
            present = (series_flags == k.FLAG_PRESENT) | (series_flags == (k.FLAG_PRESENT | k.FLAG_DUPLICATE))
            good = np.count_nonzero(present & ((series_quality & marked) == 0))
            self.slots_good[meter_id] = self.slots_good.get(meter_id, 0) + int(good)
            edited = int(np.count_nonzero(series_flags & FLAG_EDITED))
            # An edit's slot is only "edited" (quality_from_flags), so it is never counted estimated here.
            self.estimated_count += int(np.count_nonzero(series_quality & QUALITY_ESTIMATED))
            self.edited[meter_id] = self.edited.get(meter_id, 0) + edited
            if self.hour_aligned:
                self._add_hourly(meter_id, specs[s], int(plan.start_us[s]), value[lo:hi])

    def _add_hourly(self, meter_id: str, spec: MeterSpec, start_us: int, series_wh: np.ndarray) -> None:
        per_hour = 60 // spec.interval_minutes
        interval_us = spec.interval_minutes * MICROS_PER_MINUTE
        period_slots = (self.period_end_us - self.period_start_us) // interval_us
        if series_wh.shape[0] != period_slots:
            # A meter in service for part of the period: place its slots on the period's grid, zero elsewhere.
            lead = (start_us - self.period_start_us) // interval_us
            padded = np.zeros(period_slots, np.int64)
            padded[lead:lead + series_wh.shape[0]] = series_wh
            series_wh = padded
        whole = series_wh.shape[0] // per_hour * per_hour
        hourly = series_wh[:whole].reshape(-1, per_hour).sum(axis=1)
        previous = self.hourly_wh.get(meter_id)
        self.hourly_wh[meter_id] = hourly if previous is None else previous + hourly

    def add_registers(self, chunk: SeriesChunk, indices: list[int]) -> None:
        for i in indices:
            lo, hi = int(chunk.offsets[i]), int(chunk.offsets[i + 1])
            meter_id = chunk.keys[i][0]
            self.registers[meter_id] = (chunk.ts_us[lo:hi].copy(), chunk.energy_wh[lo:hi].copy())

    def add_state_of_charge(self, chunk: SeriesChunk, index: int, asset_id: str, interval_minutes: int) -> None:
        lo, hi = int(chunk.offsets[index]), int(chunk.offsets[index + 1])
        series = chunk.table.slice(lo, hi - lo)
        self.state_of_charge.setdefault(asset_id, []).append(state_of_charge_table(asset_id, interval_minutes, series))

    def state_of_charge_tables(self) -> dict[str, pa.Table]:
        return {asset_id: pa.concat_tables(tables) for asset_id, tables in self.state_of_charge.items()}

    def hourly_complete(self, hours: int) -> dict[str, np.ndarray]:
        return {m: h for m, h in self.hourly_wh.items() if h.shape[0] == hours}

    def register_mismatch_counts(self) -> dict[str, int]:
        """Register deltas between hour-aligned reads against the validated interval sum in between."""
        counts: dict[str, int] = {}
        for meter_id, (ts_us, register_wh) in self.registers.items():
            hourly = self.hourly_wh.get(meter_id)
            if hourly is None:
                continue
            order = np.argsort(ts_us, kind="stable")
            offsets_us = ts_us[order] - self.period_start_us
            aligned = (offsets_us % MICROS_PER_HOUR == 0) & (offsets_us >= 0)
            hours = offsets_us[aligned] // MICROS_PER_HOUR
            reads = register_wh[order][aligned]
            cumulative = np.concatenate(([0], np.cumsum(hourly)))
            inside = hours <= hourly.shape[0]
            hours, reads = hours[inside], reads[inside]
            interval_delta = np.diff(cumulative[hours])
            register_delta = np.diff(reads)
            allowed = np.abs(register_delta) * REGISTER_TOLERANCE_PERMILLE // 1000 + REGISTER_FLOOR_WH
            counts[meter_id] = int(np.count_nonzero(np.abs(register_delta - interval_delta) > allowed))
        return counts


def score_text(good: int, expected: int) -> str:
    if expected == 0:
        return "100.00"
    share = Decimal(100 * good) / Decimal(expected)
    return str(share.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def build_report(tally: VeeTally, cross: dict[str, dict[str, int]]) -> dict[str, object]:
    meters = sorted(tally.counts)
    rules: dict[str, dict[str, int]] = {}
    for column, name in enumerate(k.RULE_NAMES):
        rules[name] = {m: int(tally.counts[m][column]) for m in meters}
    rules["register_vs_interval"] = tally.register_mismatch_counts()
    rules.update(cross)
    estimation = {
        "linear": {m: int(tally.counts[m][k.COUNT_ESTIMATED_LINEAR]) for m in meters},
        "like_day": {m: int(tally.counts[m][k.COUNT_ESTIMATED_LIKE_DAY]) for m in meters},
        "unestimated": {m: int(tally.counts[m][k.COUNT_UNESTIMATED]) for m in meters},
        "manual": {m: tally.edited.get(m, 0) for m in meters},
    }
    per_meter = {
        m: {
            "score": score_text(tally.slots_good[m], tally.slots_expected[m]),
            "intervals_expected": tally.slots_expected[m],
            "intervals_valid": tally.slots_good[m],
        }
        for m in meters
    }
    good_total = sum(tally.slots_good.values())
    expected_total = sum(tally.slots_expected.values())
    return {
        "rules": rules,
        "estimation": estimation,
        "meters": per_meter,
        "score": score_text(good_total, expected_total),
        "reading_count": tally.reading_count,
        "intervals_expected": expected_total,
        "intervals_estimated": tally.estimated_count,
        "cross_checks": "hourly" if tally.hour_aligned else "skipped: period does not start on the hour",
    }
