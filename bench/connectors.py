"""Live connector benchmark: plain MQTT JSON into the store, `--channels` channels (2,000 by default) updated once a
second each, for `--seconds` seconds (60), through a real Mosquitto and a real PostgreSQL.

A publisher process sends every channel's cumulative register once a second (QoS 1, each JSON message carrying its
publish time); the connector runs in this process (`connectors.service.run_campus`: paho manual ack, bounded
queue, batches, one transaction per batch, acks after commit). Figures:
- `readings_per_s`: readings committed ÷ the time from the first publish to the last commit;
- `p99_ms`: 99th percentile of publish → committed (the commit's return), over every reading;
- `peak_rss_mib`: this process's peak resident memory (the publisher is a separate process).
Every published reading must be stored exactly once (checked: rows = channels × seconds).

Mosquitto runs with the settings of tests/integration/connectors/conftest.py (max_inflight_messages 1000, large
session queue). Run: `nice -n 0 .venv/bin/python bench/connectors.py` with DATABASE_URL set (else the embedded
PostgreSQL under .wattledger/bench-pg). The last line is
`BENCH connectors readings_per_s=... p99_ms=... peak_rss_mib=... channels=... seconds=... stored=...`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import resource
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from campus import service as campus_service
from campus.file import parse_campus_text
from connectors.reading import Delivery
from connectors.service import ConnectSettings, client_id, run_campus
from connectors.sink import SinkSettings
from connectors.store import BatchOutcome
from db import make_engine, scratch_database, server_url_from_environment
from tests.integration.connectors.conftest import Broker, free_port

DEMO = ROOT / "demo" / "campus.toml"
PUBLISH_WAIT_S = 120.0


def campus_text(campus_id: str, port: int, channels: int) -> str:
    parts = [DEMO.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1)]
    for number in range(channels):
        parts.append(f'''
[[channels]]
meter = "GT1-GEN"
channel = "c{number:05d}"
protocol = "mqtt_json"
unit = "Wh"
[channels.mqtt_json]
broker = "mqtt://127.0.0.1:{port}"
topic = "bench/{campus_id}/c{number:05d}"
value_field = "wh"
''')
    return "".join(parts)


def publish(port: int, campus_id: str, channels: int, seconds: int) -> None:
    """The publisher process: every channel once per (wall-clock) second, source times one second apart."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{campus_id}", clean_session=True)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    start_source = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)
    started = time.monotonic()
    sent: list[mqtt.MQTTMessageInfo] = []
    for second in range(seconds):
        ts = (start_source + timedelta(seconds=second)).isoformat()
        for number in range(channels):
            payload = json.dumps({"ts": ts, "wh": 1_000_000 + second * 500 + number, "pub": time.time()})
            sent.append(client.publish(f"bench/{campus_id}/c{number:05d}", payload, qos=1))
        sleep_s = started + second + 1 - time.monotonic()
        if sleep_s > 0:
            time.sleep(sleep_s)
    # Every message acknowledged by the broker before leaving: a publisher still behind when it disconnected lost
    # its queued messages, and the run then waited for readings that were never sent.
    for info in sent:
        info.wait_for_publish(PUBLISH_WAIT_S)
    client.disconnect()
    client.loop_stop()


def prime_session(port: int, campus_id: str, channels: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id(campus_id, "127.0.0.1", port),
                         clean_session=False)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe([(f"bench/{campus_id}/c{number:05d}", 1) for number in range(channels)])
    time.sleep(1.0)
    client.disconnect()
    client.loop_stop()


async def run(url: str, data_root: str, port: int, channels: int, seconds: int) -> tuple[float, float, int]:
    engine = make_engine(url)
    campus_id = f"bench-{uuid.uuid4().hex[:8]}"
    document = parse_campus_text("bench.toml", campus_text(campus_id, port, channels).encode(), None)
    campus_service.apply(engine, document, "bench")
    prime_session(port, campus_id, channels)
    latencies_s: list[float] = []
    first_publish: list[float] = []
    last_commit = [0.0]

    def observe(outcome: BatchOutcome, deliveries: Sequence[Delivery]) -> None:
        committed = time.time()
        last_commit[0] = committed
        for delivery in deliveries:
            published = json.loads(delivery.raw_message)["pub"]
            if not first_publish:
                first_publish.append(published)
            latencies_s.append(committed - published)

    settings = ConnectSettings(SinkSettings(batch_readings_max=5_000, batch_wait_ms=100),
                               derive_every=timedelta(hours=1))
    service = asyncio.create_task(run_campus(engine, data_root, campus_id, settings, on_commit=observe))
    publisher = await asyncio.create_subprocess_exec(sys.executable, __file__, "--publish", str(port), campus_id,
                                                     str(channels), str(seconds))
    expected = channels * seconds
    deadline = time.monotonic() + seconds + 300
    while len(latencies_s) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    service.cancel()
    await asyncio.gather(service, return_exceptions=True)
    await asyncio.wait_for(publisher.wait(), 60)
    with engine.begin() as conn:
        stored = int(conn.execute(text("SELECT count(*) FROM connector_reading WHERE campus_id = :c"),
                                  {"c": campus_id}).scalar_one())
    engine.dispose()
    latencies_s.sort()
    p99_s = latencies_s[int(0.99 * (len(latencies_s) - 1))] if latencies_s else float("nan")
    elapsed_s = last_commit[0] - first_publish[0] if first_publish else float("nan")
    return stored / elapsed_s, p99_s, stored


def profile_every_thread() -> list[cProfile.Profile]:
    """One cProfile per thread (this one, paho's network thread, the commit threads): the connector's work is
    mostly outside the event loop's thread, where a plain cProfile sees only the wait in epoll."""
    profilers = [cProfile.Profile()]

    def start_in_thread(frame: object, event: str, arg: object) -> None:
        sys.setprofile(None)
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.enable()

    threading.setprofile(start_in_thread)
    profilers[0].enable()
    return profilers


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        port, campus_id, channels, seconds = sys.argv[2:6]
        publish(int(port), campus_id, int(channels), int(seconds))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of the connector side (sources, sink, store) to this file")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="wattledger-bench-connectors-") as folder:
        broker = Broker(free_port(), Path(folder))
        broker.start()
        try:
            server_url = server_url_from_environment(ROOT / ".wattledger" / "bench-pg")
            with scratch_database(server_url, "wlbench") as url:
                profilers = profile_every_thread() if args.profile else []
                per_s, p99_s, stored = asyncio.run(run(url, str(Path(folder) / "data"), broker.port, args.channels,
                                                       args.seconds))
                if profilers:
                    threading.setprofile(None)
                    pstats.Stats(*profilers).dump_stats(args.profile)
        finally:
            broker.kill()
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    expected = args.channels * args.seconds
    assert stored == expected, f"stored {stored} readings, published {expected}"
    print(f"BENCH connectors readings_per_s={per_s:.0f} p99_ms={1000 * p99_s:.0f} peak_rss_mib={peak_rss_mib:.0f} "
          f"channels={args.channels} seconds={args.seconds} stored={stored}")


if __name__ == "__main__":
    main()
