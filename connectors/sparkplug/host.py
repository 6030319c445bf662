"""The Sparkplug B primary host application over MQTT (paho-mqtt 2.x): STATE, subscriptions, rebirth commands.

- Clean session (MQTT 3.1.1 CleanSession=1), as the specification requires of every Sparkplug client: durability
  is the edge nodes' store-and-forward, which they replay as historical once this host's STATE says online.
- STATE: the will is `spBv1.0/STATE/<host_id>` {"online": false, "timestamp": T}, QoS 1, retained; after
  subscribing, the host publishes {"online": true, "timestamp": T} with the same T, QoS 1, retained. A fresh T is
  taken before each CONNECT. If the broker hands us an offline STATE for ourselves with an older timestamp while
  we are connected (a late will of an earlier connection) we publish online again.
- paho runs its network loop in its own thread; each message crosses to the event loop into a bounded queue.
  When that queue is full (the store is behind) the message is dropped on purpose and the edge node asked for a
  rebirth: its registers in the NBIRTH bridge the gap, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.reading import DeliverySink
from connectors.sparkplug.channel import SparkplugChannel
from connectors.sparkplug.host_state import REBIRTH_METRIC, HostOutput, SparkplugHostState
from connectors.sparkplug.payload import DataType, Metric, Payload, encode_payload
from connectors.sparkplug.topic import group_filter, node_command_topic, state_topic

log = logging.getLogger(__name__)

Inbound = tuple[str, bytes, datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SparkplugSettings:
    broker_host: str
    broker_port: int
    host_id: str
    keepalive: timedelta = timedelta(seconds=30)
    reorder_timeout: timedelta = timedelta(seconds=2)  # the spec's "a couple of seconds"
    rebirth_retry: timedelta = timedelta(seconds=10)
    inbox_messages_max: int = 10_000
    tick_interval: timedelta = timedelta(milliseconds=250)
    reconnect_delay_max: timedelta = timedelta(seconds=30)


def state_payload(online: bool, timestamp_ms: int) -> bytes:
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()


def rebirth_payload(now_ms: int) -> bytes:
    command = Metric(name=REBIRTH_METRIC, alias=None, timestamp_ms=now_ms, datatype=DataType.BOOLEAN, value=True)
    return encode_payload(Payload(timestamp_ms=now_ms, metrics=(command,), seq=None))


class SparkplugHost:
    """Runs until cancelled; `state.counts` says what happened, `connected` whether the broker session is up."""

    def __init__(self, channels: Sequence[SparkplugChannel], sink: DeliverySink, settings: SparkplugSettings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.sink = sink
        self.settings = settings
        self.clock = clock
        self.groups = sorted({channel.group_id for channel in channels})
        self.state = SparkplugHostState(channels, settings.reorder_timeout, settings.rebirth_retry)
        self.connected = asyncio.Event()
        self.connect_count = 0  # successful CONNECTs, reconnections included
        self._stopping = False
        self._inbox: asyncio.Queue[Inbound] = asyncio.Queue(settings.inbox_messages_max)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state_timestamp_ms = 0
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"wattledger-host-{settings.host_id}",
                                   clean_session=True, protocol=mqtt.MQTTv311)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_pre_connect = self._on_pre_connect
        self._client.reconnect_delay_set(1, int(settings.reconnect_delay_max.total_seconds()))

    @property
    def state_topic(self) -> str:
        return state_topic(self.settings.host_id)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.settings.broker_host, self.settings.broker_port,
                                   keepalive=int(self.settings.keepalive.total_seconds()))
        self._client.loop_start()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._process())
                group.create_task(self._tick())
        finally:
            await self._go_offline()

    async def _go_offline(self) -> None:
        """Graceful stop: publish offline (same timestamp as the online) and wait for it to leave."""
        self._stopping = True  # our own offline STATE coming back to us is not a late will to answer
        if self._client.is_connected():
            info = self._client.publish(self.state_topic, state_payload(False, self._state_timestamp_ms), qos=1,
                                        retain=True)
            await asyncio.to_thread(info.wait_for_publish, 5)
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    # --- paho thread ------------------------------------------------------------------------------------------

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        """Before every CONNECT (reconnections too): a fresh STATE timestamp in the will, reused by the birth."""
        self._state_timestamp_ms = int(time.time() * 1000)
        client.will_set(self.state_topic, state_payload(False, self._state_timestamp_ms), qos=1, retain=True)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if reason_code.is_failure:
            log.error("sparkplug host %s: broker refused the connection: %s", self.settings.host_id, reason_code)
            return
        subscriptions = [(self.state_topic, 1)] + [(group_filter(group), 1) for group in self.groups]
        client.subscribe(subscriptions)
        client.publish(self.state_topic, state_payload(True, self._state_timestamp_ms), qos=1, retain=True)
        self.connect_count += 1
        self._call_in_loop(self.connected.set)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        log.warning("sparkplug host %s: disconnected (%s)", self.settings.host_id, reason_code)
        self._call_in_loop(self.connected.clear)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._call_in_loop(self._take, (message.topic, bytes(message.payload), self.clock()))

    def _call_in_loop(self, callback: Callable[..., None], *args: object) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback, *args)

    # --- event loop -------------------------------------------------------------------------------------------

    def _take(self, inbound: Inbound) -> None:
        topic, raw, received_ts_utc = inbound
        if topic == self.state_topic:
            self._own_state(raw)
            return
        try:
            self._inbox.put_nowait(inbound)
        except asyncio.QueueFull:
            self._send_rebirths(self.state.inbox_overflowed(topic, received_ts_utc))

    def _own_state(self, raw: bytes) -> None:
        """Answer a late will: an offline STATE of an earlier connection (older timestamp) that overwrote ours.

        An offline STATE with our own timestamp is this connection's will (the broker going down) or our own
        clean stop: answering it would queue an online message that paho resends after the reconnect, where it
        would overwrite the new connection's STATE with the old timestamp.
        """
        try:
            state = json.loads(raw)
            online, timestamp_ms = bool(state.get("online")), int(state.get("timestamp", 0))
        except (ValueError, TypeError, AttributeError):
            return
        if online or timestamp_ms >= self._state_timestamp_ms or self._stopping:
            return
        if self._client.is_connected():
            log.warning("sparkplug host %s: a late offline STATE (timestamp %d) overwrote ours; publishing online",
                        self.settings.host_id, timestamp_ms)
            self._client.publish(self.state_topic, state_payload(True, self._state_timestamp_ms), qos=1,
                                 retain=True)

    async def _process(self) -> None:
        while True:
            topic, raw, received_ts_utc = await self._inbox.get()
            await self._emit(self.state.handle(topic, raw, received_ts_utc))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_interval.total_seconds())
            await self._emit(self.state.tick(self.clock()))

    async def _emit(self, output: HostOutput) -> None:
        self._send_rebirths(output)
        for delivery in output.deliveries:
            await self.sink.put(delivery)

    def _send_rebirths(self, output: HostOutput) -> None:
        for request in output.rebirths:
            topic = node_command_topic(request.group_id, request.edge_node_id)
            self._client.publish(topic, rebirth_payload(int(time.time() * 1000)), qos=0)
