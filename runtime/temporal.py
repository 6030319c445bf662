"""Temporal client with the project's data converter, and the embedded dev server.

Every client (API, CLI, worker, tests) uses the same Pydantic converter: it round-trips Decimal, date and
dataclasses exactly, where the default converter refuses Decimal and date.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.common import HeaderCodecBehavior
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from observability.tracing import client_interceptors
from runtime.binaries import find_bin
from runtime.codec import encrypted_data_converter, ensure_payload_keyring
from runtime.tls import temporal_tls
from settings import Settings

log = logging.getLogger(__name__)

DATA_CONVERTER = pydantic_data_converter
STARTUP_WAIT_S_MAX = 60.0
OWNER_FILE_NAME = "temporal-owner.json"


def data_converter_for(settings: Settings) -> DataConverter:
    """DATA_CONVERTER plus the AES-GCM payload codec when encryption is on (see runtime/codec.py)."""
    keyring = ensure_payload_keyring(settings)
    if keyring is None:
        return DATA_CONVERTER
    return encrypted_data_converter(DATA_CONVERTER, keyring, accept_plaintext=settings.payload_plaintext_accepted)


async def connect(address: str, namespace: str, settings: Settings | None = None) -> Client:
    """A client; given the Settings it encrypts payloads and traces calls (workers inherit both)."""
    if settings is None:
        return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)
    # CODEC: headers (the trace context) are encrypted like every other payload, so history holds no plain
    # payload at all; workers built from this client decode them the same way.
    return await Client.connect(address, namespace=namespace, data_converter=data_converter_for(settings),
                                interceptors=client_interceptors(), header_codec_behavior=HeaderCodecBehavior.CODEC,
                                runtime=sdk_metrics_runtime(settings), tls=temporal_tls(settings))


_SDK_RUNTIMES: dict[str, Runtime] = {}


def sdk_metrics_runtime(settings: Settings) -> Runtime | None:
    """The SDK's own Prometheus metrics (poll latencies, task slots, schedule-to-start) on
    `temporal_metrics_port` when set; one Runtime per address per process, since it binds the port."""
    if settings.temporal_metrics_port is None:
        return None
    bind_address = f"{settings.metrics_host}:{settings.temporal_metrics_port}"
    if bind_address not in _SDK_RUNTIMES:
        telemetry = TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address))
        _SDK_RUNTIMES[bind_address] = Runtime(telemetry=telemetry)
    return _SDK_RUNTIMES[bind_address]


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class EmbeddedTemporal:
    """`temporal server start-dev` with a persistent SQLite file under the Settings home.

    History survives restarts because the database file does; the Web UI listens on `temporal_ui_port`. The
    server belongs to its home: it writes `temporal-owner.json` (port and process id) there, and a server found on
    the port is reused only when this home started it and it still runs (a CLI command beside `wattledger dev`).
    Anything else on the port (another home's server, another program) is an error, never a server to run this
    home's cycles on: its workers would run activities against another home's database.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.address = f"127.0.0.1:{settings.temporal_port}"
        self.owner_file = settings.home_abs / OWNER_FILE_NAME

    def start(self) -> str:
        if _port_open("127.0.0.1", self.settings.temporal_port):
            if not self._started_by_this_home():
                raise RuntimeError(
                    f"port {self.settings.temporal_port} is taken by a Temporal server (or another program) that "
                    f"this home, {self.settings.home_abs}, did not start. Give this home ports of its own "
                    "(WATTLEDGER_TEMPORAL_PORT, WATTLEDGER_TEMPORAL_UI_PORT), or set WATTLEDGER_TEMPORAL_ADDRESS to "
                    "that server to share it on purpose.")
            log.info("reusing this home's Temporal server on %s", self.address)
            return self.address
        home = self.settings.home_abs
        home.mkdir(parents=True, exist_ok=True)
        log_file = open(home / "temporal.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [find_bin("temporal"), "server", "start-dev", "--ip", "127.0.0.1",
             "--port", str(self.settings.temporal_port), "--ui-port", str(self.settings.temporal_ui_port),
             "--db-filename", str(home / "temporal.sqlite"), "--log-level", "warn"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.owner_file.write_text(json.dumps({"port": self.settings.temporal_port, "pid": self.process.pid,
                                               "ui_port": self.settings.temporal_ui_port}))
        self._wait_ready(home / "temporal.log")
        return self.address

    def _started_by_this_home(self) -> bool:
        owner = _live_owner(self.owner_file)
        return owner is not None and owner["port"] == self.settings.temporal_port

    def _wait_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + STARTUP_WAIT_S_MAX
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"Temporal dev server exited; see {log_path}")
            if _port_open("127.0.0.1", self.settings.temporal_port) and asyncio.run(self._namespace_ready()):
                return
            time.sleep(0.3)
        raise RuntimeError(f"Temporal dev server not ready after {STARTUP_WAIT_S_MAX:.0f} s; see {log_path}")

    async def _namespace_ready(self) -> bool:
        try:
            client = await connect(self.address, self.settings.temporal_namespace)
            await client.count_workflows()
            return True
        except Exception:  # noqa: BLE001 - any failure here just means "not yet"
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.owner_file.unlink(missing_ok=True)


def _live_owner(owner_file: Path) -> dict[str, int] | None:
    """The owner file's record (port, pid, ui_port when written) when the process it names still runs."""
    try:
        owner = json.loads(owner_file.read_text())
        os.kill(int(owner["pid"]), 0)  # signal 0: is that process still alive?
        return {"port": int(owner["port"]), "pid": int(owner["pid"]), "ui_port": int(owner.get("ui_port", 0))}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def live_home_server_ports(home: Path) -> tuple[int, int | None] | None:
    """(port, UI port or None) of the dev server this home started and that still answers (`wattledger dev`
    running in the same folder), else None. Its SQLite file is this home's: a second server must never open it."""
    owner = _live_owner(home / OWNER_FILE_NAME)
    if owner is None or not _port_open("127.0.0.1", owner["port"]):
        return None
    return owner["port"], owner["ui_port"] or None


def temporal_address(settings: Settings) -> tuple[str, EmbeddedTemporal | None]:
    """The configured cluster, or a freshly started embedded dev server (returned so the caller stops it)."""
    if settings.temporal_address:
        return settings.temporal_address, None
    embedded = EmbeddedTemporal(settings)
    return embedded.start(), embedded
