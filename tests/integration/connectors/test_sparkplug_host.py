"""Sparkplug B primary host against a real Mosquitto broker (the `mosquitto` fixture of conftest.py, started on a
free loopback port) and a simulated edge node publishing protobuf payloads.

Proves: the host's STATE is retained QoS 1 JSON, online while it runs and offline (same timestamp) after;
births and data by alias become readings; a seq gap or an unknown alias draws an NCMD rebirth; a killed edge
node's will (NDEATH) marks its channels STALE at receipt; a late NDEATH with an old bdSeq is ignored;
store-and-forward replay is kept historical.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from connectors import EnergyUnit, ReadingQuality
from connectors.sparkplug import SparkplugChannel, SparkplugHost, SparkplugSettings
from tests.integration.connectors.conftest import Broker
from tests.integration.connectors.list_sink import ListSink, wait_for
from tests.integration.connectors.sparkplug_edge import DEVICE, EDGE, GROUP, EdgeNode, now_ms

CHANNELS = [
    SparkplugChannel(meter_id="MAIN", channel="delivered", group_id=GROUP, edge_node_id=EDGE, device_id=None,
                     metric_name="Main/Energy Delivered", unit=EnergyUnit.WH),
    SparkplugChannel(meter_id="A", channel="delivered", group_id=GROUP, edge_node_id=EDGE, device_id=DEVICE,
                     metric_name="Energy Delivered", unit=EnergyUnit.KWH, scale_power_of_ten=-3),
]


def retained_state(port: int, host_id: str, timeout_s: float = 10) -> dict[str, object]:
    """What a newly subscribing client gets on the host's STATE topic (the retained message). A host that has just
    connected may not have its STATE stored by the broker yet: subscribe afresh until a retained one arrives."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = _retained_once(port, host_id)
        if got is not None:
            state: dict[str, object] = json.loads(got)
            return state
        assert time.monotonic() < deadline, "no retained STATE"


def _retained_once(port: int, host_id: str) -> bytes | None:
    got: list[bytes] = []
    arrived = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="state-reader", clean_session=True)

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.retain and message.qos == 1:  # a live publish is not what a newcomer would be handed
            got.append(bytes(message.payload))
            arrived.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(f"spBv1.0/STATE/{host_id}", qos=1)
    client.loop_start()
    try:
        arrived.wait(1)
    finally:
        client.disconnect()
        client.loop_stop()
    return got[0] if got else None


@pytest.fixture
async def host(mosquitto: Broker) -> AsyncIterator[tuple[SparkplugHost, ListSink]]:
    sink = ListSink()
    settings = SparkplugSettings(broker_host="127.0.0.1", broker_port=mosquitto.port, host_id="wattledger-test",
                                 reorder_timeout=timedelta(milliseconds=500), rebirth_retry=timedelta(seconds=1),
                                 tick_interval=timedelta(milliseconds=50))
    sparkplug_host = SparkplugHost(CHANNELS, sink, settings)
    task = asyncio.create_task(sparkplug_host.run())
    await asyncio.wait_for(sparkplug_host.connected.wait(), 10)
    yield sparkplug_host, sink
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_state_is_retained_online_while_running_and_offline_after(mosquitto: Broker) -> None:
    settings = SparkplugSettings(broker_host="127.0.0.1", broker_port=mosquitto.port, host_id="state-test")
    sparkplug_host = SparkplugHost(CHANNELS, ListSink(), settings)
    task = asyncio.create_task(sparkplug_host.run())
    await asyncio.wait_for(sparkplug_host.connected.wait(), 10)
    online = await asyncio.to_thread(retained_state, mosquitto.port, "state-test")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    offline = await asyncio.to_thread(retained_state, mosquitto.port, "state-test")
    assert online["online"] is True and offline["online"] is False
    assert isinstance(online["timestamp"], int) and online["timestamp"] == offline["timestamp"]


async def test_births_and_data_by_alias_become_readings(host: tuple[SparkplugHost, ListSink],
                                                        mosquitto: Broker) -> None:
    _, sink = host
    edge = EdgeNode(mosquitto.port, bd_seq=1)
    await asyncio.to_thread(edge.connect)
    try:
        await asyncio.to_thread(edge.birth, 1_000_000, 2_500_000)  # device: 2,500,000 × 10^-3 kWh = 2,500,000 Wh
        await asyncio.to_thread(edge.node_data, 1_000_750)
        await wait_for(lambda: len(sink.readings(meter_id="MAIN")) >= 2 and len(sink.readings(meter_id="A")) >= 1)
    finally:
        await asyncio.to_thread(edge.close)
    assert [r.register_wh for r in sink.readings(meter_id="MAIN")] == [1_000_000, 1_000_750]
    assert [r.register_wh for r in sink.readings(meter_id="A")] == [2_500_000]
    assert all(r.quality is ReadingQuality.GOOD for r in sink.readings(meter_id="MAIN"))


async def test_seq_gap_and_unknown_alias_draw_a_rebirth_command(host: tuple[SparkplugHost, ListSink],
                                                                mosquitto: Broker) -> None:
    sparkplug_host, sink = host
    edge = EdgeNode(mosquitto.port, bd_seq=1)
    await asyncio.to_thread(edge.connect)
    try:
        await asyncio.to_thread(edge.birth, 1_000, 1_000)
        await asyncio.to_thread(edge.node_data, 1_100, seq=5)  # seqs 2, 3 and 4 never come
        await wait_for(edge.rebirth_requested)
        assert sparkplug_host.state.counts.seq_gaps == 1
        await wait_for(lambda: any(r.register_wh == 1_100 for r in sink.readings(meter_id="MAIN")))  # held data applied
        edge.commands.clear()
        await asyncio.to_thread(edge.birth, 1_200, 1_200)  # the edge answers with a new birth
        await asyncio.to_thread(edge.node_data, 1_300, alias=42)
        await wait_for(edge.rebirth_requested)
        assert sparkplug_host.state.counts.unknown_aliases == 1
    finally:
        await asyncio.to_thread(edge.close)


async def test_killed_edge_goes_stale_and_a_late_death_is_ignored(host: tuple[SparkplugHost, ListSink],
                                                                  mosquitto: Broker) -> None:
    sparkplug_host, sink = host
    old = EdgeNode(mosquitto.port, bd_seq=7)
    await asyncio.to_thread(old.connect)
    await asyncio.to_thread(old.birth, 5_000, 5_000)
    await wait_for(lambda: len(sink.readings(meter_id="MAIN")) >= 1)
    await asyncio.to_thread(old.kill)  # the broker publishes its will: NDEATH bdSeq 7
    await wait_for(lambda: any(r.quality is ReadingQuality.STALE for r in sink.readings(meter_id="MAIN")))
    stale = [r for r in sink.readings(meter_id="MAIN") + sink.readings(meter_id="A") if r.quality is ReadingQuality.STALE]
    assert len(stale) == 2 and all(r.register_wh is None and r.source_ts_utc == r.received_ts_utc for r in stale)
    new = EdgeNode(mosquitto.port, bd_seq=8)
    await asyncio.to_thread(new.connect)
    try:
        await asyncio.to_thread(new.birth, 5_100, 5_100)
        await wait_for(lambda: any(r.register_wh == 5_100 for r in sink.readings(meter_id="MAIN")))
        # An NDEATH of the old connection (bdSeq 7) arriving after the new birth must not end the new session.
        await asyncio.to_thread(new.client.publish, "spBv1.0/Plant/NDEATH/EPMS1", EdgeNode.death_payload(7), 1)
        await wait_for(lambda: sparkplug_host.state.counts.late_deaths_ignored >= 1)
        await asyncio.to_thread(new.node_data, 5_200)
        await wait_for(lambda: any(r.register_wh == 5_200 for r in sink.readings(meter_id="MAIN")))
    finally:
        await asyncio.to_thread(new.close)
    assert sum(r.quality is ReadingQuality.STALE for r in sink.readings(meter_id="MAIN")) == 1


async def test_store_and_forward_replay_is_historical(host: tuple[SparkplugHost, ListSink],
                                                      mosquitto: Broker) -> None:
    _, sink = host
    edge = EdgeNode(mosquitto.port, bd_seq=1)
    await asyncio.to_thread(edge.connect)
    try:
        await asyncio.to_thread(edge.birth, 9_000, 9_000)
        ten_minutes_ago_ms = now_ms() - 600_000
        await asyncio.to_thread(edge.node_data, 8_400, ten_minutes_ago_ms, 1, True)
        await wait_for(lambda: any(r.historical for r in sink.readings(meter_id="MAIN")))
    finally:
        await asyncio.to_thread(edge.close)
    [replayed] = [r for r in sink.readings(meter_id="MAIN") if r.historical]
    assert replayed.register_wh == 8_400
    assert int(replayed.source_ts_utc.timestamp() * 1000) == ten_minutes_ago_ms


async def test_host_comes_back_online_after_a_broker_restart(host: tuple[SparkplugHost, ListSink],
                                                             mosquitto: Broker) -> None:
    sparkplug_host, sink = host
    before = await asyncio.to_thread(retained_state, mosquitto.port, "wattledger-test")
    await asyncio.to_thread(mosquitto.restart)
    await wait_for(lambda: sparkplug_host.connect_count >= 2, timeout_s=30)
    async with asyncio.timeout(15):  # the new connection's STATE carries a fresh timestamp
        while (after := await asyncio.to_thread(retained_state, mosquitto.port, "wattledger-test")) == before:
            await asyncio.sleep(0.1)
    assert after["online"] is True
    assert isinstance(after["timestamp"], int) and isinstance(before["timestamp"], int)
    assert after["timestamp"] > before["timestamp"]
    edge = EdgeNode(mosquitto.port, bd_seq=2)
    await asyncio.to_thread(edge.connect)
    try:
        await asyncio.to_thread(edge.birth, 3_000, 3_000)
        await wait_for(lambda: any(r.register_wh == 3_000 for r in sink.readings(meter_id="MAIN")))
    finally:
        await asyncio.to_thread(edge.close)


async def test_a_late_offline_state_of_an_earlier_connection_is_answered_with_online(
        host: tuple[SparkplugHost, ListSink], mosquitto: Broker) -> None:
    before = await asyncio.to_thread(retained_state, mosquitto.port, "wattledger-test")
    assert isinstance(before["timestamp"], int)
    late_will = json.dumps({"online": False, "timestamp": before["timestamp"] - 60_000})
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="late-will", clean_session=True)
    publisher.connect("127.0.0.1", mosquitto.port)
    publisher.loop_start()
    try:
        publisher.publish("spBv1.0/STATE/wattledger-test", late_will, qos=1, retain=True).wait_for_publish(5)
    finally:
        publisher.disconnect()
        publisher.loop_stop()
    async with asyncio.timeout(10):
        while (now := await asyncio.to_thread(retained_state, mosquitto.port, "wattledger-test"))["online"] is not True:
            await asyncio.sleep(0.1)
    assert now == before


async def test_a_full_host_queue_drops_on_purpose_and_asks_for_rebirth(mosquitto: Broker) -> None:
    sink = ListSink(delay=timedelta(milliseconds=200))  # a store far slower than the edge
    settings = SparkplugSettings(broker_host="127.0.0.1", broker_port=mosquitto.port, host_id="slow-store",
                                 inbox_messages_max=2)
    sparkplug_host = SparkplugHost(CHANNELS, sink, settings)
    task = asyncio.create_task(sparkplug_host.run())
    edge = EdgeNode(mosquitto.port, bd_seq=1)
    try:
        await asyncio.wait_for(sparkplug_host.connected.wait(), 10)
        await asyncio.to_thread(edge.connect)
        await asyncio.to_thread(edge.birth, 1_000, 1_000)
        for step in range(1, 21):
            await asyncio.to_thread(edge.node_data, 1_000 + step)
        await wait_for(edge.rebirth_requested)
        assert sparkplug_host.state.counts.inbox_overflows >= 1
    finally:
        await asyncio.to_thread(edge.close)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
