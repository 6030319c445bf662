"""Channel declarations of the campus file (`[[channels]]`, plain JSON from campus.load_channel_declarations) as
typed values, and what the rest of the connectors need from them and from the campus meter: the multiplier in
force at a reading's time, the derivation rules, and each protocol's channel type.

The multiplier is the campus model's, versioned by effective time (a device exchange with another CT/VT ratio
is a new device in `meters[].devices`); it applies only to a channel that reports secondary values, so a
primary-reporting meter's ratio is never applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from campus import Device, Meter, StorageAsset
from connectors.intervals import ChannelRules
from connectors.levels import LevelRules
from connectors.modbus import ModbusChannel, RegisterDataType, RegisterTable, WordOrder
from connectors.opcua import OpcUaChannel
from connectors.reading import ChannelInvalid, EnergyUnit
from connectors.sparkplug import SparkplugChannel


@dataclass(frozen=True)
class ChannelDeclaration:
    """One `[[channels]]` entry: a meter channel's register, its scale and its protocol address (plain JSON)."""

    meter_id: str
    channel: str
    protocol: str
    unit: EnergyUnit
    scale_power_of_ten: int
    reports_secondary: bool
    register_modulus: int | None
    billing: bool
    address: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.meter_id, self.channel


def declarations_from_campus(entries: Sequence[Mapping[str, Any]]) -> list[ChannelDeclaration]:
    """The checked campus document's channel entries as declarations, in file order."""
    return [ChannelDeclaration(
        meter_id=entry["meter"], channel=entry.get("channel", "main"), protocol=entry["protocol"],
        unit=EnergyUnit(entry["unit"]), scale_power_of_ten=int(entry.get("scale_power_of_ten", 0)),
        reports_secondary=entry.get("reports", "primary") == "secondary",
        register_modulus=int(entry["register_modulus"]) if entry.get("register_modulus") else None,
        billing=bool(entry.get("billing", True)), address=entry[entry["protocol"]],
    ) for entry in entries]


def multiplier_at(declaration: ChannelDeclaration, meter: Meter, at_utc: datetime) -> Decimal:
    """The factor from scaled register to primary Wh at `at_utc`: 1 for a primary-reporting channel, else the
    CT × VT ratio of the device serving the meter then. Raises ChannelInvalid when no device served it."""
    if not declaration.reports_secondary:
        return Decimal(1)
    multiplier = meter.multiplier_at(at_utc)
    if multiplier is None:
        raise ChannelInvalid("reports", f"meter {meter.meter_id} had no device in service at {at_utc.isoformat()}")
    return multiplier


def register_modulus_wh(declaration: ChannelDeclaration, multiplier: Decimal) -> int | None:
    if declaration.register_modulus is None:
        return None
    exact_wh = Decimal(declaration.register_modulus).scaleb(declaration.scale_power_of_ten)
    return int(exact_wh * declaration.unit.wh_per_unit * multiplier)


def channel_rules(declaration: ChannelDeclaration, meter: Meter, at_utc: datetime) -> ChannelRules:
    """How the channel's readings become intervals: the meter's interval, the register's modulus in primary Wh,
    the meter's rating as the power limit, and each device's exchange reads in primary Wh."""
    multiplier = multiplier_at(declaration, meter, at_utc)
    power_max_w = None if meter.rated_kw is None else meter.rated_kw * 1000
    return ChannelRules(meter.interval_minutes, register_modulus_wh(declaration, multiplier), power_max_w,
                        install_reads_wh=_exchange_reads_wh(declaration, meter, lambda d: d.install_read_meter_units),
                        removal_reads_wh=_exchange_reads_wh(declaration, meter, lambda d: d.removal_read_meter_units))


def _exchange_reads_wh(declaration: ChannelDeclaration, meter: Meter,
                       read_of: Callable[[Device], Decimal | None]) -> dict[str, int]:
    """Device serial -> its register at installation or removal in primary Wh: the displayed read (meter's unit)
    times the device's own CT x VT ratio when the channel reports secondary values, as its readings are."""
    if meter.unit not in tuple(EnergyUnit):
        return {}  # a fuel meter's register is no energy register (the campus file refuses reads on it)
    wh_per_unit = EnergyUnit(meter.unit).wh_per_unit
    reads_wh: dict[str, int] = {}
    for device in meter.devices:
        read = read_of(device)
        if read is not None:
            factor = device.multiplier if declaration.reports_secondary else Decimal(1)
            exact_wh = read * wh_per_unit * factor
            reads_wh[device.serial] = int(exact_wh.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return reads_wh


def state_of_charge_asset(declaration: ChannelDeclaration, assets: Sequence[StorageAsset]) -> StorageAsset | None:
    """The battery whose state of charge the channel carries (its discharge meter's `state_of_charge_channel`), or
    None: such a channel is a level, never differenced (connectors.levels); every other channel is a register."""
    for asset in assets:
        if (asset.discharge_meter_id, asset.state_of_charge_channel) == declaration.key:
            return asset
    return None


def level_rules(meter: Meter, asset: StorageAsset) -> LevelRules:
    """A state-of-charge channel's rules: the meter's interval, the battery's usable capacity as the largest level,
    and a level held at most one interval (a level older than that says nothing of the interval's end)."""
    return LevelRules(meter.interval_minutes, asset.capacity_wh_usable, timedelta(minutes=meter.interval_minutes))


def modbus_channel(declaration: ChannelDeclaration, multiplier: Decimal) -> ModbusChannel:
    address = declaration.address
    return ModbusChannel(
        declaration.meter_id, declaration.channel, address["host"], int(address.get("port", 502)),
        int(address["device_id"]), int(address["address"]), RegisterTable(address.get("table", "holding")),
        RegisterDataType(address["data_type"]), WordOrder(address.get("word_order", "big")),
        bool(address.get("byte_swap", False)), declaration.scale_power_of_ten, declaration.unit, multiplier,
        declaration.register_modulus, timedelta(milliseconds=int(address.get("poll_ms", 1000))), declaration.billing)


def opcua_channel(declaration: ChannelDeclaration, multiplier: Decimal) -> OpcUaChannel:
    address = declaration.address
    return OpcUaChannel(
        declaration.meter_id, declaration.channel, address["endpoint_url"], address["namespace_uri"],
        address["node_identifier"], declaration.unit, declaration.scale_power_of_ten, multiplier,
        declaration.register_modulus, timedelta(milliseconds=int(address.get("sampling_ms", 1000))))


def sparkplug_channel(declaration: ChannelDeclaration, multiplier: Decimal) -> SparkplugChannel:
    address = declaration.address
    return SparkplugChannel(
        declaration.meter_id, declaration.channel, address["group_id"], address["edge_node_id"],
        address.get("device_id"), address["metric_name"], declaration.unit, declaration.scale_power_of_ten,
        multiplier, declaration.register_modulus)
