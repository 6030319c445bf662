"""The MQTT plain JSON source against a real Mosquitto (started by the test on a free loopback port) and a real
PostgreSQL: every QoS 1 message is stored once and acknowledged only after the commit; messages published while
the connector is away wait in its persistent session; a failed commit drops the connection and the broker resends;
a slow store back-pressures instead of growing memory; the derived intervals reach the meter-data store with
their quality and a new version when a late reading arrives."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pyarrow.parquet as pq
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, text

from connectors.derive import derive_window
from connectors.reading import Delivery, ReadingQuality, RegisterReading
from connectors.service import ConnectSettings, derive_forever, derive_recent, run_campus
from connectors.sink import SinkSettings
from connectors.store import BatchOutcome, commit_batch
from tests.integration.connectors.conftest import Broker, apply_live_campus, channel_text

WAIT_S = 30.0
FAST = ConnectSettings(SinkSettings(batch_wait_ms=50), derive_every=timedelta(hours=1))


class Publisher:
    """A QoS 1 publisher with its own persistent session (it resends what the broker did not acknowledge)."""

    def __init__(self, port: int, name: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 2)
        self.client.connect(host="127.0.0.1", port=port)
        self.client.loop_start()

    def publish(self, topic: str, ts: datetime, register_wh: int) -> mqtt.MQTTMessageInfo:
        payload = json.dumps({"ts": ts.isoformat(), "wh": register_wh})
        return self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def reading_count(engine: Engine, campus_id: str) -> int:
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT count(*) FROM connector_reading WHERE campus_id = :c"),
                                {"c": campus_id}).scalar_one())


async def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except (asyncio.CancelledError, BaseExceptionGroup):
        pass


def live_campus(engine: Engine, broker: Broker) -> tuple[str, str]:
    topic = f"plant/{time.monotonic_ns()}/GT1-GEN"
    return apply_live_campus(engine, channel_text("GT1-GEN", broker.port, topic)), topic


T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


async def test_every_message_is_stored_once_and_messages_sent_while_away_arrive(
        engine: Engine, data_root: str, mosquitto: Broker) -> None:
    """100 messages while the connector runs, then 50 while it is stopped (they wait in its persistent session):
    150 readings, no duplicates — every message was acknowledged after its commit, none was redelivered."""
    campus_id, topic = live_campus(engine, mosquitto)
    task = asyncio.create_task(run_campus(engine, data_root, campus_id, FAST))
    publisher = Publisher(mosquitto.port, f"pub-{campus_id}")
    try:
        await asyncio.sleep(1.0)  # the connector subscribes (its session exists from now on)
        for second in range(100):
            publisher.publish(topic, T0 + timedelta(seconds=second), 1_000 + 10 * second)
        await wait_until(lambda: reading_count(engine, campus_id) == 100, "100 readings")
        await stop(task)
        for second in range(100, 150):
            publisher.publish(topic, T0 + timedelta(seconds=second), 1_000 + 10 * second).wait_for_publish(5)
        task = asyncio.create_task(run_campus(engine, data_root, campus_id, FAST))
        await wait_until(lambda: reading_count(engine, campus_id) == 150, "150 readings")
        await asyncio.sleep(1.0)  # anything redelivered would show as a duplicate now
    finally:
        publisher.close()
        await stop(task)
    with engine.begin() as conn:
        duplicates = conn.execute(text("SELECT duplicate_count FROM connector_channel_state WHERE campus_id = :c"),
                                  {"c": campus_id}).scalar_one()
    assert (reading_count(engine, campus_id), duplicates) == (150, 0)


async def test_a_failed_commit_drops_the_connection_and_the_broker_resends(
        engine: Engine, data_root: str, mosquitto: Broker) -> None:
    """The first two commits fail (as with the database down): nothing is acked, the source reconnects and the
    broker resends, so all 40 readings are stored, once."""
    campus_id, topic = live_campus(engine, mosquitto)
    failures = {"left": 2}

    def flaky(deliveries: Sequence[Delivery]) -> BatchOutcome:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("database unavailable")
        return commit_batch(engine, data_root, campus_id, deliveries)

    task = asyncio.create_task(run_campus(engine, data_root, campus_id, FAST, commit=flaky))
    publisher = Publisher(mosquitto.port, f"pub-{campus_id}")
    try:
        await asyncio.sleep(1.0)
        for second in range(40):
            publisher.publish(topic, T0 + timedelta(seconds=second), 5_000 + second)
        await wait_until(lambda: reading_count(engine, campus_id) == 40, "40 readings")
        await asyncio.sleep(1.0)
    finally:
        publisher.close()
        await stop(task)
    assert failures["left"] == 0
    assert reading_count(engine, campus_id) == 40


async def test_a_slow_store_back_pressures_and_loses_nothing(engine: Engine, data_root: str,
                                                            mosquitto: Broker) -> None:
    """Commits take 0.3 s and the queue holds 5 deliveries: the queue never holds more than 5, the broker keeps
    the rest, and all 300 readings arrive."""
    campus_id, topic = live_campus(engine, mosquitto)
    queue_sizes: list[int] = []

    def slow(deliveries: Sequence[Delivery]) -> BatchOutcome:
        time.sleep(0.3)
        return commit_batch(engine, data_root, campus_id, deliveries)

    def observe(outcome: BatchOutcome, deliveries: Sequence[Delivery]) -> None:
        queue_sizes.append(len(deliveries))

    settings = ConnectSettings(SinkSettings(queue_deliveries_max=5, batch_readings_max=50, batch_wait_ms=20),
                               derive_every=timedelta(hours=1))
    task = asyncio.create_task(run_campus(engine, data_root, campus_id, settings, commit=slow, on_commit=observe))
    publisher = Publisher(mosquitto.port, f"pub-{campus_id}")
    try:
        await asyncio.sleep(1.0)
        for second in range(300):
            publisher.publish(topic, T0 + timedelta(seconds=second), 9_000 + second)
        await wait_until(lambda: reading_count(engine, campus_id) == 300, "300 readings", 90)
    finally:
        publisher.close()
        await stop(task)
    # A batch takes what the queue held plus what arrived within its wait: never all 300 at once.
    assert max(queue_sizes) <= 50 and len(queue_sizes) >= 6


async def test_derived_intervals_reach_the_meter_data_store_and_a_late_reading_makes_a_new_version(
        engine: Engine, data_root: str, mosquitto: Broker) -> None:
    """Readings every minute for 30 minutes from a whole hour, +100 Wh a minute, minutes 11 to 19 missing: the
    15-minute boundary falls in the gap, so both intervals are 1,500 Wh (the 1,000 Wh of the gap split 500 : 500
    by time) and flagged estimated. The meter-data store accepts the
    file with those qualities. A late reading (the minutes 10 to 20 replayed) re-derives as version 2 with both
    intervals measured; deriving again without news stores nothing."""
    campus_id, topic = live_campus(engine, mosquitto)
    start = T0.replace(minute=0, second=0) - timedelta(hours=1)
    minutes = [m for m in range(31) if not 10 < m < 20]
    deliveries = [_delivery(topic, start + timedelta(minutes=m), 50_000 + 100 * m) for m in minutes]
    commit_batch(engine, data_root, campus_id, deliveries)
    now = datetime.now(UTC)
    day = start.replace(hour=0, minute=0)
    first = derive_window(engine, data_root, campus_id, day, day + timedelta(days=1), now)
    assert (first.version, first.interval_count, first.estimated_count) == (1, 2, 2)
    stored = _stored_intervals(engine, campus_id, first.sha256_hex)
    assert stored == [(start, 1_500, 1), (start + timedelta(minutes=15), 1_500, 1)]
    late = [_delivery(topic, start + timedelta(minutes=m), 50_000 + 100 * m) for m in range(11, 20)]
    commit_batch(engine, data_root, campus_id, late)
    second = derive_window(engine, data_root, campus_id, day, day + timedelta(days=1), now)
    assert (second.version, second.estimated_count) == (2, 0)
    assert _stored_intervals(engine, campus_id, second.sha256_hex) == [
        (start, 1_500, 0), (start + timedelta(minutes=15), 1_500, 0)]
    again = derive_window(engine, data_root, campus_id, day, day + timedelta(days=1), now)
    assert (again.version, again.sha256_hex) == (None, second.sha256_hex)
    days_back = (now.date() - day.date()).days
    assert next(d.version for d in derive_recent(engine, data_root, campus_id, now, days_back)) is None


def _delivery(topic: str, ts: datetime, register_wh: int) -> Delivery:
    reading = RegisterReading("GT1-GEN", "main", ts, ts + timedelta(milliseconds=20), register_wh,
                              ReadingQuality.GOOD, str(register_wh))
    return Delivery(f"mqtt:test/{topic}", json.dumps({"ts": ts.isoformat(), "wh": register_wh}).encode(), (reading,))


def _stored_intervals(engine: Engine, campus_id: str, sha256_hex: str) -> list[tuple[datetime, int, int]]:
    with engine.begin() as conn:
        status = conn.execute(text("SELECT f.stored_uri, a.reading_count FROM raw_file f JOIN meter_data_accepted a"
                                   " USING (sha256_hex) WHERE sha256_hex = :s AND f.campus_id = :c"),
                              {"s": sha256_hex, "c": campus_id}).one()
    table = pq.read_table(status[0])
    return list(zip(table["interval_start_utc"].to_pylist(), table["energy_wh"].to_pylist(),
                    table["quality"].to_pylist(), strict=True))



async def test_the_derivation_loop_stores_a_version_and_skips_rounds_without_new_readings(
        engine: Engine, data_root: str, mosquitto: Broker) -> None:
    """Readings at :00 and :30 of a past hour, the loop every 0.2 s: one version of that day (two estimated
    intervals) appears and stays the only one while no reading arrives; a late reading at :15 changes both
    intervals, so version 2."""
    campus_id, topic = live_campus(engine, mosquitto)
    start = T0.replace(minute=0, second=0) - timedelta(hours=1)
    commit_batch(engine, data_root, campus_id,
                 [_delivery(topic, start + timedelta(minutes=m), 1_000 + 10 * m) for m in (0, 30)])
    days_back = (datetime.now(UTC).date() - start.date()).days
    settings = ConnectSettings(derive_every=timedelta(seconds=0.2), derive_days_back=days_back)
    loop = asyncio.create_task(derive_forever(engine, data_root, campus_id, settings))
    try:
        await wait_until(lambda: _versions(engine, campus_id) == [1], "version 1")
        await asyncio.sleep(1.0)
        assert _versions(engine, campus_id) == [1]
        commit_batch(engine, data_root, campus_id, [_delivery(topic, start + timedelta(minutes=15), 1_160)])
        await wait_until(lambda: _versions(engine, campus_id) == [1, 2], "version 2")
    finally:
        await stop(loop)


def _versions(engine: Engine, campus_id: str) -> list[int]:
    with engine.begin() as conn:
        return list(conn.execute(text("SELECT version FROM connector_derivation WHERE campus_id = :c"
                                      " ORDER BY version"), {"c": campus_id}).scalars().all())
