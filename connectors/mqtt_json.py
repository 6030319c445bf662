"""MQTT plain JSON source: QoS 1 on a persistent session, each message acknowledged only after the store commits.

paho-mqtt 2.x with `manual_ack=True` (its default acknowledges as soon as `on_message` returns, before anything is
stored). The client id is fixed and the session persistent (MQTT 3.1.1, CleanSession=0), so messages published
while the connector is away wait in the broker and un-acked ones are resent when it reconnects. A broker resends
un-acked messages only on reconnect [MQTT-4.4.0-1]: after a failed commit the source drops its connection
(`redeliver`) and connects again. An ack is sent only on the connection that received the message: after a
reconnect, the broker's copy is the one to ack (the store counts it as a duplicate).

Back-pressure: `on_message` (paho's network thread) hands each delivery to the event loop through a small bounded
buffer (`HANDOFF_DELIVERIES_MAX`; the pump is woken only when it sits idle, and lingers `HANDOFF_LINGER_S` after
each burst, so a steady stream costs one cross-thread wake-up per burst, not one per message), and waits while the
buffer is full, which it stays while the sink's bounded queue is full; so a slow store stops the network thread,
un-acked messages fill the broker's inflight window (`max_inflight_messages`) and the broker holds the rest in the
session queue.

Payload mapping: connectors.mqtt_json_payload. A message the mapping refuses is stored (raw bytes, no readings)
and acknowledged, with its topic, field and reason logged and counted.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.mqtt_json_payload import MqttJsonChannel, PayloadRefused, parse_message
from connectors.reading import Delivery, DeliverySink

log = logging.getLogger(__name__)

QOS = 1
KEEPALIVE_S = 30
RECONNECT_DELAY_MIN_S = 1
RECONNECT_DELAY_MAX_S = 30
PUT_POLL_S = 0.1
"""How often a network thread waiting for buffer space checks whether its connection was dropped meanwhile."""
HANDOFF_DELIVERIES_MAX = 1_000
HANDOFF_LINGER_S = 0.005
"""After moving a burst into the sink the pump lets the next one gather this long before it looks again, so a steady
stream costs one cross-thread wake-up per burst rather than one per message (each wake-up is a socket write on the
network thread, which also contends for the GIL); it adds at most this much to a message's latency."""


@dataclass
class MqttJsonCounts:
    messages: int = 0
    refused: int = 0
    acked: int = 0
    connections: int = 0
    drops: int = 0


class MqttJsonSource:
    """The channels of one broker. `run()` until cancelled."""

    def __init__(self, channels: Sequence[MqttJsonChannel], sink: DeliverySink, client_id: str) -> None:
        assert channels, "a source needs channels"
        brokers = {(channel.broker_host, channel.broker_port) for channel in channels}
        assert len(brokers) == 1, f"one broker per source, got {sorted(brokers)}"
        self.host, self.port = brokers.pop()
        self.sink = sink
        self.by_topic: dict[str, list[MqttJsonChannel]] = {}
        for channel in channels:
            self.by_topic.setdefault(channel.topic, []).append(channel)
        self.counts = MqttJsonCounts()
        self.generation = 0
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.connected = threading.Event()
        self.handoff: deque[Delivery] = deque()
        self.handoff_changed = threading.Condition()
        self.handoff_ready: asyncio.Event | None = None
        self.pump_idle = True
        """The pump found the buffer empty and waits for `handoff_ready`: the next put must wake it (guarded by
        `handoff_changed`)."""
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  protocol=mqtt.MQTTv311, manual_ack=True)
        self.client.reconnect_delay_set(RECONNECT_DELAY_MIN_S, RECONNECT_DELAY_MAX_S)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.handoff_ready = asyncio.Event()
        self._start()
        try:
            await self._pump()
        finally:
            await asyncio.to_thread(self._stop)

    async def _pump(self) -> None:
        """Move handed-off deliveries into the sink, in arrival order, until cancelled."""
        assert self.handoff_ready is not None
        while True:
            await self.handoff_ready.wait()
            self.handoff_ready.clear()
            while True:
                with self.handoff_changed:
                    taken = list(self.handoff)
                    self.handoff.clear()
                    self.pump_idle = not taken
                    self.handoff_changed.notify_all()
                if not taken:
                    break
                for delivery in taken:
                    # Stored even when its connection has dropped since: the store absorbs the broker's resend,
                    # and Mosquitto 2.0.11 restarted by SIGTERM did not resend one such message in our tests.
                    await self.sink.put(delivery)
                await asyncio.sleep(HANDOFF_LINGER_S)

    def _start(self) -> None:
        self.client.connect_async(self.host, self.port, KEEPALIVE_S)
        self.client.loop_start()

    def _stop(self) -> None:
        with self.lock:
            self.generation += 1  # waiting network threads give up; late acks are not sent
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        with self.lock:
            self.generation += 1
        self.counts.connections += 1
        client.subscribe([(topic, QOS) for topic in sorted(self.by_topic)])
        self.connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        with self.lock:
            self.generation += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        received = datetime.now(UTC)
        generation = self.generation
        self.counts.messages += 1
        channels = self.by_topic.get(message.topic, [])
        try:
            readings = parse_message(message.topic, bytes(message.payload), channels, received)
        except PayloadRefused as error:
            self.counts.refused += 1
            log.warning("MQTT message refused (stored, not read): %s", error)
            readings = ()
        source = channels[0].source if channels else f"mqtt:{self.host}:{self.port}/{message.topic}"
        mid, qos = message.mid, message.qos

        async def acknowledge() -> None:
            self._ack(generation, mid, qos)

        async def redeliver() -> None:
            await asyncio.to_thread(self._drop, generation)

        delivery = Delivery(source, bytes(message.payload), readings, acknowledge, redeliver)
        self._put_waiting(delivery, generation)

    def _put_waiting(self, delivery: Delivery, generation: int) -> None:
        assert self.loop is not None and self.handoff_ready is not None
        with self.handoff_changed:
            # A dropped connection stops the wait (its reconnect must not wait on this thread); the delivery is
            # kept anyway, past the limit by at most the broker's inflight window.
            while len(self.handoff) >= HANDOFF_DELIVERIES_MAX and self.generation == generation:
                self.handoff_changed.wait(PUT_POLL_S)
            self.handoff.append(delivery)
            wake, self.pump_idle = self.pump_idle, False
        if wake:
            self.loop.call_soon_threadsafe(self.handoff_ready.set)

    def _ack(self, generation: int, mid: int, qos: int) -> None:
        with self.lock:
            if generation != self.generation or qos == 0:
                return
            self.client.ack(mid, qos)
        self.counts.acked += 1

    def _drop(self, generation: int) -> None:
        """After a failed commit: drop the connection (once per connection) and connect again."""
        with self.lock:
            if generation != self.generation:
                return
            self.generation += 1
        self.counts.drops += 1
        log.warning("MQTT %s:%s: the store could not commit; reconnecting so the broker resends", self.host,
                    self.port)
        self.client.disconnect()
        self.client.loop_stop()
        self._start()
