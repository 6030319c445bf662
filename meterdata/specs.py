"""Meter registry entries as VEE and ingest see them, and the per-role VEE thresholds.

A `MeterSpec` is a metering point (`campus.Meter`, built by `meter_spec_from_campus`) with what VEE adds.
Thresholds come from the meter's role unless the spec carries its own `thresholds`, so a noisy turbine can
be tuned without touching the rest.

Service and devices. A reading belongs to the point when its whole interval lies in the point's service
window [active_from_utc, active_to_utc) (None: open), so ingest accepts exactly the intervals VEE expects
(VEE's grid starts at the window start rounded up to an interval and ends at its end rounded down). A file
may name the point or the serial of one of its devices: a device's reading must start inside that device's
window and takes its multiplier; a reading naming the point takes the multiplier of the device serving at
its interval start, or the point's own multiplier when it lists no devices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from campus import Device, Meter, MeterRole
from common.errors import DomainError

ROLES = tuple(MeterRole)

NAME_SHOWN_CHARS_MAX = 60
"""A refused meter name is shown cut to this: the error names the value, it never echoes a long field."""


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
    MeterRole.GENERATION: VeeThresholds(flat_run_minutes_min=1440),
    MeterRole.FUEL: VeeThresholds(flat_run_minutes_min=1440),
    MeterRole.GRID_IMPORT: VeeThresholds(flat_run_minutes_min=720, spike_floor_rated_permille=500),
    MeterRole.EXPORT: VeeThresholds(flat_run_minutes_min=720, spike_floor_rated_permille=500),
    MeterRole.TENANT: VeeThresholds(never_idle=True, spike_ratio_permille=1000),
    MeterRole.SHARED: VeeThresholds(never_idle=True),
    # A battery idles for hours and holds its rated power for hours; a charge or discharge starting from zero is
    # the whole rating at once, so only a jump above the rating is a spike.
    MeterRole.STORAGE_CHARGE: VeeThresholds(flat_run_minutes_min=1440, spike_floor_rated_permille=1000),
    MeterRole.STORAGE_DISCHARGE: VeeThresholds(flat_run_minutes_min=1440, spike_floor_rated_permille=1000),
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
    multiplier: Decimal = Decimal(1)
    """Raw file values times this are the energy (CT ratio x PT ratio) when the point lists no devices."""
    active_from_utc: datetime | None = None
    active_to_utc: datetime | None = None
    devices: tuple[Device, ...] = ()
    """The physical meters that served the point, each with its serial, multiplier and window."""

    def __post_init__(self) -> None:
        assert self.role in ROLES, f"unknown role {self.role!r}"
        assert self.interval_minutes in (5, 15, 30, 60), f"interval {self.interval_minutes} min"
        assert (self.role == MeterRole.TENANT) == (self.tenant_id is not None), self.meter_id
        assert self.multiplier > 0 and all(device.multiplier > 0 for device in self.devices), self.meter_id
        for instant in (self.active_from_utc, self.active_to_utc):
            assert instant is None or instant.tzinfo is not None, f"{self.meter_id}: naive service window"
        if self.active_from_utc is not None and self.active_to_utc is not None:
            assert self.active_from_utc < self.active_to_utc, f"{self.meter_id}: empty service window"

    def in_service(self, interval_start_utc: datetime) -> bool:
        """True when the whole interval starting here lies inside the service window."""
        if self.active_from_utc is not None and interval_start_utc < self.active_from_utc:
            return False
        if self.active_to_utc is None:
            return True
        return interval_start_utc + timedelta(minutes=self.interval_minutes) <= self.active_to_utc

    def reading_multiplier(self, serial: str | None, interval_start_utc: datetime) -> Decimal:
        """The multiplier of a reading a file gives under the point's id (serial None) or a device serial.

        Raises `ReadingOutsideService` when the point or the device was not in service for the interval."""
        # The open window is checked first and inline: most points have one, and this runs once per row.
        open_window = self.active_from_utc is None and self.active_to_utc is None
        if not open_window and not self.in_service(interval_start_utc):
            raise ReadingOutsideService(
                f"interval {interval_start_utc.isoformat()} ({self.interval_minutes} min) is outside meter "
                f"{self.meter_id}'s service window {_window_text(self.active_from_utc, self.active_to_utc)}")
        if not self.devices:
            return self.multiplier
        for device in self.devices:
            if (serial is None or device.serial == serial) and device.serves(interval_start_utc):
                return device.multiplier
        if serial is None:
            raise ReadingOutsideService(
                f"no device served meter {self.meter_id} at {interval_start_utc.isoformat()}"
                f" (devices: {_devices_text(self.devices)})")
        windows = ", ".join(
            _window_text(d.installed_utc, d.removed_utc) for d in self.devices if d.serial == serial)
        raise ReadingOutsideService(
            f"interval {interval_start_utc.isoformat()} is outside device {serial}'s window {windows}"
            f" on meter {self.meter_id}")

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


class ReadingOutsideService(DomainError):
    """A reading for an interval its metering point, or the device the file names, was not in service for.
    Readers turn it into BadInput with the file, line and time field."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def meter_spec_from_campus(meter: Meter) -> MeterSpec:
    """The spec ingest and VEE use for one campus metering point (role thresholds, its sub-meter and generator
    relations)."""
    return MeterSpec(
        meter_id=meter.meter_id,
        role=MeterRole(meter.role).value,
        unit=meter.unit,
        interval_minutes=meter.interval_minutes,
        tenant_id=meter.tenant_id,
        rated_kw=meter.rated_kw,
        multiplier=meter.multiplier,
        active_from_utc=meter.active_from_utc,
        active_to_utc=meter.active_to_utc,
        devices=meter.devices,
        parent_meter_id=meter.parent_meter_id,
        generator_meter_id=meter.generator_meter_id,
    )


class ReadingNames:
    """Every name a data file may give a reading's meter: a point's meter id, or one of its devices' serials.

    Built once per file, so each row costs one dict lookup. A serial listed under two points, or equal to
    another point's id, names no point: rows using it are refused rather than guessed at.
    """

    def __init__(self, meters: Mapping[str, MeterSpec]) -> None:
        points = {spec.meter_id: spec for spec in meters.values()}
        self.by_name: dict[str, tuple[MeterSpec, str | None]] = {
            meter_id: (spec, None) for meter_id, spec in points.items()}
        owners: dict[str, set[str]] = {}
        for spec in meters.values():
            for device in spec.devices:
                owners.setdefault(device.serial, set()).add(spec.meter_id)
        self.ambiguous: dict[str, list[str]] = {}
        for serial, meter_ids in owners.items():
            if serial in self.by_name and meter_ids == {serial}:
                continue  # a device whose serial is its own point's id: the row names the point
            if serial in self.by_name or len(meter_ids) > 1:
                self.ambiguous[serial] = sorted(meter_ids | ({serial} if serial in self.by_name else set()))
                self.by_name.pop(serial, None)
                continue
            self.by_name[serial] = (points[next(iter(meter_ids))], serial)

    def unknown_reason(self, name: str) -> str:
        if name in self.ambiguous:
            return f"{name!r} names more than one meter ({', '.join(self.ambiguous[name])}): ambiguous serial"
        cut = f"... ({len(name)} characters)" if len(name) > NAME_SHOWN_CHARS_MAX else ""
        return f"unknown meter {name[:NAME_SHOWN_CHARS_MAX]!r}{cut}"


def _window_text(start_utc: datetime | None, end_utc: datetime | None) -> str:
    start = start_utc.isoformat() if start_utc is not None else "open"
    end = end_utc.isoformat() if end_utc is not None else "open"
    return f"[{start}, {end})"


def _devices_text(devices: tuple[Device, ...]) -> str:
    return ", ".join(f"{d.serial} {_window_text(d.installed_utc, d.removed_utc)}" for d in devices)
