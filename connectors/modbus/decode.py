"""Registers → register reading: word order, byte swap, data type, scaling, and the billing-precision refusal.

Pure: no I/O. pymodbus decodes the words (its byte order within a register is always big, so a BADC/DCBA device
is handled by swapping bytes here first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from pymodbus.client import AsyncModbusTcpClient

from connectors.modbus.channel import ModbusChannel, RegisterDataType
from connectors.reading import ReadingQuality, RegisterReading, scaled_register_wh

# Largest magnitude below which a float holds every whole number of its unit: 2^24 for float32 (24-bit
# mantissa), 2^53 for float64. Beyond it a kWh float32 steps by 2 kWh and more (256 kWh at 2.6 TWh), so a billing
# channel refuses the value rather than bill in steps coarser than the meter's class.
FLOAT_EXACT_MAX = {RegisterDataType.FLOAT32: 2**24, RegisterDataType.FLOAT64: 2**53}

_DATATYPE = {
    RegisterDataType.UINT32: AsyncModbusTcpClient.DATATYPE.UINT32,
    RegisterDataType.INT32: AsyncModbusTcpClient.DATATYPE.INT32,
    RegisterDataType.UINT64: AsyncModbusTcpClient.DATATYPE.UINT64,
    RegisterDataType.INT64: AsyncModbusTcpClient.DATATYPE.INT64,
    RegisterDataType.FLOAT32: AsyncModbusTcpClient.DATATYPE.FLOAT32,
    RegisterDataType.FLOAT64: AsyncModbusTcpClient.DATATYPE.FLOAT64,
}


def register_value(channel: ModbusChannel, registers: Sequence[int]) -> int | float:
    """The value the channel's registers hold, as the device means it (before scaling)."""
    assert len(registers) == channel.data_type.register_count, "one request per value"
    words = [((word & 0xFF) << 8) | (word >> 8) for word in registers] if channel.byte_swap else list(registers)
    value = AsyncModbusTcpClient.convert_from_registers(
        words, _DATATYPE[channel.data_type], word_order=channel.word_order.value)
    assert isinstance(value, int | float), "a numeric data type decodes to one number"
    return value


def billing_refusal(channel: ModbusChannel, value: float) -> str | None:
    """Why this value cannot be a reading (None when it can)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"register holds {value}"
    exact_max = FLOAT_EXACT_MAX.get(channel.data_type)
    if channel.billing and exact_max is not None and abs(value) > exact_max:
        return (f"{channel.data_type.value} value {value:.7g} {channel.unit.value} is beyond {exact_max} where the "
                f"float no longer holds every {channel.unit.value}: not billing precision, use the 64-bit integer "
                "register")
    return None


def modbus_reading(
    channel: ModbusChannel, registers: Sequence[int], source_ts_utc: datetime, received_ts_utc: datetime
) -> tuple[RegisterReading, str | None]:
    """The reading of one poll of one channel, and why it was refused (BAD, no value) if it was.

    A negative float is UNCERTAIN: cumulative float registers count up from zero, and a wrong byte or word order
    usually shows as a negative or a huge value.
    """
    value = register_value(channel, registers)
    refusal = billing_refusal(channel, value)
    if refusal is not None:
        register_wh = None
        quality = ReadingQuality.BAD
    else:
        register_wh = scaled_register_wh(value, channel.unit, channel.scale_power_of_ten, channel.multiplier)
        quality = ReadingQuality.UNCERTAIN if isinstance(value, float) and value < 0 else ReadingQuality.GOOD
    reading = RegisterReading(
        meter_id=channel.meter_id,
        channel=channel.channel,
        source_ts_utc=source_ts_utc,
        received_ts_utc=received_ts_utc,
        register_wh=register_wh,
        quality=quality,
        raw_value=repr(value),
    )
    return reading, refusal
