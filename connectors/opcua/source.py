"""Subscribes to OPC UA energy register nodes and puts one delivery per data change into the sink.

One asyncua client per endpoint with auto-reconnect: its supervisor re-activates the session, transfers the
subscription and republishes the gap (those notifications come tagged `replayed` and are stored as historical),
or recreates the subscription. Monitored items use the STATUS_VALUE_TIMESTAMP trigger so an idle feeder whose
register does not move still reports each new SourceTimestamp: silence then means a dead link, not a quiet meter.

Notifications land in the subscription's own bounded queue (iterator mode, FIFO, so per-node order holds) whose
overflow policy is DISCONNECT, never asyncua's default DROP_OLDEST: when the store is behind, the queue fills,
the connection is dropped and re-established, and once it is back every channel's node is read afresh, so the
register value after the gap is stored and interval energy across it is exact.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeEvent, OverflowPolicy, Subscription
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.uaerrors import UaError

from connectors.opcua.channel import OpcUaChannel
from connectors.opcua.decode import opcua_reading, raw_record
from connectors.reading import Delivery, DeliverySink, ReadingQuality

log = logging.getLogger(__name__)

CLIENT_HANDLE_FIRST = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OpcUaSettings:
    publishing_interval: timedelta = timedelta(seconds=1)
    queue_notifications_max: int = 1_000  # bounded: overflow disconnects instead of dropping
    monitored_queue_size: int = 10  # server-side per item, FIFO, so a burst within one publish is kept
    request_timeout: timedelta = timedelta(seconds=4)
    watchdog_interval: timedelta = timedelta(seconds=1)
    reconnect_delay_max: timedelta = timedelta(seconds=30)
    connect_retry_delay: timedelta = timedelta(seconds=1)
    namespace_check_interval: timedelta = timedelta(seconds=5)


@dataclass
class OpcUaCounts:
    readings: int = 0
    bad: int = 0
    uncertain: int = 0
    replayed: int = 0
    overflows: int = 0  # queue full: connection dropped and channels re-read
    connect_failures: int = 0
    refreshes: int = 0  # re-reads of every node after an overflow
    renumberings: int = 0  # the server's namespaces changed: subscribed afresh


class NamespacesRenumbered(Exception):
    def __init__(self, before: list[str], after: list[str]) -> None:
        super().__init__(f"namespace array changed from {before} to {after}")


class ChannelNodeMissing(LookupError):
    def __init__(self, channel: OpcUaChannel, reason: str) -> None:
        super().__init__(f"{channel.endpoint_url}: {channel.meter_id}/{channel.channel} "
                         f"({channel.namespace_uri} {channel.node_identifier}): {reason}")


class OpcUaSource:
    """Subscribes to the given channels until cancelled; `counts[source]` says what happened per endpoint."""

    def __init__(self, channels: Sequence[OpcUaChannel], sink: DeliverySink, settings: OpcUaSettings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.sink = sink
        self.settings = settings
        self.clock = clock
        self.endpoints: dict[str, list[OpcUaChannel]] = {}
        for channel in channels:
            self.endpoints.setdefault(channel.endpoint_url, []).append(channel)
        self.counts = {f"opcua:{url}": OpcUaCounts() for url in self.endpoints}

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for url, channels in self.endpoints.items():
                group.create_task(self._run_endpoint(url, channels))

    async def _run_endpoint(self, url: str, channels: list[OpcUaChannel]) -> None:
        """Serve the endpoint; when the server's namespaces were renumbered (a restarted server), start over so
        every node is looked up again by its namespace URI."""
        source = f"opcua:{url}"
        while True:
            client = Client(url, timeout=self.settings.request_timeout.total_seconds(),
                            watchdog_intervall=self.settings.watchdog_interval.total_seconds(), auto_reconnect=True,
                            reconnect_max_delay=self.settings.reconnect_delay_max.total_seconds())
            await self._connect(client, source)
            try:
                await self._serve(client, channels, source)
            except* NamespacesRenumbered:
                self.counts[source].renumberings += 1
                log.warning("%s: the server renumbered its namespaces; subscribing afresh by namespace URI", source)
            finally:
                try:
                    await client.disconnect()
                except (TimeoutError, OSError, UaError):
                    log.info("%s: disconnect failed", source, exc_info=True)

    async def _serve(self, client: Client, channels: list[OpcUaChannel], source: str) -> None:
        namespaces = await client.get_namespace_array()
        nodes = resolve_nodes(client, namespaces, channels)
        refresh = asyncio.Event()
        subscription = await self._subscribe(client, nodes, source, refresh)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume(subscription, nodes, source))
            group.create_task(self._refresh_after_overflow(client, nodes, source, refresh))
            group.create_task(self._watch_namespaces(client, namespaces))

    async def _watch_namespaces(self, client: Client, namespaces: list[str]) -> None:
        """asyncua recreates a lost subscription with the NodeIds it had, indexes included; a restarted server may
        have renumbered its namespaces, so compare the NamespaceArray now and then."""
        while True:
            await asyncio.sleep(self.settings.namespace_check_interval.total_seconds())
            try:
                current = await client.get_namespace_array()
            except (TimeoutError, OSError, UaError):
                continue  # reconnecting: asked again next time
            if current != namespaces:
                raise NamespacesRenumbered(namespaces, current)

    async def _connect(self, client: Client, source: str) -> None:
        """The first connect retries until it succeeds; after that the client's supervisor reconnects."""
        while True:
            try:
                await client.connect()
                return
            except (TimeoutError, OSError, UaError) as error:
                self.counts[source].connect_failures += 1
                log.warning("%s: cannot connect (%s); retrying", source, error)
                await asyncio.sleep(self.settings.connect_retry_delay.total_seconds())

    async def _subscribe(self, client: Client, nodes: dict[int, tuple[OpcUaChannel, Node]], source: str,
                         refresh: asyncio.Event) -> Subscription:
        subscription = await client.create_subscription(
            self.settings.publishing_interval.total_seconds() * 1000, None,
            queue_maxsize=self.settings.queue_notifications_max, overflow=OverflowPolicy.DISCONNECT)

        def overflowed() -> None:
            self.counts[source].overflows += 1
            log.error("%s: notification queue full (store behind); reconnecting, then re-reading", source)
            refresh.set()
            client.uaclient.notify_transport_lost()

        subscription.set_overflow_disconnect_handler(overflowed)
        requests = [self._monitored_item(handle, channel, node) for handle, (channel, node) in nodes.items()]
        results = await subscription.create_monitored_items(requests)
        for (channel, _), result in zip(nodes.values(), results, strict=True):
            if isinstance(result, ua.StatusCode):
                raise ChannelNodeMissing(channel, f"server refused to monitor it: {result}")
        return subscription

    def _monitored_item(self, handle: int, channel: OpcUaChannel, node: Node) -> ua.MonitoredItemCreateRequest:
        # No deadband on an energy register: every change counts. The server may revise the sampling upward.
        channel_filter = ua.DataChangeFilter(Trigger=ua.DataChangeTrigger.StatusValueTimestamp)
        sampling_ms = channel.sampling_period.total_seconds() * 1000
        parameters = ua.MonitoringParameters(
            ClientHandle=handle, SamplingInterval=sampling_ms, QueueSize=self.settings.monitored_queue_size,
            DiscardOldest=True, Filter=channel_filter)
        return ua.MonitoredItemCreateRequest(
            ItemToMonitor=ua.ReadValueId(NodeId=node.nodeid, AttributeId=AttributeIds.Value),
            MonitoringMode=ua.MonitoringMode.Reporting, RequestedParameters=parameters)

    async def _consume(self, subscription: Subscription, nodes: dict[int, tuple[OpcUaChannel, Node]],
                       source: str) -> None:
        async for event in subscription:
            if not isinstance(event, DataChangeEvent):
                log.info("%s: subscription status %s", source, event)
                continue
            handle = int(event.data.monitored_item.ClientHandle)
            channel, _ = nodes[handle]
            data_value = event.data.monitored_item.Value
            await self._deliver(source, channel, data_value, event.replayed)

    async def _refresh_after_overflow(self, client: Client, nodes: dict[int, tuple[OpcUaChannel, Node]],
                                      source: str, refresh: asyncio.Event) -> None:
        """After an overflow, read every node once the link is back (the read waits for the reconnect)."""
        while True:
            await refresh.wait()
            refresh.clear()
            try:
                data_values = await client.read_attributes([node for _, node in nodes.values()])
            except (TimeoutError, OSError, UaError) as error:
                log.warning("%s: re-read after overflow failed (%s); retrying", source, error)
                refresh.set()
                await asyncio.sleep(self.settings.connect_retry_delay.total_seconds())
                continue
            self.counts[source].refreshes += 1
            for (channel, _), data_value in zip(nodes.values(), data_values, strict=True):
                await self._deliver(source, channel, data_value, replayed=False)

    async def _deliver(self, source: str, channel: OpcUaChannel, data_value: ua.DataValue, replayed: bool) -> None:
        received_ts_utc = self.clock()
        reading = opcua_reading(channel, data_value, received_ts_utc, replayed)
        counts = self.counts[source]
        counts.readings += 1
        counts.bad += reading.quality is ReadingQuality.BAD
        counts.uncertain += reading.quality is ReadingQuality.UNCERTAIN
        counts.replayed += replayed
        raw = json.dumps(raw_record(channel, data_value, received_ts_utc, replayed), sort_keys=True).encode()
        await self.sink.put(Delivery(source=source, raw_message=raw, readings=(reading,)))


def resolve_nodes(client: Client, namespaces: list[str],
                  channels: list[OpcUaChannel]) -> dict[int, tuple[OpcUaChannel, Node]]:
    """Client handle → (channel, node), with namespace indexes looked up by URI in this connection's array."""
    nodes: dict[int, tuple[OpcUaChannel, Node]] = {}
    for handle, channel in enumerate(channels, start=CLIENT_HANDLE_FIRST):
        if channel.namespace_uri not in namespaces:
            raise ChannelNodeMissing(channel, "the server has no such namespace URI")
        index = namespaces.index(channel.namespace_uri)
        node_id = ua.NodeId.from_string(f"ns={index};{channel.node_identifier}")
        nodes[handle] = (channel, client.get_node(node_id))
    return nodes
