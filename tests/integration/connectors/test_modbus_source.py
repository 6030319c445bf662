"""Modbus TCP source against a real pymodbus server in this process simulating two meters: a Schneider-style
meter (holding registers, INT64 Wh and Float32 kWh, high word first) and a Carlo Gavazzi-style meter (input
registers, low word first, UINT32 tenths of kWh behind a CT). Proves word order, 32/64-bit decoding, scaling,
Modbus exception and transport-error handling, live register changes and the back-pressure stretch.

pymodbus 3.16's server takes SimDevice/SimData (the old ModbusDeviceContext is a deprecated shim whose
async_setValues no longer writes); addresses given to SimData and async_setValues are protocol offsets.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from connectors import EnergyUnit, ReadingQuality
from connectors.modbus import (
    ModbusChannel,
    ModbusPollSettings,
    ModbusSource,
    RegisterDataType,
    RegisterTable,
    WordOrder,
)
from tests.integration.connectors.list_sink import ListSink

HOLDING = 3
INPUT = 4
REGISTERS_PER_DEVICE = 4_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def meter_device(device_id: int) -> SimDevice:
    registers = SimData(0, count=REGISTERS_PER_DEVICE, values=0, datatype=DataType.REGISTERS)
    bits = SimData(0, count=1, datatype=DataType.BITS)
    return SimDevice(id=device_id, simdata=([bits], [bits], [registers], [replace(registers)]))


@pytest.fixture(scope="module")
async def meters() -> AsyncIterator[tuple[ModbusTcpServer, int]]:
    port = free_port()
    server = ModbusTcpServer([meter_device(1), meter_device(2)], address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    # Meter 1 (device 1), holding registers, high word first.
    # Printed register 3204 (1-based) = offset 3203: INT64 Wh 123,456,789,012 = 0x0000_001C_BE99_1A14.
    await server.async_setValues(1, HOLDING, 3203, [0x0000, 0x001C, 0xBE99, 0x1A14])
    # Printed 2700 = offset 2699: Float32 kWh 12,345.5 = 0x4640_E600.
    await server.async_setValues(1, HOLDING, 2699, [0x4640, 0xE600])
    # Meter 2 (device 2), input registers, low word first.
    # Offset 52: INT64 Wh 987,654,321 = 0x0000_0000_3ADE_68B1, words sent low first.
    await server.async_setValues(2, INPUT, 52, [0x68B1, 0x3ADE, 0x0000, 0x0000])
    # Offset 100: UINT32 tenths of kWh 12,345 = 0x0000_3039, low word first; secondary, CT·VT 400.
    await server.async_setValues(2, INPUT, 100, [0x3039, 0x0000])
    yield server, port
    await server.shutdown()  # type: ignore[no-untyped-call]


def channel(port: int, name: str, **fields: object) -> ModbusChannel:
    base = ModbusChannel(
        meter_id="M1", channel=name, host="127.0.0.1", port=port, device_id=1, address=3203,
        table=RegisterTable.HOLDING, data_type=RegisterDataType.INT64, word_order=WordOrder.BIG,
        byte_swap=False, scale_power_of_ten=0, unit=EnergyUnit.WH, multiplier=Decimal(1), register_modulus=None,
        poll_period=timedelta(milliseconds=100))
    return replace(base, **fields)  # type: ignore[arg-type]


async def run_until(source: ModbusSource, done: Callable[[], bool], timeout_s: float = 10) -> None:
    task = asyncio.create_task(source.run())
    try:
        async with asyncio.timeout(timeout_s):
            while not done():
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_two_meters_decode_with_their_word_order_width_and_scale(meters: tuple[ModbusTcpServer, int]) -> None:
    _, port = meters
    channels = [
        channel(port, "int64_wh"),
        channel(port, "float32_kwh", address=2699, data_type=RegisterDataType.FLOAT32, unit=EnergyUnit.KWH),
        channel(port, "int64_wh_low_first", meter_id="M2", device_id=2, address=52, table=RegisterTable.INPUT,
                word_order=WordOrder.LITTLE),
        channel(port, "uint32_tenth_kwh_ct", meter_id="M2", device_id=2, address=100, table=RegisterTable.INPUT,
                data_type=RegisterDataType.UINT32, word_order=WordOrder.LITTLE, unit=EnergyUnit.KWH,
                scale_power_of_ten=-1, multiplier=Decimal(400)),
        # The low-word-first register read as if high word first: a wild number, never the right one.
        channel(port, "int64_wh_wrong_order", meter_id="M2", device_id=2, address=52, table=RegisterTable.INPUT),
    ]
    sink = ListSink()
    source = ModbusSource(channels, sink, ModbusPollSettings())
    await run_until(source, lambda: len(sink.latest_wh()) == len(channels))
    assert sink.latest_wh() == {
        "int64_wh": 123_456_789_012,
        "float32_kwh": 12_345_500,
        "int64_wh_low_first": 987_654_321,
        "uint32_tenth_kwh_ct": 493_800_000,  # 1,234.5 kWh × 400
        "int64_wh_wrong_order": 0x68B1_3ADE_0000_0000,
    }
    first = sink.deliveries[0]
    assert first.source == f"modbus:127.0.0.1:{port}" and first.acknowledge is None
    raw_registers = {read["channel"]: read["registers"] for delivery in sink.deliveries
                     for read in json.loads(delivery.raw_message)["reads"]}
    assert raw_registers["int64_wh"] == [0x0000, 0x001C, 0xBE99, 0x1A14]  # the words as received, for the audit
    assert all(r.quality is ReadingQuality.GOOD and r.source_ts_utc <= r.received_ts_utc
               for d in sink.deliveries for r in d.readings)


async def test_live_register_change_is_read_on_the_next_poll(meters: tuple[ModbusTcpServer, int]) -> None:
    server, port = meters
    sink = ListSink()
    source = ModbusSource([channel(port, "live", address=3000)], sink, ModbusPollSettings())
    await server.async_setValues(1, HOLDING, 3000, [0, 0, 0, 1_000])
    task = asyncio.create_task(source.run())
    try:
        async with asyncio.timeout(10):
            while sink.latest_wh().get("live") != 1_000:
                await asyncio.sleep(0.02)
            await server.async_setValues(1, HOLDING, 3000, [0, 0, 0x0001, 0x0000])  # 65,536 Wh
            while sink.latest_wh().get("live") != 65_536:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_exception_response_is_counted_and_the_other_channels_go_on(
        meters: tuple[ModbusTcpServer, int]) -> None:
    _, port = meters
    sink = ListSink()
    good = channel(port, "good")
    beyond_map = channel(port, "beyond_map", address=REGISTERS_PER_DEVICE - 2)  # 4 registers past the end
    source = ModbusSource([good, beyond_map], sink, ModbusPollSettings())
    endpoint = f"modbus:127.0.0.1:{port}"
    await run_until(source, lambda: len(sink.deliveries) >= 3 and source.counts[endpoint].exception_responses >= 3)
    counts = source.counts[endpoint]
    assert set(counts.exception_codes) == {2}  # ILLEGAL DATA ADDRESS
    assert sink.latest_wh() == {"good": 123_456_789_012}


async def test_unreachable_device_counts_transport_errors_and_delivers_nothing() -> None:
    port = free_port()  # nothing listens here
    sink = ListSink()
    source = ModbusSource([channel(port, "nobody")], sink,
                          ModbusPollSettings(request_timeout=timedelta(milliseconds=200)))
    await run_until(source, lambda: source.counts[f"modbus:127.0.0.1:{port}"].transport_errors >= 2)
    assert sink.deliveries == []


async def test_slow_store_stretches_the_poll_period(meters: tuple[ModbusTcpServer, int]) -> None:
    _, port = meters
    sink = ListSink(delay=timedelta(milliseconds=150))  # each put waits longer than half the 100 ms period
    source = ModbusSource([channel(port, "slow")], sink, ModbusPollSettings(period_stretch_max=4))
    await run_until(source, lambda: len(sink.deliveries) >= 4)
    assert source.counts[f"modbus:127.0.0.1:{port}"].period_stretch == 4


async def test_polling_resumes_after_the_device_restarts() -> None:
    port = free_port()
    server = ModbusTcpServer([meter_device(1)], address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    await server.async_setValues(1, HOLDING, 3203, [0, 0, 0, 500])
    sink = ListSink()
    source = ModbusSource([channel(port, "restarting")], sink,
                          ModbusPollSettings(request_timeout=timedelta(milliseconds=300),
                                             reconnect_delay_max=timedelta(milliseconds=200)))
    counts = source.counts[f"modbus:127.0.0.1:{port}"]
    task = asyncio.create_task(source.run())
    try:
        async with asyncio.timeout(20):
            while sink.latest_wh().get("restarting") != 500:
                await asyncio.sleep(0.02)
            await server.shutdown()  # type: ignore[no-untyped-call]
            while counts.transport_errors < 2:
                await asyncio.sleep(0.02)
            server = ModbusTcpServer([meter_device(1)], address=("127.0.0.1", port))
            await server.serve_forever(background=True)
            await server.async_setValues(1, HOLDING, 3203, [0, 0, 0, 900])
            while sink.latest_wh().get("restarting") != 900:
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await server.shutdown()  # type: ignore[no-untyped-call]
