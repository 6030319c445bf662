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
from typing import Any, Literal, get_args


class MeterRole(StrEnum):
    GENERATION = "generation"
    FUEL = "fuel"
    GRID_IMPORT = "grid_import"
    EXPORT = "export"
    TENANT = "tenant_consumption"
    SHARED = "shared_consumption"
    STORAGE_CHARGE = "storage_charge"
    """Energy into a battery (its charge meter, or the import channel of a bidirectional meter)."""
    STORAGE_DISCHARGE = "storage_discharge"
    """Energy out of a battery into the campus (the discharge meter, or the export channel)."""


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
    install_read_meter_units: Decimal | None = None
    """The register when installed, as displayed, in the meter's unit (None: 0)."""
    removal_read_meter_units: Decimal | None = None
    """The register when removed, as displayed (None: its last reading)."""

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


@dataclass(frozen=True)
class StorageAsset:
    """A battery (grid-scale BESS or a hall's UPS string) as the campus file declares it (docs/storage.md).

    Efficiencies are per mille of the energy charged that comes back out over a full cycle (round trip)."""

    asset_id: str
    charge_meter_id: str
    discharge_meter_id: str
    capacity_wh_usable: int
    power_kw_rated: int
    round_trip_efficiency_permille_min: int
    round_trip_efficiency_permille_max: int
    state_of_charge_channel: str | None = None
    """The discharge meter's channel carrying the stored energy (Wh at each interval end), when reported."""
    state_of_charge_wh_initial: int = 0
    state_of_charge_wh_min: int = 0
    losses_key: tuple[tuple[str, int], ...] = ()
    """Tenant id -> weight for the round-trip losses; empty: losses follow the tenants' discharged energy."""
    pool_method: Literal["fifo", "pro_rata"] = "fifo"
    services: tuple[StorageService, ...] = ()
    supply_prices_usd_per_mwh: tuple[tuple[str, Decimal], ...] | None = None
    """Source -> price of its charging energy; given, battery supply replaces the contract price (docs/storage.md)."""


@dataclass(frozen=True)
class StorageService:
    """Capacity of an asset reserved for one tenant's backup, billed as a fixed charge per billing month."""

    service_id: str
    tenant_id: str
    reserved_wh: int
    fee_usd_per_month: Decimal


def storage_assets(document: dict[str, Any]) -> list[StorageAsset]:
    """The `[[storage]]` of a campus file's stored document (plain JSON) as model values, in file order."""
    return [
        StorageAsset(
            asset_id=asset["id"], charge_meter_id=asset["charge_meter"], discharge_meter_id=asset["discharge_meter"],
            capacity_wh_usable=int(asset["capacity_wh_usable"]), power_kw_rated=int(asset["power_kw_rated"]),
            round_trip_efficiency_permille_min=int(asset["round_trip_efficiency_permille_min"]),
            round_trip_efficiency_permille_max=int(asset["round_trip_efficiency_permille_max"]),
            state_of_charge_channel=asset.get("state_of_charge_channel"),
            state_of_charge_wh_initial=int(asset.get("state_of_charge_wh_initial", 0)),
            state_of_charge_wh_min=int(asset.get("state_of_charge_wh_min", 0)),
            losses_key=tuple(sorted((tenant, int(weight)) for tenant, weight in
                                    (asset.get("losses_key") or {}).items())),
            pool_method=asset.get("pool_method", "fifo"),
            services=tuple(StorageService(service["id"], service["tenant"], int(service["reserved_wh"]),
                                          Decimal(str(service["fee_usd_per_month"])))
                           for service in asset.get("services") or []),
            supply_prices_usd_per_mwh=None if asset.get("supply_prices_usd_per_mwh") is None else tuple(sorted(
                (source, Decimal(str(price))) for source, price in asset["supply_prices_usd_per_mwh"].items())),
        )
        for asset in document.get("storage") or []
    ]
