"""What every live source hands the store: cumulative register readings, with the raw message they came in.

A reading is a cumulative energy register at an instant, never an interval: interval energy is a difference of
two readings, derived later, so a lost message costs timing and never energy. Sources (MQTT, Sparkplug B,
OPC UA, Modbus) build `Delivery`s; the store writes a delivery's readings and its raw message in one
transaction and only then calls `acknowledge` (for MQTT the PUBACK), so a crash before the commit loses nothing
and a redelivery after it adds nothing (readings are keyed by meter, channel and source time).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol


class ReadingQuality(enum.StrEnum):
    """The source's own verdict on a value. BAD readings are kept for the record but never differenced."""

    GOOD = "good"
    UNCERTAIN = "uncertain"  # OPC UA Uncertain, Sparkplug quality other than 192, Modbus value out of range
    BAD = "bad"  # OPC UA Bad, Sparkplug is_null or quality 0
    STALE = "stale"  # Sparkplug NDEATH: the last value is no longer current


@dataclass(frozen=True)
class RegisterReading:
    """One cumulative register value of one campus meter channel, already scaled to primary watt-hours.

    `source_ts_utc` is when the device measured it (it places the reading); `received_ts_utc` is when we got
    it (latency, clock skew). `raw_value` is the value exactly as received, before scaling, for the audit trail.
    """

    meter_id: str
    channel: str
    source_ts_utc: datetime
    received_ts_utc: datetime
    register_wh: int | None  # None for BAD or null values
    quality: ReadingQuality
    raw_value: str
    device_serial: str | None = None  # the physical meter, where the source says (never difference across two)
    historical: bool = False  # Sparkplug store-and-forward replay, OPC UA republished notifications

    def __post_init__(self) -> None:
        assert self.source_ts_utc.tzinfo is not None and self.received_ts_utc.tzinfo is not None, "naive time"


@dataclass(frozen=True)
class Delivery:
    """One message (or one poll) from one source: its readings, its raw bytes and how to acknowledge it."""

    source: str  # e.g. "mqtt:plant/meters/M1", "modbus:10.0.0.5:502/1", "opcua:opc.tcp://host:4840"
    raw_message: bytes
    readings: tuple[RegisterReading, ...]
    acknowledge: Callable[[], Awaitable[None]] | None = None  # called once, after the store commits
    # Called instead of `acknowledge` when the store could not commit: the source arranges redelivery (plain MQTT
    # drops its connection, since a broker resends un-acked messages only on reconnect); a poller need not.
    redeliver: Callable[[], Awaitable[None]] | None = None


class DeliverySink(Protocol):
    """Where sources put deliveries. `put` waits while the store is behind: back-pressure, never unbounded memory."""

    async def put(self, delivery: Delivery) -> None: ...


class EnergyUnit(enum.StrEnum):
    """The unit a device's energy register counts in, before its power-of-ten scale and CT/VT multiplier."""

    WH = "Wh"
    KWH = "kWh"
    MWH = "MWh"

    @property
    def wh_per_unit(self) -> int:
        return {EnergyUnit.WH: 1, EnergyUnit.KWH: 1_000, EnergyUnit.MWH: 1_000_000}[self]


class ChannelInvalid(ValueError):
    """A channel declaration that can never work (names the field); the campus-file parser adds file and line."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"field {field!r}: {reason}")


def check_channel_names(meter_id: str, channel: str) -> None:
    """The first check of every protocol's channel: it names a campus meter and one of its channels."""
    if not meter_id or not channel:
        raise ChannelInvalid("meter_id" if not meter_id else "channel", "must not be empty")


def check_register_scaling(scale_power_of_ten: int, multiplier: Decimal, register_modulus: int | None) -> None:
    """What every protocol's channel needs to turn a raw register into Wh (`scaled_register_wh`) and to tell a wrap."""
    if not -9 <= scale_power_of_ten <= 9:
        raise ChannelInvalid("scale_power_of_ten", f"{scale_power_of_ten} is outside -9..9")
    if not multiplier.is_finite() or multiplier <= 0:
        raise ChannelInvalid("multiplier", f"{multiplier} must be a positive number")
    if register_modulus is not None and register_modulus <= 0:
        raise ChannelInvalid("register_modulus", f"{register_modulus} must be positive")


def scaled_register_wh(raw: float, unit: EnergyUnit, scale_power_of_ten: int, multiplier: Decimal) -> int:
    """Primary watt-hours = raw × 10^scale × unit × multiplier, computed exactly and rounded once, half to even.

    A float register enters through its exact binary value (Decimal(float) is exact), so a float never rounds
    twice; `multiplier` is CT × VT ratio only when the meter reports secondary values, else 1.
    """
    exact_wh = Decimal(raw).scaleb(scale_power_of_ten) * unit.wh_per_unit * multiplier
    return int(exact_wh.to_integral_value(rounding=ROUND_HALF_EVEN))
