"""Sparkplug B payload codec and primary host state, without a broker.

The codec is checked against wire bytes worked by hand from the specification's field numbers (Payload.timestamp
1, metrics 2, seq 3; Metric.name 1, alias 2, timestamp 3, datatype 4, long_value 11). The host state is driven
with edge-node messages in the order a broker could deliver them: births define aliases, data by alias become
readings in primary Wh at the metric's acquisition time, a seq gap waits for the reorder timeout before a
rebirth, unknown aliases ask for a rebirth, a late NDEATH with an old bdSeq is ignored, NDEATH and DDEATH make
STALE readings at receipt time, and store-and-forward replay stays historical."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors import EnergyUnit, ReadingQuality, RegisterReading
from connectors.sparkplug import SparkplugChannel
from connectors.sparkplug.host_state import HostOutput, SparkplugHostState
from connectors.sparkplug.payload import DataType, Metric, Payload, decode_payload, encode_payload

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
T0_MS = 1_796_634_000_000  # T0 in ms since the epoch
REORDER = timedelta(seconds=2)
NODE = "spBv1.0/Plant/{kind}/EPMS1"
DEVICE = "spBv1.0/Plant/{kind}/EPMS1/PM8000-A"

CHANNELS = [
    SparkplugChannel(meter_id="MAIN", channel="delivered", group_id="Plant", edge_node_id="EPMS1", device_id=None,
                     metric_name="Main/Energy Delivered", unit=EnergyUnit.KWH, scale_power_of_ten=-1),
    SparkplugChannel(meter_id="A", channel="delivered", group_id="Plant", edge_node_id="EPMS1",
                     device_id="PM8000-A", metric_name="Energy Delivered", unit=EnergyUnit.WH),
]


def metric(name: str | None, value: float | None, alias: int | None = None, ms: int | None = None,
           datatype: DataType = DataType.UINT64, **extra: object) -> Metric:
    return Metric(name=name, alias=alias, timestamp_ms=ms, datatype=datatype, value=value, **extra)  # type: ignore[arg-type]


def node_birth(bd_seq: int, main_tenths_kwh: int) -> bytes:
    return encode_payload(Payload(T0_MS, (metric("bdSeq", bd_seq, datatype=DataType.INT64),
                                          metric("Main/Energy Delivered", main_tenths_kwh, alias=1, ms=T0_MS)), 0))


def device_birth(seq: int, wh: int) -> bytes:
    return encode_payload(Payload(T0_MS, (metric("Energy Delivered", wh, alias=2, ms=T0_MS),), seq))


def node_data(seq: int, main_tenths_kwh: int, at_s: int, alias: int = 1, **extra: object) -> bytes:
    return encode_payload(Payload(T0_MS + at_s * 1000,
                                  (metric(None, main_tenths_kwh, alias=alias, ms=T0_MS + at_s * 1000, **extra),),
                                  seq))


def node_death(bd_seq: int) -> bytes:
    return encode_payload(Payload(None, (metric("bdSeq", bd_seq, datatype=DataType.INT64),), None))


def readings(output: HostOutput) -> list[RegisterReading]:
    return [reading for delivery in output.deliveries for reading in delivery.readings]


def born_host() -> SparkplugHostState:
    host = SparkplugHostState(CHANNELS, REORDER, rebirth_retry=timedelta(seconds=10))
    host.handle(NODE.format(kind="NBIRTH"), node_birth(bd_seq=3, main_tenths_kwh=100), T0)
    host.handle(DEVICE.format(kind="DBIRTH"), device_birth(seq=1, wh=5_000), T0)
    return host


def test_payload_wire_bytes_follow_the_specification_field_numbers() -> None:
    assert encode_payload(Payload(timestamp_ms=1, metrics=(), seq=2)) == bytes.fromhex("08011802")
    one_metric = Payload(None, (metric("a", 7, alias=5, datatype=DataType.INT64),), None)
    assert encode_payload(one_metric) == bytes.fromhex("1209" "0a0161" "1005" "2004" "5807")
    # Int64 −2 travels as the two's complement uint64 and comes back signed.
    assert decode_payload(encode_payload(Payload(None, (metric("n", -2, datatype=DataType.INT64),), 0))) \
        .metrics[0].value == -2


def test_births_then_data_by_alias_give_primary_wh_at_acquisition_time() -> None:
    host = SparkplugHostState(CHANNELS, REORDER, rebirth_retry=timedelta(seconds=10))
    birth = readings(host.handle(NODE.format(kind="NBIRTH"), node_birth(3, 100), T0))
    device = readings(host.handle(DEVICE.format(kind="DBIRTH"), device_birth(1, 5_000), T0))
    data = host.handle(NODE.format(kind="NDATA"), node_data(2, 125, at_s=60), T0 + timedelta(seconds=61))
    # 100 tenths of kWh = 10 kWh = 10,000 Wh; 125 tenths = 12,500 Wh placed at T0+60 s (the metric's time)
    assert [(r.meter_id, r.register_wh, r.source_ts_utc) for r in birth + device + readings(data)] == [
        ("MAIN", 10_000, T0), ("A", 5_000, T0), ("MAIN", 12_500, T0 + timedelta(seconds=60))]
    assert data.deliveries[0].source == "sparkplug:spBv1.0/Plant/NDATA/EPMS1" and data.rebirths == []


def test_seq_gap_waits_for_the_reorder_timeout_then_asks_for_rebirth() -> None:
    host = born_host()
    # seq 2 is late: 3 arrives first and is held
    held = host.handle(NODE.format(kind="NDATA"), node_data(3, 130, at_s=2), T0 + timedelta(seconds=2))
    assert held.deliveries == [] and held.rebirths == []
    late = host.handle(NODE.format(kind="NDATA"), node_data(2, 120, at_s=1), T0 + timedelta(seconds=3))
    assert [r.register_wh for r in readings(late)] == [12_000, 13_000] and late.rebirths == []
    # seq 5 arrives, 4 never does: nothing until the reorder timeout, then a rebirth and the held data
    host.handle(NODE.format(kind="NDATA"), node_data(5, 150, at_s=5), T0 + timedelta(seconds=5))
    assert host.tick(T0 + timedelta(seconds=6)).rebirths == []
    gave_up = host.tick(T0 + timedelta(seconds=7))
    assert [(r.group_id, r.edge_node_id, r.reason) for r in gave_up.rebirths] == [("Plant", "EPMS1", "seq gap")]
    assert [r.register_wh for r in readings(gave_up)] == [15_000]
    # the sequence goes on from 5
    assert readings(host.handle(NODE.format(kind="NDATA"), node_data(6, 160, at_s=6), T0 + timedelta(seconds=8)))


def test_unknown_alias_asks_for_rebirth_once_per_retry_period() -> None:
    host = born_host()
    first = host.handle(NODE.format(kind="NDATA"), node_data(2, 1, at_s=1, alias=99), T0 + timedelta(seconds=1))
    again = host.handle(NODE.format(kind="NDATA"), node_data(3, 1, at_s=2, alias=99), T0 + timedelta(seconds=2))
    assert [r.reason for r in first.rebirths] == ["unknown alias 99"] and again.rebirths == []
    assert readings(first) == [] and host.counts.unknown_aliases == 2


def test_data_from_a_node_never_born_asks_for_rebirth() -> None:
    host = SparkplugHostState(CHANNELS, REORDER, rebirth_retry=timedelta(seconds=10))
    output = host.handle(NODE.format(kind="NDATA"), node_data(7, 1, at_s=1), T0)
    assert [r.reason for r in output.rebirths] == ["data without an open session"] and output.deliveries == []


def test_late_ndeath_with_an_old_bdseq_is_ignored_and_a_matching_one_marks_stale() -> None:
    host = born_host()
    received = T0 + timedelta(seconds=30)
    assert host.handle(NODE.format(kind="NDEATH"), node_death(bd_seq=2), received).deliveries == []
    assert host.counts.late_deaths_ignored == 1
    assert readings(host.handle(NODE.format(kind="NDATA"), node_data(2, 140, at_s=31), received))  # still online
    death = readings(host.handle(NODE.format(kind="NDEATH"), node_death(bd_seq=3), received))
    assert {(r.meter_id, r.quality, r.register_wh, r.source_ts_utc) for r in death} == {
        ("MAIN", ReadingQuality.STALE, None, received), ("A", ReadingQuality.STALE, None, received)}


def test_ddeath_marks_only_that_devices_channels_stale() -> None:
    host = born_host()
    death = host.handle(DEVICE.format(kind="DDEATH"), encode_payload(Payload(T0_MS, (), 2)), T0)
    assert [(r.meter_id, r.quality) for r in readings(death)] == [("A", ReadingQuality.STALE)]


def test_historical_replay_and_quality_properties() -> None:
    host = born_host()
    replay = host.handle(NODE.format(kind="NDATA"), node_data(2, 110, at_s=-600, is_historical=True), T0)
    assert [(r.register_wh, r.historical, r.source_ts_utc) for r in readings(replay)] == [
        (11_000, True, T0 - timedelta(minutes=10))]
    uncertain = node_data(3, 111, at_s=1, properties=(("Quality", 0x4000_0101),))  # Ignition Uncertain_LastKnown
    assert readings(host.handle(NODE.format(kind="NDATA"), uncertain, T0))[0].quality is ReadingQuality.UNCERTAIN
    bad = node_data(4, 112, at_s=2, properties=(("Quality", 0),))
    assert [(r.quality, r.register_wh) for r in readings(host.handle(NODE.format(kind="NDATA"), bad, T0))] == [
        (ReadingQuality.BAD, None)]
    null = encode_payload(Payload(T0_MS, (metric(None, None, alias=1, ms=T0_MS, is_null=True),), 5))
    assert readings(host.handle(NODE.format(kind="NDATA"), null, T0))[0].quality is ReadingQuality.BAD


def test_seq_wraps_from_255_to_0() -> None:
    host = born_host()
    for seq in range(2, 256):
        host.handle(NODE.format(kind="NDATA"), node_data(seq, seq, at_s=seq), T0)
    wrapped = host.handle(NODE.format(kind="NDATA"), node_data(0, 300, at_s=300), T0)
    assert [r.register_wh for r in readings(wrapped)] == [30_000] and host.counts.seq_gaps == 0


def test_a_message_the_host_could_not_queue_asks_for_rebirth() -> None:
    host = born_host()
    output = host.inbox_overflowed(NODE.format(kind="NDATA"), T0)
    assert [(r.edge_node_id, r.reason) for r in output.rebirths] == [("EPMS1", "host queue overflow")]
    assert host.counts.inbox_overflows == 1


def test_device_data_without_its_birth_asks_for_rebirth() -> None:
    host = SparkplugHostState(CHANNELS, REORDER, rebirth_retry=timedelta(seconds=10))
    host.handle(NODE.format(kind="NBIRTH"), node_birth(bd_seq=3, main_tenths_kwh=100), T0)
    device_data = encode_payload(Payload(T0_MS, (metric("Energy Delivered", 5_100, ms=T0_MS),), 1))
    output = host.handle(DEVICE.format(kind="DDATA"), device_data, T0)
    assert [r.reason for r in output.rebirths] == ["data from device PM8000-A without its DBIRTH"]
    assert [r.register_wh for r in readings(output)] == [5_100]  # named metric: still a true register value
