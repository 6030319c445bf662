"""Fixtures for the connector integration tests: a real Mosquitto broker on a free loopback port with explicit
limits (the machine's default configuration queues and persists too little for the durability tests), a campus
declaring live channels, and a data root.

`mosquitto` (function-scoped) yields a `Broker` that can be stopped, killed and restarted on the same port with its
persistence kept; the Sparkplug tests reuse it. Mosquitto 2.0.11 settings and why:
- `max_inflight_messages 1000`: un-acked QoS 1 messages per client; the connector acks after a commit, so this
  is how many messages a batch can gather (the default 20 would cap batches at 20 messages);
- `max_queued_messages 1000000`: a persistent session's queue while the connector is away (the default 1000
  drops the newest on overflow);
- `persistence true` and `autosave_interval 1`: a restarted broker still holds the sessions and their queues.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from campus import service as campus_service
from campus.file import parse_campus_text

MOSQUITTO = "/usr/sbin/mosquitto"
ROOT = Path(__file__).resolve().parents[3]
DEMO_CAMPUS = ROOT / "demo" / "campus.toml"
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Broker:
    """A Mosquitto process on 127.0.0.1:`port` with its own configuration and persistence folder."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None
        config = self.folder / "mosquitto.conf"
        config.write_text("\n".join([
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.folder}/",
            "autosave_interval 1",
            "max_inflight_messages 1000",
            "max_queued_messages 1000000",
            "max_queued_bytes 0",
            "log_type error",
            "log_type warning",
            f"log_dest file {self.folder}/mosquitto.log",
            "",
        ]))
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "mosquitto.log").read_text(errors="replace")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not listen on {self.port} within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """SIGTERM: the broker saves its persistence file and exits."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _end(self, how: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    assert shutil.which(MOSQUITTO) or os.path.exists(MOSQUITTO), "mosquitto is not installed"
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    broker = Broker(free_port(), folder)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def data_root(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def channel_text(meter_id: str, broker_port: int, topic: str) -> str:
    return f'''
[[channels]]
meter = "{meter_id}"
protocol = "mqtt_json"
unit = "Wh"
register_modulus = "4294967296"
[channels.mqtt_json]
broker = "mqtt://127.0.0.1:{broker_port}"
topic = "{topic}"
value_field = "wh"
timestamp_field = "ts"
'''


def apply_live_campus(engine: Engine, channels: str = "", meter_extra: dict[str, str] | None = None) -> str:
    """The demo campus under a fresh id, with `channels` (TOML `[[channels]]` text) appended and each
    `meter_extra` text (e.g. `[[meters.devices]]`) placed at the end of its meter's table; returns its id."""
    campus_id = f"live-{uuid.uuid4().hex[:10]}"
    text = DEMO_CAMPUS.read_text().replace('id = "demo-campus"', f'id = "{campus_id}"', 1)
    for meter_id, extra in (meter_extra or {}).items():
        table_end = text.index("\n[[", text.index(f'id = "{meter_id}"'))
        text = text[:table_end] + "\n" + extra + text[table_end:]
    text += channels
    campus_service.apply(engine, parse_campus_text("campus.toml", text.encode(), None), "test")
    return campus_id
