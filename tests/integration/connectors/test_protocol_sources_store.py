"""Modbus TCP, OPC UA and Sparkplug B sources through the real batching sink and connector store into
PostgreSQL: what each protocol delivers lands as rows keyed by (campus, meter, channel, source time) with its
quality and historical flag, and a source restarted over the same data adds no row (duplicates counted).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from asyncua import ua
from pymodbus.server import ModbusTcpServer
from sqlalchemy import Engine, text

from connectors import EnergyUnit
from connectors import repository as repo
from connectors.modbus import (
    ModbusChannel,
    ModbusPollSettings,
    ModbusSource,
    RegisterDataType,
    RegisterTable,
    WordOrder,
)
from connectors.opcua import OpcUaChannel, OpcUaSettings, OpcUaSource
from connectors.reading import Delivery
from connectors.sink import BatchingSink, SinkSettings
from connectors.sparkplug import SparkplugChannel, SparkplugHost, SparkplugSettings
from connectors.store import BatchOutcome, commit_batch
from tests.integration.connectors.conftest import Broker, apply_live_campus, free_port
from tests.integration.connectors.sparkplug_edge import EDGE, GROUP, EdgeNode, now_ms
from tests.integration.connectors.test_modbus_source import HOLDING, meter_device
from tests.integration.connectors.test_opcua_source import NAMESPACE_URI, meter_server

MEASURED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
Row = tuple[str, datetime, int | None, str, bool]


def rows(engine: Engine, campus_id: str) -> list[Row]:
    with engine.begin() as conn:
        found = conn.execute(text(
            "SELECT channel, source_ts_utc, register_wh, quality, historical FROM connector_reading"
            " WHERE campus_id = :c ORDER BY channel, source_ts_utc"), {"c": campus_id}).all()
    return [tuple(row) for row in found]  # type: ignore[misc]


def duplicates(engine: Engine, campus_id: str) -> int:
    with engine.begin() as conn:
        return sum(status.duplicate_count for status in repo.channel_statuses(conn, campus_id))


async def wait_until(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


class Running:
    """A batching sink committing to the store and one source, both running until `stop`."""

    def __init__(self, engine: Engine, data_root: str, campus_id: str) -> None:
        def commit(batch: Sequence[Delivery]) -> BatchOutcome:
            return commit_batch(engine, data_root, campus_id, batch)

        self.sink = BatchingSink(commit, SinkSettings(batch_wait_ms=50))
        self.tasks: list[asyncio.Task[None]] = [asyncio.create_task(self.sink.run())]

    def start(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.tasks.append(asyncio.create_task(run()))

    async def stop(self) -> None:
        for task in reversed(self.tasks):
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        self.tasks.clear()


async def test_modbus_polls_are_stored(engine: Engine, data_root: str) -> None:
    port = free_port()
    server = ModbusTcpServer([meter_device(1)], address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    # INT64 Wh 123,456,789,012 high word first at offset 3203; UINT32 kWh 12,345 × 10^-1 low word first at 100
    await server.async_setValues(1, HOLDING, 3203, [0x0000, 0x001C, 0xBE99, 0x1A14])
    await server.async_setValues(1, HOLDING, 100, [0x3039, 0x0000])
    base = ModbusChannel(
        meter_id="GT1-GEN", channel="delivered", host="127.0.0.1", port=port, device_id=1, address=3203,
        table=RegisterTable.HOLDING, data_type=RegisterDataType.INT64, word_order=WordOrder.BIG, byte_swap=False,
        scale_power_of_ten=0, unit=EnergyUnit.WH, multiplier=Decimal(1), register_modulus=None,
        poll_period=timedelta(milliseconds=200))
    scaled = replace(base, meter_id="PV1-GEN", address=100, data_type=RegisterDataType.UINT32,
                     word_order=WordOrder.LITTLE, unit=EnergyUnit.KWH, scale_power_of_ten=-1)
    campus_id = apply_live_campus(engine)
    running = Running(engine, data_root, campus_id)
    running.start(ModbusSource([base, scaled], running.sink, ModbusPollSettings()).run)
    try:
        await wait_until(lambda: {r[2] for r in rows(engine, campus_id)} == {123_456_789_012, 1_234_500}
                         and len(rows(engine, campus_id)) >= 4)
    finally:
        await running.stop()
        await server.shutdown()  # type: ignore[no-untyped-call]
    stored = rows(engine, campus_id)
    assert all(quality == "good" and not historical for _, _, _, quality, historical in stored)


async def test_opcua_notifications_are_stored_at_source_time_and_a_restart_adds_nothing(
        engine: Engine, data_root: str) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}/meter"
    server, meter = await meter_server(url)
    channel = OpcUaChannel(meter_id="GT1-GEN", channel="delivered", endpoint_url=url, namespace_uri=NAMESPACE_URI,
                           node_identifier="s=M1.EnergyDelivered", unit=EnergyUnit.WH,
                           sampling_period=timedelta(milliseconds=50))
    settings = OpcUaSettings(publishing_interval=timedelta(milliseconds=50))
    campus_id = apply_live_campus(engine)
    async with server:
        await meter.write(meter.delivered, 10_000, ua.VariantType.UInt64, MEASURED)
        running = Running(engine, data_root, campus_id)
        running.start(OpcUaSource([channel], running.sink, settings).run)
        try:
            await wait_until(lambda: len(rows(engine, campus_id)) == 1)
            await meter.write(meter.delivered, 10_500, ua.VariantType.UInt64, MEASURED + timedelta(minutes=1))
            await meter.write(meter.delivered, None, ua.VariantType.Null, MEASURED + timedelta(minutes=2),
                              0x808B0000)  # Bad: stored for the record, no energy
            await wait_until(lambda: len(rows(engine, campus_id)) == 3)
        finally:
            await running.stop()
        # A restarted connector gets the current value again (same source time, same value): a duplicate.
        running = Running(engine, data_root, campus_id)
        running.start(OpcUaSource([channel], running.sink, settings).run)
        try:
            await wait_until(lambda: duplicates(engine, campus_id) >= 1)
        finally:
            await running.stop()
    assert rows(engine, campus_id) == [
        ("delivered", MEASURED, 10_000, "good", False),
        ("delivered", MEASURED + timedelta(minutes=1), 10_500, "good", False),
        ("delivered", MEASURED + timedelta(minutes=2), None, "bad", False),
    ]


async def test_sparkplug_births_data_replay_and_death_are_stored(engine: Engine, data_root: str,
                                                                  mosquitto: Broker) -> None:
    channel = SparkplugChannel(meter_id="GT1-GEN", channel="delivered", group_id=GROUP, edge_node_id=EDGE,
                               device_id=None, metric_name="Main/Energy Delivered", unit=EnergyUnit.WH)
    settings = SparkplugSettings(broker_host="127.0.0.1", broker_port=mosquitto.port, host_id="wattledger-store")
    campus_id = apply_live_campus(engine)
    running = Running(engine, data_root, campus_id)
    host = SparkplugHost([channel], running.sink, settings)
    running.start(host.run)
    edge = EdgeNode(mosquitto.port, bd_seq=4)
    try:
        await asyncio.wait_for(host.connected.wait(), 10)
        await asyncio.to_thread(edge.connect)
        await asyncio.to_thread(edge.birth, 70_000, 0)
        replayed_ms = now_ms() - 900_000
        await asyncio.to_thread(edge.node_data, 69_000, replayed_ms, 1, True)
        await wait_until(lambda: len(rows(engine, campus_id)) == 2)
        await asyncio.to_thread(edge.kill)
        await wait_until(lambda: len(rows(engine, campus_id)) == 3)
    finally:
        await running.stop()
    stored = rows(engine, campus_id)
    assert [(wh, quality, historical) for _, _, wh, quality, historical in stored] == [
        (69_000, "good", True), (70_000, "good", False), (None, "stale", False)]
    assert int(stored[0][1].timestamp() * 1000) == replayed_ms
