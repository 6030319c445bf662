"""The primary host application's view of every edge node: births, deaths, sequence numbers and aliases. Pure.

Rules (Sparkplug B 3.0.0, chapters 5 and 6):
- NBIRTH opens an edge node session: its `bdSeq` metric ties it to the will (NDEATH) registered at connect; its
  metrics define the aliases and datatypes for the session; `seq` restarts (0).
- An NDEATH whose `bdSeq` differs from the open session's is a late will of an older connection: ignored. A
  matching NDEATH (or a DDEATH) marks the node's (device's) channels STALE at the host's receipt time.
- `seq` (0–255, wrapping) runs over all of an edge node's BIRTH/DATA/DEATH messages except NBIRTH's restart and
  NDEATH. A message ahead of the expected one waits up to the reorder timeout for the missing one; then the host
  asks for a rebirth (NCMD `Node Control/Rebirth`) and applies what it holds. A metric alias the births did not
  define, data from a node with no open session or from a device with no DBIRTH, also asks for a rebirth.
- Values carry the metric's acquisition timestamp (else the payload's); `is_historical` (store-and-forward replay)
  is kept as historical; `is_null` is BAD; a Quality property grades the value (192 good, 0 bad, 500 stale;
  Ignition codes by their level bits, Uncertain_LastKnownValue = 0x40000101).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.reading import Delivery, ReadingQuality, RegisterReading, scaled_register_wh
from connectors.sparkplug.channel import SparkplugChannel
from connectors.sparkplug.payload import Metric, Payload, PayloadUndecodable, decode_payload
from connectors.sparkplug.topic import EdgeTopic, MessageType, parse_edge_topic

log = logging.getLogger(__name__)

SEQ_MODULUS = 256
SEQ_AHEAD_MAX = SEQ_MODULUS // 2  # a seq further ahead than this is treated as behind (old or duplicate)
BD_SEQ_METRIC = "bdSeq"
REBIRTH_METRIC = "Node Control/Rebirth"
QUALITY_PROPERTY = "Quality"
QUALITY_GOOD, QUALITY_BAD, QUALITY_STALE = 192, 0, 500
IGNITION_LEVEL_MASK, IGNITION_UNCERTAIN = 0xC000_0000, 0x4000_0000

MetricKey = tuple[str | None, str]  # (device id or None for the node itself, metric name)


@dataclass(frozen=True)
class RebirthRequest:
    group_id: str
    edge_node_id: str
    reason: str


@dataclass
class HostOutput:
    deliveries: list[Delivery] = field(default_factory=list)
    rebirths: list[RebirthRequest] = field(default_factory=list)

    def extend(self, other: HostOutput) -> None:
        self.deliveries.extend(other.deliveries)
        self.rebirths.extend(other.rebirths)


@dataclass
class HostCounts:
    messages: int = 0
    readings: int = 0
    late_deaths_ignored: int = 0  # NDEATH with a bdSeq other than the open session's
    seq_gaps: int = 0
    stale_messages_dropped: int = 0  # seq behind the expected one
    unknown_aliases: int = 0
    rebirths_requested: int = 0
    undecodable: int = 0
    inbox_overflows: int = 0


@dataclass(frozen=True)
class Buffered:
    topic: EdgeTopic
    mqtt_topic: str
    payload: Payload
    raw: bytes
    received_ts_utc: datetime


@dataclass
class EdgeSession:
    bd_seq: int | None
    last_seq: int
    online: bool = True
    aliases: dict[int, MetricKey] = field(default_factory=dict)
    datatypes: dict[MetricKey, int | None] = field(default_factory=dict)
    pending: dict[int, Buffered] = field(default_factory=dict)
    gap_since_utc: datetime | None = None
    devices_born: set[str] = field(default_factory=set)


def utc_from_ms(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def quality_of(metric: Metric) -> ReadingQuality:
    if metric.is_null:
        return ReadingQuality.BAD
    code = metric.property_value(QUALITY_PROPERTY)
    if code is None or code == QUALITY_GOOD:
        return ReadingQuality.GOOD  # Ignition edges omit Good
    if not isinstance(code, int) or isinstance(code, bool):
        return ReadingQuality.UNCERTAIN
    if code == QUALITY_BAD:
        return ReadingQuality.BAD
    if code == QUALITY_STALE:
        return ReadingQuality.STALE
    if code & IGNITION_LEVEL_MASK == IGNITION_UNCERTAIN:
        return ReadingQuality.UNCERTAIN
    return ReadingQuality.BAD if code & 0x8000_0000 else ReadingQuality.UNCERTAIN


class SparkplugHostState:
    def __init__(self, channels: Sequence[SparkplugChannel], reorder_timeout: timedelta,
                 rebirth_retry: timedelta) -> None:
        self.channels = {(c.group_id, c.edge_node_id, c.device_id, c.metric_name): c for c in channels}
        assert len(self.channels) == len(channels), "each metric declared once"
        self.reorder_timeout = reorder_timeout
        self.rebirth_retry = rebirth_retry
        self.sessions: dict[tuple[str, str], EdgeSession] = {}
        self.rebirth_asked_utc: dict[tuple[str, str], datetime] = {}
        self.counts = HostCounts()

    # --- entry points -------------------------------------------------------------------------------------

    def handle(self, mqtt_topic: str, raw: bytes, received_ts_utc: datetime) -> HostOutput:
        output = HostOutput()
        topic = parse_edge_topic(mqtt_topic)
        if topic is None or topic.message_type in (MessageType.NCMD, MessageType.DCMD):
            return output
        self.counts.messages += 1
        try:
            payload = decode_payload(raw)
        except PayloadUndecodable as error:
            self.counts.undecodable += 1
            log.warning("%s: %s", mqtt_topic, error)
            self._ask_rebirth(topic, "undecodable payload", received_ts_utc, output)
            return output
        message = Buffered(topic, mqtt_topic, payload, raw, received_ts_utc)
        if topic.message_type is MessageType.NBIRTH:
            self._node_birth(message, output)
        elif topic.message_type is MessageType.NDEATH:
            self._node_death(message, output)
        else:
            self._sequenced(message, output)
        return output

    def tick(self, now_utc: datetime) -> HostOutput:
        """Give up waiting for missing seqs older than the reorder timeout: rebirth, then apply what is held."""
        output = HostOutput()
        for (group_id, edge_node_id), session in self.sessions.items():
            if session.gap_since_utc is None or now_utc - session.gap_since_utc < self.reorder_timeout:
                continue
            self.counts.seq_gaps += 1
            output.rebirths.append(self._rebirth(group_id, edge_node_id, "seq gap", now_utc))
            for seq in sorted(session.pending, key=lambda s: (s - session.last_seq) % SEQ_MODULUS):
                held = session.pending[seq]
                self._apply(held, session, output)
                session.last_seq = seq
            session.pending.clear()
            session.gap_since_utc = None
        return output

    def inbox_overflowed(self, mqtt_topic: str, now_utc: datetime) -> HostOutput:
        """A message we could not take (our queue full): its seq will be missing, so ask for a rebirth now."""
        self.counts.inbox_overflows += 1
        output = HostOutput()
        topic = parse_edge_topic(mqtt_topic)
        if topic is not None:
            self._ask_rebirth(topic, "host queue overflow", now_utc, output)
        return output

    # --- births and deaths ------------------------------------------------------------------------------

    def _node_birth(self, message: Buffered, output: HostOutput) -> None:
        topic, payload = message.topic, message.payload
        bd_seq = next((m.value for m in payload.metrics if m.name == BD_SEQ_METRIC), None)
        session = EdgeSession(bd_seq=bd_seq if isinstance(bd_seq, int) else None, last_seq=payload.seq or 0)
        self.sessions[topic.node_key] = session
        self.rebirth_asked_utc.pop(topic.node_key, None)
        self._learn(session, None, payload.metrics)
        output.deliveries.extend(self._delivery(message, session, None))

    def _node_death(self, message: Buffered, output: HostOutput) -> None:
        topic = message.topic
        session = self.sessions.get(topic.node_key)
        bd_seq = next((m.value for m in message.payload.metrics if m.name == BD_SEQ_METRIC), None)
        if session is None or not session.online or bd_seq != session.bd_seq:
            self.counts.late_deaths_ignored += 1
            log.info("%s: NDEATH bdSeq %s does not close the open session (bdSeq %s): a late will, ignored",
                     message.mqtt_topic, bd_seq, session.bd_seq if session else None)
            return
        session.online = False
        session.pending.clear()
        session.gap_since_utc = None
        output.deliveries.extend(self._stale(message, device_id=None))

    def _sequenced(self, message: Buffered, output: HostOutput) -> None:
        topic, seq = message.topic, message.payload.seq
        session = self.sessions.get(topic.node_key)
        if session is None or not session.online or seq is None:
            self._ask_rebirth(topic, "data without an open session" if seq is not None else "no seq",
                              message.received_ts_utc, output)
            return
        ahead = (seq - (session.last_seq + 1)) % SEQ_MODULUS
        if ahead == 0:
            self._apply(message, session, output)
            session.last_seq = seq
            while (following := (session.last_seq + 1) % SEQ_MODULUS) in session.pending:
                self._apply(session.pending.pop(following), session, output)
                session.last_seq = following
            if not session.pending:
                session.gap_since_utc = None
        elif ahead < SEQ_AHEAD_MAX:
            session.pending[seq] = message
            session.gap_since_utc = session.gap_since_utc or message.received_ts_utc
        else:
            self.counts.stale_messages_dropped += 1

    def _apply(self, message: Buffered, session: EdgeSession, output: HostOutput) -> None:
        topic = message.topic
        if topic.message_type is MessageType.DBIRTH and topic.device_id is not None:
            self._learn(session, topic.device_id, message.payload.metrics)
            session.devices_born.add(topic.device_id)
        if topic.message_type is MessageType.DDEATH and topic.device_id is not None:
            session.devices_born.discard(topic.device_id)
            output.deliveries.extend(self._stale(message, device_id=topic.device_id))
            return
        if topic.message_type is MessageType.DDATA and topic.device_id not in session.devices_born:
            self._ask_rebirth(topic, f"data from device {topic.device_id} without its DBIRTH",
                              message.received_ts_utc, output)
        unknown = [m.alias for m in message.payload.metrics if m.name is None and m.alias not in session.aliases]
        if unknown:
            self.counts.unknown_aliases += len(unknown)
            self._ask_rebirth(topic, f"unknown alias {unknown[0]}", message.received_ts_utc, output)
        output.deliveries.extend(self._delivery(message, session, topic.device_id))

    def _learn(self, session: EdgeSession, device_id: str | None, metrics: Sequence[Metric]) -> None:
        for metric in metrics:
            if metric.name is None:
                continue
            key = (device_id, metric.name)
            session.datatypes[key] = metric.datatype
            if metric.alias is not None:
                session.aliases[metric.alias] = key

    # --- readings -----------------------------------------------------------------------------------------

    def _delivery(self, message: Buffered, session: EdgeSession, device_id: str | None) -> list[Delivery]:
        topic = message.topic
        readings: list[RegisterReading] = []
        for metric in message.payload.metrics:
            key = (device_id, metric.name) if metric.name is not None else (
                session.aliases.get(metric.alias) if metric.alias is not None else None)
            if key is None:
                continue
            channel = self.channels.get((topic.group_id, topic.edge_node_id, key[0], key[1]))
            if channel is not None:
                readings.append(self._reading(channel, metric, message))
        self.counts.readings += len(readings)
        if not readings:
            return []
        return [Delivery(source=f"sparkplug:{message.mqtt_topic}", raw_message=message.raw,
                         readings=tuple(readings))]

    def _reading(self, channel: SparkplugChannel, metric: Metric, message: Buffered) -> RegisterReading:
        timestamp_ms = metric.timestamp_ms if metric.timestamp_ms is not None else message.payload.timestamp_ms
        quality = quality_of(metric)
        if timestamp_ms is None and quality is ReadingQuality.GOOD:
            quality = ReadingQuality.UNCERTAIN  # placed at receipt: the edge gave no acquisition time
        value = metric.value
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        register_wh = None
        if quality in (ReadingQuality.GOOD, ReadingQuality.UNCERTAIN) and numeric:
            assert isinstance(value, int | float)
            register_wh = scaled_register_wh(value, channel.unit, channel.scale_power_of_ten, channel.multiplier)
        elif quality in (ReadingQuality.GOOD, ReadingQuality.UNCERTAIN):
            quality = ReadingQuality.BAD
        return RegisterReading(
            meter_id=channel.meter_id, channel=channel.channel,
            source_ts_utc=utc_from_ms(timestamp_ms) if timestamp_ms is not None else message.received_ts_utc,
            received_ts_utc=message.received_ts_utc, register_wh=register_wh, quality=quality,
            raw_value=repr(value), historical=metric.is_historical)

    def _stale(self, message: Buffered, device_id: str | None) -> list[Delivery]:
        """Every channel of the node (device_id None: node and all its devices) or of one device, STALE now."""
        topic = message.topic
        stale = tuple(
            RegisterReading(meter_id=c.meter_id, channel=c.channel, source_ts_utc=message.received_ts_utc,
                            received_ts_utc=message.received_ts_utc, register_wh=None,
                            quality=ReadingQuality.STALE, raw_value=topic.message_type.value)
            for (group_id, edge_node_id, channel_device, _), c in self.channels.items()
            if (group_id, edge_node_id) == topic.node_key and (device_id is None or channel_device == device_id))
        self.counts.readings += len(stale)
        if not stale:
            return []
        return [Delivery(source=f"sparkplug:{message.mqtt_topic}", raw_message=message.raw, readings=stale)]

    # --- rebirth --------------------------------------------------------------------------------------------

    def _ask_rebirth(self, topic: EdgeTopic, reason: str, now_utc: datetime, output: HostOutput) -> None:
        asked = self.rebirth_asked_utc.get(topic.node_key)
        if asked is not None and now_utc - asked < self.rebirth_retry:
            return  # asked recently: its NBIRTH is on the way
        output.rebirths.append(self._rebirth(topic.group_id, topic.edge_node_id, reason, now_utc))

    def _rebirth(self, group_id: str, edge_node_id: str, reason: str, now_utc: datetime) -> RebirthRequest:
        self.rebirth_asked_utc[(group_id, edge_node_id)] = now_utc
        self.counts.rebirths_requested += 1
        log.warning("spBv1.0/%s/%s: asking for a rebirth (%s)", group_id, edge_node_id, reason)
        return RebirthRequest(group_id, edge_node_id, reason)
