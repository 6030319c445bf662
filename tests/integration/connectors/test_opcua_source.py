"""OPC UA source against a real asyncua server in this process simulating a meter on a free loopback port.

Proves: nodes are found by namespace URI even when the index is not the usual 2; SourceTimestamp, not
ServerTimestamp, places readings; Uncertain is graded, Bad carries no energy; an idle register whose value does
not move still reports (STATUS_VALUE_TIMESTAMP trigger), so only a dead server goes silent; a store too slow for
the notification queue forces a reconnect and a re-read instead of dropping, and the last register is stored.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from asyncua import Server, ua
from asyncua.common.node import Node

from connectors import EnergyUnit, ReadingQuality
from connectors.opcua import ChannelNodeMissing, OpcUaChannel, OpcUaSettings, OpcUaSource
from tests.integration.connectors.list_sink import ListSink, wait_for

NAMESPACE_URI = "urn:wattledger:test:pm8000"
MEASURED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
UNCERTAIN_LAST_USABLE = 0x40900000
BAD_SENSOR_FAILURE = 0x808B0000
SAMPLING = timedelta(milliseconds=50)
FAST = OpcUaSettings(publishing_interval=timedelta(milliseconds=50), watchdog_interval=timedelta(milliseconds=500),
                     namespace_check_interval=timedelta(milliseconds=300),
                     reconnect_delay_max=timedelta(seconds=1),
                     connect_retry_delay=timedelta(milliseconds=200))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SimulatedMeter:
    def __init__(self, url: str, delivered: Node, received: Node) -> None:
        self.url = url
        self.delivered = delivered
        self.received = received

    async def write(self, node: Node, value: object, variant_type: ua.VariantType, at: datetime,
                    status: int = 0) -> None:
        await node.write_value(ua.DataValue(ua.Variant(value, variant_type), StatusCode=ua.StatusCode(status),
                                            SourceTimestamp=at))


async def meter_server(url: str, decoys: int = 1) -> tuple[Server, SimulatedMeter]:
    server = Server()
    await server.init()
    server.set_endpoint(url)
    for decoy in range(decoys):  # ours is index 2 + decoys, not the usual 2
        await server.register_namespace(f"urn:wattledger:test:decoy{decoy}")
    index = await server.register_namespace(NAMESPACE_URI)
    assert index == 2 + decoys
    device = await server.nodes.objects.add_object(ua.NodeId("M1", index), ua.QualifiedName("M1", index))
    delivered = await device.add_variable(ua.NodeId("M1.EnergyDelivered", index),
                                          ua.QualifiedName("EnergyDelivered", index),
                                          ua.Variant(1_000, ua.VariantType.UInt64))
    received = await device.add_variable(ua.NodeId(1001, index), ua.QualifiedName("EnergyReceived", index),
                                         ua.Variant(0.0, ua.VariantType.Double))
    return server, SimulatedMeter(url, delivered, received)


@pytest.fixture(scope="module")
async def meter() -> AsyncIterator[SimulatedMeter]:
    server, simulated = await meter_server(f"opc.tcp://127.0.0.1:{free_port()}/meter")
    async with server:
        yield simulated


def channels(url: str) -> list[OpcUaChannel]:
    return [
        OpcUaChannel(meter_id="M1", channel="delivered", endpoint_url=url, namespace_uri=NAMESPACE_URI,
                     node_identifier="s=M1.EnergyDelivered", unit=EnergyUnit.WH, sampling_period=SAMPLING),
        OpcUaChannel(meter_id="M1", channel="received", endpoint_url=url, namespace_uri=NAMESPACE_URI,
                     node_identifier="i=1001", unit=EnergyUnit.KWH, scale_power_of_ten=-3, sampling_period=SAMPLING),
    ]


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_source_timestamp_places_readings_and_status_grades_them(meter: SimulatedMeter) -> None:
    sink = ListSink()
    task = asyncio.create_task(OpcUaSource(channels(meter.url), sink, FAST).run())
    try:
        await wait_for(lambda: len(sink.readings(channel="delivered")) >= 1 and len(sink.readings(channel="received")) >= 1)
        await meter.write(meter.delivered, 2_000, ua.VariantType.UInt64, MEASURED)
        await meter.write(meter.delivered, 2_500, ua.VariantType.UInt64, MEASURED + timedelta(seconds=1),
                          UNCERTAIN_LAST_USABLE)
        await meter.write(meter.delivered, None, ua.VariantType.Null, MEASURED + timedelta(seconds=2),
                          BAD_SENSOR_FAILURE)
        await meter.write(meter.received, 12_345.678, ua.VariantType.Double, MEASURED + timedelta(seconds=2))
        await wait_for(lambda: any(r.source_ts_utc == MEASURED + timedelta(seconds=2)
                                   for r in sink.readings(channel="delivered") + sink.readings(channel="received"))
                       and len(sink.readings(channel="delivered")) >= 4)
    finally:
        await stop(task)
    written = [(r.source_ts_utc, r.register_wh, r.quality) for r in sink.readings(channel="delivered")[1:]]
    assert written == [
        (MEASURED, 2_000, ReadingQuality.GOOD),
        (MEASURED + timedelta(seconds=1), 2_500, ReadingQuality.UNCERTAIN),
        (MEASURED + timedelta(seconds=2), None, ReadingQuality.BAD),
    ]
    # 12,345.678 kWh × 10^-3 × 1,000 Wh = 12,345.678 Wh → 12,346 Wh, placed at the meter's time, not the server's
    last_received = sink.readings(channel="received")[-1]
    assert (last_received.register_wh, last_received.source_ts_utc) == (12_346, MEASURED + timedelta(seconds=2))
    assert all(r.received_ts_utc > r.source_ts_utc for r in sink.readings(channel="delivered")[1:])


async def test_idle_register_keeps_reporting_while_its_timestamp_moves(meter: SimulatedMeter) -> None:
    await meter.write(meter.delivered, 1_000, ua.VariantType.UInt64, MEASURED)
    sink = ListSink()
    task = asyncio.create_task(OpcUaSource(channels(meter.url)[:1], sink, FAST).run())
    try:
        await wait_for(lambda: len(sink.readings(channel="delivered")) >= 1)
        for second in range(1, 4):  # the register stays at 1,000 Wh; only its timestamp moves
            await meter.write(meter.delivered, 1_000, ua.VariantType.UInt64, MEASURED + timedelta(seconds=second))
        await wait_for(lambda: len(sink.readings(channel="delivered")) >= 4)
    finally:
        await stop(task)
    assert [r.register_wh for r in sink.readings(channel="delivered")] == [1_000] * 4
    assert [r.source_ts_utc for r in sink.readings(channel="delivered")[1:]] == [
        MEASURED + timedelta(seconds=second) for second in range(1, 4)]


async def test_unknown_namespace_uri_is_refused_by_name(meter: SimulatedMeter) -> None:
    wrong = [OpcUaChannel(meter_id="M1", channel="delivered", endpoint_url=meter.url,
                          namespace_uri="urn:nobody", node_identifier="s=M1.EnergyDelivered", unit=EnergyUnit.WH)]
    with pytest.raises(ExceptionGroup) as caught:
        await asyncio.wait_for(OpcUaSource(wrong, ListSink(), FAST).run(), 15)
    [error] = caught.value.exceptions
    assert isinstance(error, ChannelNodeMissing) and "urn:nobody" in str(error)


async def test_slow_store_overflows_into_a_reconnect_and_a_reread_never_a_silent_drop(
        meter: SimulatedMeter) -> None:
    sink = ListSink(delay=timedelta(milliseconds=100))
    settings = OpcUaSettings(publishing_interval=timedelta(milliseconds=20), queue_notifications_max=2,
                             watchdog_interval=timedelta(milliseconds=500))
    source = OpcUaSource(channels(meter.url)[:1], sink, settings)
    task = asyncio.create_task(source.run())
    try:
        await wait_for(lambda: len(sink.readings(channel="delivered")) >= 1)
        for step in range(1, 31):
            await meter.write(meter.delivered, 1_000 + step, ua.VariantType.UInt64,
                              MEASURED + timedelta(seconds=step))
            await asyncio.sleep(0.025)
        counts = source.counts[f"opcua:{meter.url}"]
        await wait_for(lambda: counts.refreshes >= 1 and any(
            r.register_wh == 1_030 for r in sink.readings(channel="delivered")), timeout_s=30)
    finally:
        await stop(task)
    assert counts.overflows >= 1
    assert all(r.register_wh is not None for r in sink.readings(channel="delivered"))


async def test_killed_server_goes_silent_and_its_renumbered_successor_is_found_by_namespace_uri() -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}/meter"
    server, simulated = await meter_server(url)
    await server.start()
    sink = ListSink()
    source = OpcUaSource(channels(url)[:1], sink, FAST)
    task = asyncio.create_task(source.run())
    try:
        await wait_for(lambda: len(sink.readings(channel="delivered")) >= 1)
        await server.stop()
        await asyncio.sleep(1.5)
        silent_count = len(sink.readings(channel="delivered"))
        await asyncio.sleep(1.0)
        assert len(sink.readings(channel="delivered")) == silent_count  # dead link: no reading, so its age grows
        # The successor registers one more namespace first: ours moves from index 3 to 4. The source must find
        # the node again by its URI, not keep asking for ns=3.
        server, simulated = await meter_server(url, decoys=2)
        async with server:
            await simulated.write(simulated.delivered, 7_777, ua.VariantType.UInt64, MEASURED)
            await wait_for(lambda: any(r.register_wh == 7_777 for r in sink.readings(channel="delivered")), timeout_s=30)
    finally:
        await stop(task)
    assert source.counts[f"opcua:{url}"].renumberings >= 1
