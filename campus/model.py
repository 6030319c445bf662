"""The campus vocabulary every package shares: campus, meter (with its role and devices), tenant. Pure values.

A meter is a metering point: the name the campus file, the data files and every report use. The physical devices
that served it (each with its serial and CT/PT multiplier) are exchanged over time without changing the point, so
the readings of an old and a new device join into one series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal, get_args


class MeterRole(StrEnum):
    GENERATION = "generation"
    FUEL = "fuel"
    GRID_IMPORT = "grid_import"
    EXPORT = "export"
    TENANT = "tenant_consumption"
    SHARED = "shared_consumption"


IsoName = Literal["NYISO", "ERCOT", "PJM", "CAISO", "MISO", "ISONE", "SPP"]
MeterUnit = Literal["Wh", "kWh", "MWh", "MMBtu", "therm"]
IntervalMinutes = Literal[5, 15, 30, 60]

ISOS: tuple[IsoName, ...] = get_args(IsoName)
METER_UNITS: tuple[MeterUnit, ...] = get_args(MeterUnit)
INTERVAL_MINUTES: tuple[IntervalMinutes, ...] = get_args(IntervalMinutes)


@dataclass(frozen=True)
class Campus:
    campus_id: str
    name: str
    time_zone: str
    iso: str
    egrid_subregion: str | None = None
    legal_entity: str | None = None
    settlement_point: str | None = None


@dataclass(frozen=True)
class Device:
    """One physical meter that served a metering point over [installed_utc, removed_utc) (None: open)."""

    serial: str
    multiplier: Decimal
    installed_utc: datetime | None = None
    removed_utc: datetime | None = None

    def serves(self, instant_utc: datetime) -> bool:
        return (self.installed_utc is None or self.installed_utc <= instant_utc) and \
            (self.removed_utc is None or instant_utc < self.removed_utc)


@dataclass(frozen=True)
class Meter:
    meter_id: str
    role: MeterRole
    unit: str
    interval_minutes: int
    tenant_id: str | None = None
    rated_kw: int | None = None
    iso_meter_id: str | None = None
    multiplier: Decimal = Decimal(1)
    """Raw file values times this are the energy (CT ratio x PT ratio); a device's own multiplier wins."""
    active_from_utc: datetime | None = None
    active_to_utc: datetime | None = None
    devices: tuple[Device, ...] = ()
    channel: str = "main"
    carbon_free: bool = False
    fuel_type: str | None = None
    parent_meter_id: str | None = None
    """The main meter this one is a sub-meter of (VEE checks that sub-meters add up to it)."""
    generator_meter_id: str | None = None
    """For a fuel meter: the generation meter it feeds (VEE checks the heat rate)."""

    def multiplier_at(self, instant_utc: datetime) -> Decimal | None:
        """The multiplier in force at an interval start; None when no device served the point then."""
        if not self.devices:
            return self.multiplier
        for device in self.devices:
            if device.serves(instant_utc):
                return device.multiplier
        return None

    def device(self, serial: str) -> Device | None:
        return next((device for device in self.devices if device.serial == serial), None)

    def in_service(self, instant_utc: datetime) -> bool:
        return (self.active_from_utc is None or self.active_from_utc <= instant_utc) and \
            (self.active_to_utc is None or instant_utc < self.active_to_utc)


@dataclass(frozen=True)
class Tenant:
    """Occupancy in the campus's local calendar: `move_in` is the first day billed, `move_out` the first day not
    billed (None: open)."""

    tenant_id: str
    name: str
    legal_name: str | None = None
    move_in: date | None = None
    move_out: date | None = None
    invoice_prefix: str | None = None
    billing_address: str | None = None
    remit_to: str | None = None

    def occupies(self, day: date) -> bool:
        return (self.move_in is None or self.move_in <= day) and (self.move_out is None or day < self.move_out)
