"""The three crash cases of the live connectors, each with a real Mosquitto, a real PostgreSQL and the connector in
its own process (`wattledger connect run`, or the crash harness connector_process.py):

- killed between commit and acknowledgement: the broker redelivers what was stored, which adds zero rows and moves
  the duplicate counter by exactly the rows the killed process had committed;
- SIGKILLed before its first commit: nothing is lost, every message arrives once after the restart;
- the broker restarted and PostgreSQL cut off (every connection dropped and refused for 3 s, as in a server
  restart, through a TCP proxy: the machine's own server is never restarted) mid-stream: nothing lost or doubled.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, make_url, text

from connectors.service import client_id
from tests.integration.connectors.conftest import Broker, apply_live_campus, channel_text, free_port
from tests.integration.connectors.test_mqtt_json_source import Publisher

ROOT = Path(__file__).resolve().parents[3]
HARNESS = Path(__file__).resolve().parent / "connector_process.py"
WAIT_S = 60.0
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def counts(engine: Engine, campus_id: str) -> tuple[int, int, int]:
    """(rows, sum of register values, duplicates counted)."""
    with engine.begin() as conn:
        rows, total = conn.execute(text("SELECT count(*), COALESCE(sum(register_wh), 0) FROM connector_reading"
                                        " WHERE campus_id = :c"), {"c": campus_id}).one()
        duplicates = conn.execute(text("SELECT COALESCE(sum(duplicate_count), 0) FROM connector_channel_state"
                                       " WHERE campus_id = :c"), {"c": campus_id}).scalar_one()
    return int(rows), int(total), int(duplicates)


def missing_seconds(engine: Engine, campus_id: str, published: int) -> list[int]:
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT source_ts_utc FROM connector_reading WHERE campus_id = :c"),
                              {"c": campus_id}).scalars().all()
    seconds = {int((ts - T0).total_seconds()) for ts in stored}
    return [second for second in range(published) if second not in seconds]


def wait_for(condition: object, what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def cli_connector(database_url: str, data_root: str, home: Path, campus_id: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_DATA_URI": data_root,
                   "WATTLEDGER_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "wattledger_cli.main", "connect", "run", "--campus", campus_id],
                            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def harness(database_url: str, data_root: str, campus_id: str, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(HARNESS), database_url, data_root, campus_id, mode], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def end(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return (process.stdout.read() if process.stdout else b"").decode(errors="replace")


@pytest.fixture
def live(engine: Engine, mosquitto: Broker) -> Iterator[tuple[str, str, Publisher]]:
    topic = f"plant/{time.monotonic_ns()}/GT1-GEN"
    campus_id = apply_live_campus(engine, channel_text("GT1-GEN", mosquitto.port, topic))
    prime_session(mosquitto.port, campus_id, topic)
    publisher = Publisher(mosquitto.port, f"pub-{campus_id}")
    try:
        yield campus_id, topic, publisher
    finally:
        publisher.close()


def prime_session(broker_port: int, campus_id: str, topic: str) -> None:
    """Create the connector's persistent session (its fixed client id, subscribed at QoS 1) before it starts, so
    what is published from now on waits for it however long its process takes to start."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id(campus_id, "127.0.0.1", broker_port),
                         clean_session=False)
    client.connect("127.0.0.1", broker_port)
    client.loop_start()
    client.subscribe(topic, qos=1)[1]
    time.sleep(0.5)
    client.disconnect()
    client.loop_stop()


def publish(publisher: Publisher, topic: str, seconds: range, pause_s: float = 0.0) -> int:
    """Publish one reading a second of source time (register 1,000 + 7 × second), each once the broker has it
    (waiting out a broker restart); returns the register sum."""
    for second in seconds:
        wait_for(publisher.client.is_connected, "the publisher's connection")
        publisher.publish(topic, T0 + timedelta(seconds=second), 1_000 + 7 * second).wait_for_publish(10)
        time.sleep(pause_s)
    return sum(1_000 + 7 * second for second in seconds)


def test_killed_between_commit_and_ack_the_redelivery_adds_zero_rows(
        engine: Engine, database_url: str, data_root: str, tmp_path: Path, live: tuple[str, str, Publisher]) -> None:
    campus_id, topic, publisher = live
    crashing = harness(database_url, data_root, campus_id, "kill-after-commit")
    total = publish(publisher, topic, range(20))
    try:
        assert crashing.wait(WAIT_S) == -9
    finally:
        end(crashing)
    committed_by_killed, _, _ = counts(engine, campus_id)
    assert committed_by_killed >= 1
    connector = cli_connector(database_url, data_root, tmp_path / "home", campus_id)
    try:
        wait_for(lambda: counts(engine, campus_id)[0] == 20, "20 readings")
        wait_for(lambda: counts(engine, campus_id)[2] >= committed_by_killed, "the redelivered duplicates")
        time.sleep(1.0)
    finally:
        output = end(connector)
    assert counts(engine, campus_id) == (20, total, committed_by_killed), output


def test_sigkilled_before_commit_nothing_is_lost_after_restart(
        engine: Engine, database_url: str, data_root: str, tmp_path: Path, live: tuple[str, str, Publisher]) -> None:
    campus_id, topic, publisher = live
    crashing = harness(database_url, data_root, campus_id, "kill-before-commit")
    total = publish(publisher, topic, range(20))
    try:
        assert crashing.wait(WAIT_S) == -9
    finally:
        end(crashing)
    assert counts(engine, campus_id)[0] == 0
    connector = cli_connector(database_url, data_root, tmp_path / "home", campus_id)
    try:
        wait_for(lambda: counts(engine, campus_id)[0] == 20, "20 readings")
        time.sleep(1.0)
    finally:
        output = end(connector)
    assert counts(engine, campus_id) == (20, total, 0), output


class TcpProxy:
    """127.0.0.1:`port` → target, in its own thread; `cut(seconds)` drops every connection and refuses new ones
    for that long, as a restarting server does."""

    def __init__(self, target_host: str, target_port: int) -> None:
        # A host that is a folder is PostgreSQL's Unix socket (the embedded server): `<folder>/.s.PGSQL.<port>`.
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(5)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            host, port = self.target
            if host.startswith("/"):
                upstream_reader, upstream_writer = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
            else:
                upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    async def _cut(self, seconds: float) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await asyncio.sleep(seconds)
        await self._listen()

    def cut(self, seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(self._cut(seconds), self.loop).result(seconds + 10)

    def close(self) -> None:
        async def shut() -> None:
            if self.server is not None:
                self.server.close()
            for writer in list(self.writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_a_broker_restart_and_a_database_restart_mid_stream_lose_and_double_nothing(
        engine: Engine, database_url: str, data_root: str, tmp_path: Path, mosquitto: Broker,
        live: tuple[str, str, Publisher]) -> None:
    campus_id, topic, publisher = live
    url = make_url(database_url)
    socket_folder = url.query.get("host")  # the embedded server is reached through its Unix socket folder
    upstream_host = socket_folder if isinstance(socket_folder, str) else (url.host or "127.0.0.1")
    proxy = TcpProxy(upstream_host, url.port or 5432)
    proxied_url = url.set(host="127.0.0.1", port=proxy.port, query={k: v for k, v in url.query.items() if k != "host"}
                          ).render_as_string(hide_password=False)
    connector = cli_connector(proxied_url, data_root, tmp_path / "home", campus_id)
    try:
        total = publish(publisher, topic, range(60))
        wait_for(lambda: counts(engine, campus_id)[0] == 60, "the connector running")
        stream = threading.Thread(target=publish, args=(publisher, topic, range(60, 240), 0.02))
        stream.start()  # 180 more over about 4 s while the broker restarts and the database is cut off
        time.sleep(0.3)
        mosquitto.restart()
        time.sleep(0.5)
        proxy.cut(3.0)
        stream.join(60)
        total += sum(1_000 + 7 * second for second in range(60, 240))
        try:
            wait_for(lambda: counts(engine, campus_id)[0] >= 240, "240 readings", 90)
        except AssertionError as error:
            raise AssertionError(f"{error}: {counts(engine, campus_id)}, missing seconds "
                                 f"{missing_seconds(engine, campus_id, 240)}; connector: {end(connector)[-3000:]}"
                                 ) from None
        time.sleep(1.0)
    finally:
        output = end(connector)
        proxy.close()
    rows, register_sum, _ = counts(engine, campus_id)
    assert (rows, register_sum) == (240, total), output
    assert "handed back to their sources" in output  # the cut did fail commits: this was not a quiet window
