"""A Modbus TCP energy register as the campus file declares it: where it lives on the wire and how to scale it.

`address` is the protocol offset (what goes in the request), not the vendor's printed register number:
Schneider and EIG print 1-based numbers (offset = number − 1), Siemens prints the offset itself. Each value is
read in one request of `data_type.register_count` registers, so a multi-register value is never torn.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from connectors.reading import ChannelInvalid, EnergyUnit, check_channel_names, check_register_scaling

ADDRESS_MAX = 65_535
DEVICE_ID_MAX = 255  # 0 broadcast is not readable; gateways use 1..247, some TCP devices 255
REGISTERS_PER_READ_MAX = 125  # Modbus FC3/FC4 limit


class RegisterTable(enum.StrEnum):
    HOLDING = "holding"  # function code 3
    INPUT = "input"  # function code 4


class RegisterDataType(enum.StrEnum):
    UINT32 = "uint32"
    INT32 = "int32"
    UINT64 = "uint64"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def register_count(self) -> int:
        return 2 if self in (RegisterDataType.UINT32, RegisterDataType.INT32, RegisterDataType.FLOAT32) else 4

    @property
    def is_float(self) -> bool:
        return self in (RegisterDataType.FLOAT32, RegisterDataType.FLOAT64)


class WordOrder(enum.StrEnum):
    BIG = "big"  # high word in the lower register (most meters; Schneider, Siemens, EIG)
    LITTLE = "little"  # low word first (Carlo Gavazzi and others)


@dataclass(frozen=True)
class ModbusChannel:
    """One cumulative energy register of one campus meter on a Modbus TCP device.

    Primary Wh = raw × 10^`scale_power_of_ten` × `unit` × `multiplier` (the CT × VT ratio, only when the meter
    reports secondary values). `register_modulus` is where the register wraps, in raw counts (2^32, 10^8 "energy
    format" units, 1e12 Wh); None means it never wraps in the meter's life (INT64 Wh). `byte_swap` swaps the two
    bytes inside every register (BADC/DCBA devices): Modbus itself is big-endian within a register.
    """

    meter_id: str
    channel: str
    host: str
    port: int
    device_id: int
    address: int
    table: RegisterTable
    data_type: RegisterDataType
    word_order: WordOrder
    byte_swap: bool
    scale_power_of_ten: int
    unit: EnergyUnit
    multiplier: Decimal
    register_modulus: int | None
    poll_period: timedelta
    billing: bool = True  # a billing channel refuses float32 values too large to hold every unit (see decode)

    def __post_init__(self) -> None:
        check_modbus_channel(self)

    @property
    def source(self) -> str:
        return f"modbus:{self.host}:{self.port}/{self.device_id}"


def check_modbus_channel(channel: ModbusChannel) -> None:
    """Raise ChannelInvalid naming the first field that can never work."""
    check_channel_names(channel.meter_id, channel.channel)
    if not channel.host:
        raise ChannelInvalid("host", "must not be empty")
    if not 1 <= channel.port <= 65_535:
        raise ChannelInvalid("port", f"{channel.port} is not a TCP port (1..65535)")
    if not 1 <= channel.device_id <= DEVICE_ID_MAX:
        raise ChannelInvalid("device_id", f"{channel.device_id} is outside 1..{DEVICE_ID_MAX}")
    last_address = channel.address + channel.data_type.register_count - 1
    if channel.address < 0 or last_address > ADDRESS_MAX:
        raise ChannelInvalid("address", f"{channel.address} (a protocol offset, 0-based) must fit 0..{ADDRESS_MAX}")
    check_register_scaling(channel.scale_power_of_ten, channel.multiplier, channel.register_modulus)
    if channel.poll_period <= timedelta(0):
        raise ChannelInvalid("poll_period", "must be positive")
