"""Modbus register decoding: word order, byte swap, 32/64-bit integers and floats, scaling to primary Wh, and
the refusal of float registers too coarse for billing. Expected values are worked by hand from the IEEE/two's
complement encodings written out in each test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors import ChannelInvalid, EnergyUnit, ReadingQuality
from connectors.modbus import ModbusChannel, RegisterDataType, RegisterTable, WordOrder, modbus_reading
from connectors.modbus.poller import next_stretch, stagger_offsets

AT = datetime(2026, 12, 7, 9, 15, tzinfo=UTC)

BASE = ModbusChannel(
    meter_id="M1", channel="energy_delivered", host="10.0.0.5", port=502, device_id=1, address=3203,
    table=RegisterTable.HOLDING, data_type=RegisterDataType.INT64, word_order=WordOrder.BIG, byte_swap=False,
    scale_power_of_ten=0, unit=EnergyUnit.WH, multiplier=Decimal(1), register_modulus=None,
    poll_period=timedelta(seconds=1))


def read(channel: ModbusChannel, registers: list[int]) -> tuple[int | None, ReadingQuality, str | None]:
    reading, refusal = modbus_reading(channel, registers, AT, AT)
    return reading.register_wh, reading.quality, refusal


def test_int64_big_word_order_is_high_word_first() -> None:
    # 123,456,789,012 = 0x0000_001C_BE99_1A14
    assert read(BASE, [0x0000, 0x001C, 0xBE99, 0x1A14]) == (123_456_789_012, ReadingQuality.GOOD, None)


def test_int64_little_word_order_is_low_word_first() -> None:
    little = replace(BASE, word_order=WordOrder.LITTLE)
    assert read(little, [0x1A14, 0xBE99, 0x001C, 0x0000])[0] == 123_456_789_012
    # The same words read with the wrong order give a different (wild) number, never the right one.
    assert read(BASE, [0x1A14, 0xBE99, 0x001C, 0x0000])[0] == 0x1A14_BE99_001C_0000


def test_byte_swap_swaps_bytes_inside_each_register() -> None:
    swapped = replace(BASE, byte_swap=True)
    assert read(swapped, [0x0000, 0x1C00, 0x99BE, 0x141A])[0] == 123_456_789_012


def test_uint32_kwh_with_tenths_scale_and_ct_vt_multiplier() -> None:
    # raw 12,345 × 10^-1 kWh = 1,234.5 kWh secondary; × CT·VT 400 = 493,800 kWh = 493,800,000 Wh primary
    channel = replace(BASE, data_type=RegisterDataType.UINT32, unit=EnergyUnit.KWH, scale_power_of_ten=-1,
                      multiplier=Decimal(400))
    assert read(channel, [0x0000, 0x3039]) == (493_800_000, ReadingQuality.GOOD, None)


def test_uint32_near_wrap_and_int32_negative() -> None:
    uint32 = replace(BASE, data_type=RegisterDataType.UINT32)
    assert read(uint32, [0xFFFF, 0xFED8])[0] == 4_294_967_000
    int32 = replace(BASE, data_type=RegisterDataType.INT32)
    assert read(int32, [0xFFFF, 0xFA24])[0] == -1_500  # a net (delivered − received) register may go negative


def test_float32_kwh_becomes_exact_wh() -> None:
    # 12,345.5 = 0x4640_E600 → 12,345,500 Wh
    channel = replace(BASE, data_type=RegisterDataType.FLOAT32, unit=EnergyUnit.KWH)
    assert read(channel, [0x4640, 0xE600]) == (12_345_500, ReadingQuality.GOOD, None)


def test_float64_wh_rounds_half_to_even_once() -> None:
    # 987,654,321.25 Wh = 0x41CD_6F34_58A0_0000 (Siemens PAC double Wh) → 987,654,321 Wh
    channel = replace(BASE, data_type=RegisterDataType.FLOAT64)
    assert read(channel, [0x41CD, 0x6F34, 0x58A0, 0x0000])[0] == 987_654_321


def test_float32_kwh_register_at_2_6e9_kwh_is_refused_as_billing_channel() -> None:
    # 2.6e9 kWh = 0x4F1A_F8DA: beyond 2^24 kWh a float32 steps by 256 kWh here, coarser than a class 0.2 meter.
    channel = replace(BASE, data_type=RegisterDataType.FLOAT32, unit=EnergyUnit.KWH)
    register_wh, quality, refusal = read(channel, [0x4F1A, 0xF8DA])
    assert (register_wh, quality) == (None, ReadingQuality.BAD)
    assert refusal is not None and "billing precision" in refusal
    # Declared as a non-billing (indicative) channel the same value passes.
    assert read(replace(channel, billing=False), [0x4F1A, 0xF8DA])[0] == 2_600_000_000_000


def test_byte_swapped_float_fails_the_range_check() -> None:
    # 1,234,567.0 = 0x4996_B438; a device that swaps bytes sends 0x9649 0x38B4, which decodes to −1.6e−25.
    channel = replace(BASE, data_type=RegisterDataType.FLOAT32, unit=EnergyUnit.KWH)
    assert read(channel, [0x9649, 0x38B4])[1] is ReadingQuality.UNCERTAIN
    assert read(replace(channel, byte_swap=True), [0x9649, 0x38B4]) == (1_234_567_000, ReadingQuality.GOOD, None)


def test_nan_register_is_bad() -> None:
    channel = replace(BASE, data_type=RegisterDataType.FLOAT32)
    register_wh, quality, refusal = read(channel, [0x7FC0, 0x0000])
    assert (register_wh, quality) == (None, ReadingQuality.BAD) and refusal == "register holds nan"


@pytest.mark.parametrize(("field", "value"), [
    ("port", 0), ("device_id", 0), ("address", 65_533), ("multiplier", Decimal(0)), ("scale_power_of_ten", 12),
    ("poll_period", timedelta(0)), ("register_modulus", 0), ("host", ""),
])
def test_impossible_channel_names_its_field(field: str, value: object) -> None:
    with pytest.raises(ChannelInvalid) as caught:
        replace(BASE, **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_polls_are_staggered_over_the_period() -> None:
    channels = [replace(BASE, channel=f"c{index}") for index in range(4)]
    offsets = stagger_offsets(channels)
    assert [offsets[channel] for channel in channels] == [timedelta(milliseconds=ms) for ms in (0, 250, 500, 750)]


def test_poll_period_stretches_under_back_pressure_and_recovers() -> None:
    period = timedelta(seconds=1)
    assert next_stretch(1, timedelta(seconds=0.6), period, 8) == 2
    assert next_stretch(8, timedelta(seconds=3), period, 8) == 8
    assert next_stretch(4, timedelta(seconds=0.3), period, 8) == 4
    assert next_stretch(4, timedelta(seconds=0.01), period, 8) == 2
