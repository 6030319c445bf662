"""Meter registry entries as VEE and ingest see them, and the per-role VEE thresholds.

A `MeterSpec` mirrors a row of the `meter` table (0001_core). Thresholds come from the meter's role
unless the spec carries its own `thresholds`, so a noisy turbine can be tuned without touching the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = (
    "generation",
    "fuel",
    "grid_import",
    "export",
    "tenant_consumption",
    "shared_consumption",
)


@dataclass(frozen=True)
class VeeThresholds:
    """Limits for the per-meter VEE rules. Durations are minutes so they hold for any interval length."""

    one_way: bool = True
    """A one-way channel never reads negative energy (every role we have is one-way)."""
    capacity_margin_permille: int = 1100
    """A reading above rated_kw x interval x this/1000 is impossible, not merely high."""
    spike_ratio_permille: int = 3000
    """Spike: |value - rolling median of 5| exceeds median x this/1000 plus `spike_floor_wh`."""
    spike_floor_wh: int = 1000
    spike_floor_rated_permille: int = 0
    """Raises the spike floor to this share of the meter's rated energy per interval, where it is rated."""
    flat_run_minutes_min: int = 360
    """A run of identical non-zero values at least this long is a stuck register."""
    never_idle: bool = False
    """Meters that never idle (tenant loads): a run of zeros is a fault, not a quiet hour."""
    zero_run_minutes_min: int = 60
    interpolate_gap_minutes_max: int = 60
    """Gaps up to this long are interpolated linearly; longer ones take a like-day profile."""
    like_day_search_days_max: int = 7


# Why the role defaults differ: a generator held at a dispatch cap reads flat for hours, so only a full day
# flat is a stuck register; grid import and export are what is left of the campus balance and swing by a good
# part of the interconnection rating from one interval to the next, so a spike there must be larger than half
# of it.
ROLE_THRESHOLDS: dict[str, VeeThresholds] = {
    "generation": VeeThresholds(flat_run_minutes_min=1440),
    "fuel": VeeThresholds(flat_run_minutes_min=1440),
    "grid_import": VeeThresholds(flat_run_minutes_min=720, spike_floor_rated_permille=500),
    "export": VeeThresholds(flat_run_minutes_min=720, spike_floor_rated_permille=500),
    "tenant_consumption": VeeThresholds(never_idle=True, spike_ratio_permille=1000),
    "shared_consumption": VeeThresholds(never_idle=True),
}


@dataclass(frozen=True)
class MeterSpec:
    """One meter: `unit` is what its files report in, `interval_minutes` its interval length.

    `parent_meter_id` names the main meter this one is a sub-meter of (sum-of-sub-meters rule);
    `generator_meter_id` names, for a fuel meter, the generator it feeds (heat-rate rule).
    """

    meter_id: str
    role: str
    unit: str
    interval_minutes: int
    tenant_id: str | None = None
    rated_kw: int | None = None
    parent_meter_id: str | None = None
    generator_meter_id: str | None = None
    thresholds: VeeThresholds | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        assert self.role in ROLES, f"unknown role {self.role!r}"
        assert self.interval_minutes in (5, 15, 30, 60), f"interval {self.interval_minutes} min"
        assert (self.role == "tenant_consumption") == (self.tenant_id is not None), self.meter_id

    def vee_thresholds(self) -> VeeThresholds:
        return self.thresholds or ROLE_THRESHOLDS[self.role]

    def spike_floor_wh(self) -> int:
        limits = self.vee_thresholds()
        if self.rated_kw is None:
            return limits.spike_floor_wh
        rated_wh = self.rated_kw * self.interval_minutes * 1000 // 60
        return max(limits.spike_floor_wh, rated_wh * limits.spike_floor_rated_permille // 1000)

    def capacity_wh_per_interval_max(self) -> int:
        """Highest plausible energy in one interval; -1 when the meter has no rating."""
        if self.rated_kw is None:
            return -1
        margin_permille = self.vee_thresholds().capacity_margin_permille
        # kW x minutes / 60 x 1000 Wh/kWh: exact in integers, then the margin.
        return self.rated_kw * self.interval_minutes * 1000 * margin_permille // (60 * 1000)
