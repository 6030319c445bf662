"""A simulated plant for `wattledger demo --live`: one UTC day of the sample campus's meters, replayed at an
accelerated clock through a real Mosquitto broker (plain MQTT JSON) and an in-process Modbus TCP server, read by
the connectors into the connector store, and derived into the campus meter-data store the cycle settles from.

The plant's registers follow the same generated month as the site export (demo.site_export.month_intervals, same
seed): each register is the running sum of the meter's interval energy, advanced linearly inside an interval. So
the MQTT channels, published once a simulated minute with the register exact at every quarter hour, derive the
export's intervals to the Wh; the Modbus channels, polled on the accelerated clock, mostly find no reading on a
boundary and split the step across it (estimated, register-bounded: the day's energy is still exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from sqlalchemy import Engine

from common.errors import DomainError
from connectors.derive import derive_window
from connectors.service import ConnectSettings, channel_statuses, run_campus
from db import make_engine, resolve_database_url
from demo.campus import CAMPUS_FILE, CAMPUS_ID, INTERVAL_MINUTES
from demo.site_export import month_intervals

if TYPE_CHECKING:
    from settings import Settings

MOSQUITTO = "/usr/sbin/mosquitto"
MQTT_METERS = ("ACME-A", "BOREALIS-A")
MODBUS_METERS = ("CIRRUS-A", "CIRRUS-B")  # device ids 1 and 2 of one simulated gateway
MODBUS_OFFSET = 3203  # Schneider-style INT64 Wh, printed register 3204
HOLDING = 3
REGISTER_BASE_WH = 7_000_000_000
SPEEDUP = 1_440
"""Simulated seconds per real second: a day in one minute."""
MARGIN = timedelta(minutes=10)
"""The plant runs a little before and after the day, so each day boundary has readings around it."""
PUBLISH_EVERY = timedelta(minutes=1)
MODBUS_POLL_MS = 100  # the campus file's floor; 2.4 simulated minutes at SPEEDUP
START_WAIT_S = 10.0
STORE_WAIT_S = 120.0


@dataclass(frozen=True)
class LiveOutcome:
    day_start_utc: datetime
    readings_stored: int
    duplicates: int
    intervals_derived: int
    intervals_estimated: int
    version: int | None
    sha256_hex: str


class AcceleratedClock:
    """Simulated UTC time: `start` at the first call of `begin`, then SPEEDUP times faster than the wall clock."""

    def __init__(self, start_utc: datetime, speedup: float = SPEEDUP) -> None:
        self.start_utc = start_utc
        self.speedup = speedup
        self._t0 = time.monotonic()

    def begin(self) -> None:
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start_utc + timedelta(seconds=(time.monotonic() - self._t0) * self.speedup)

    async def sleep_until(self, at_utc: datetime) -> None:
        ahead_s = (at_utc - self.now()).total_seconds() / self.speedup
        if ahead_s > 0:
            await asyncio.sleep(ahead_s)


class Registers:
    """Each simulated meter's cumulative Wh register at any instant of the generated month."""

    def __init__(self, year: int, month: int, seed: int) -> None:
        intervals = month_intervals(year, month, seed)
        self.month_start_utc = intervals[0].start_local.astimezone(UTC)
        self.step = timedelta(minutes=INTERVAL_MINUTES)
        self.energy_wh = {meter: [i.energy_wh[meter] for i in intervals] for meter in MQTT_METERS + MODBUS_METERS}
        self.before_wh: dict[str, list[int]] = {}
        for meter, energies in self.energy_wh.items():
            running = REGISTER_BASE_WH + 1_000_000 * len(self.before_wh)
            sums = []
            for energy_wh in energies:
                sums.append(running)
                running += energy_wh
            self.before_wh[meter] = sums

    def at(self, meter: str, at_utc: datetime) -> int:
        index, into = divmod(at_utc - self.month_start_utc, self.step)
        index = max(0, min(index, len(self.before_wh[meter]) - 1))
        # Integer Wh: floor of the linear advance, exact at every interval start.
        return self.before_wh[meter][index] + self.energy_wh[meter][index] * into // self.step


def live_day(year: int, month: int) -> datetime:
    """The replayed UTC day: the 15th, inside the local month with a margin either side."""
    return datetime(year, month, 15, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def live_campus_text(mqtt_port: int, modbus_port: int) -> str:
    """The demo campus file with `[[channels]]` for the simulated plant (ports differ each run)."""
    channels = [CAMPUS_FILE.read_text()]
    for meter in MQTT_METERS:
        channels.append(f'''
[[channels]]
meter = "{meter}"
protocol = "mqtt_json"
unit = "Wh"
[channels.mqtt_json]
broker = "mqtt://127.0.0.1:{mqtt_port}"
topic = "demo/plant/{meter}"
value_field = "wh"
timestamp_field = "ts"
''')
    for device_id, meter in enumerate(MODBUS_METERS, start=1):
        channels.append(f'''
[[channels]]
meter = "{meter}"
protocol = "modbus_tcp"
unit = "Wh"
[channels.modbus_tcp]
host = "127.0.0.1"
port = {modbus_port}
device_id = {device_id}
address = {MODBUS_OFFSET}
table = "holding"
data_type = "int64"
word_order = "big"
poll_ms = {MODBUS_POLL_MS}
''')
    return "".join(channels)


@dataclass(frozen=True)
class LivePlant:
    """The live demo's plant on two free loopback ports, its files (campus copy, broker) under `folder`."""

    folder: Path
    mqtt_port: int
    modbus_port: int

    @classmethod
    def on_free_ports(cls, folder: Path) -> LivePlant:
        return cls(folder, free_port(), free_port())

    def campus_file(self) -> Path:
        """The demo campus file with this plant's `[[channels]]`, written for `campus apply`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "campus.toml"
        path.write_text(live_campus_text(self.mqtt_port, self.modbus_port), encoding="utf-8")
        return path

    async def feed(self, settings: Settings, campus_id: str, period: str, seed: int,
                   say: Callable[[str], None]) -> LiveOutcome:
        """Broker up, the day fed, stored and derived, broker down; says what the connectors stored."""
        year, month = (int(part) for part in period.split("-"))
        engine = make_engine(await asyncio.to_thread(resolve_database_url, settings))
        try:
            with running_mosquitto(self.folder / "mosquitto", self.mqtt_port):
                say(f"Mosquitto on 127.0.0.1:{self.mqtt_port}, Modbus TCP plant on 127.0.0.1:{self.modbus_port}")
                outcome = await feed_live_day(engine, settings.data_root_uri, campus_id, year, month, seed,
                                              self.mqtt_port, self.modbus_port, say)
        finally:
            engine.dispose()
        version = "unchanged" if outcome.version is None else f"version {outcome.version}"
        say(f"connectors: {outcome.readings_stored} register readings stored ({outcome.duplicates} duplicates); "
            f"{outcome.intervals_derived} intervals of {outcome.day_start_utc:%Y-%m-%d} derived "
            f"({outcome.intervals_estimated} estimated), {version} in the meter-data store")
        return outcome


@contextlib.contextmanager
def running_mosquitto(folder: Path, port: int) -> Iterator[None]:
    """Mosquitto on loopback with explicit limits (the defaults cap in-flight QoS 1 messages at 20 and queue too
    little for a persistent session); stopped when the block ends."""
    if not Path(MOSQUITTO).exists():
        raise DomainError(f"the live demo needs Mosquitto at {MOSQUITTO} (apt-get install mosquitto)")
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "mosquitto.conf"
    config.write_text("\n".join([
        f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false",
        "max_inflight_messages 1000", "max_queued_messages 1000000", "max_queued_bytes 0",
        "log_type error", "log_type warning", f"log_dest file {folder}/mosquitto.log", ""]))
    process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: see {folder}/mosquitto.log")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {port} within {START_WAIT_S} s") from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.asynccontextmanager
async def running_modbus_plant(port: int, registers: Registers, clock: AcceleratedClock) -> AsyncIterator[None]:
    """A pymodbus server with one device per Modbus meter, its INT64 registers kept at the simulated time."""
    def device(device_id: int) -> SimDevice:
        words = SimData(0, count=MODBUS_OFFSET + 8, values=0, datatype=DataType.REGISTERS)
        bits = SimData(0, count=1, datatype=DataType.BITS)
        return SimDevice(id=device_id, simdata=([bits], [bits], [words], [words]))

    server = ModbusTcpServer([device(n) for n in range(1, len(MODBUS_METERS) + 1)], address=("127.0.0.1", port))

    async def keep_registers() -> None:
        while True:
            now = clock.now()
            for device_id, meter in enumerate(MODBUS_METERS, start=1):
                value = registers.at(meter, now)
                await server.async_setValues(device_id, HOLDING, MODBUS_OFFSET,
                                             [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)])
            await asyncio.sleep(0.005)

    await server.serve_forever(background=True)
    ticker = asyncio.create_task(keep_registers())
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await server.shutdown()  # type: ignore[no-untyped-call]


async def publish_mqtt_plant(port: int, registers: Registers, clock: AcceleratedClock, start_utc: datetime,
                             end_utc: datetime) -> int:
    """Publish every MQTT meter's register once a simulated minute from `start_utc` to `end_utc` inclusive (QoS 1,
    a persistent session, as a gateway would); returns the message count."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-plant-gateway", clean_session=False)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host="127.0.0.1", port=port)
    client.loop_start()
    sent = []
    try:
        at = start_utc
        while at <= end_utc:
            await clock.sleep_until(at)
            for meter in MQTT_METERS:
                payload = json.dumps({"ts": at.isoformat(), "wh": registers.at(meter, at)})
                sent.append(client.publish(f"demo/plant/{meter}", payload, qos=1))
            at += PUBLISH_EVERY
        for info in sent:
            await asyncio.to_thread(info.wait_for_publish, 30)
    finally:
        client.disconnect()
        client.loop_stop()
    return len(sent)


async def feed_live_day(engine: Engine, data_root_uri: str, campus_id: str, year: int, month: int, seed: int,
                        mqtt_port: int, modbus_port: int, say: Callable[[str], None] = print) -> LiveOutcome:
    """Run the plant for the live day (accelerated) through the connectors of `campus_id`, whose campus file
    must be `live_campus_text(mqtt_port, modbus_port)`, then derive the day into the meter-data store."""
    day = live_day(year, month)
    start, end = day - MARGIN, day + timedelta(days=1) + MARGIN
    registers = Registers(year, month, seed)
    clock = AcceleratedClock(start)
    # Derivation runs once below, after the day is stored, rather than on the service's own rounds.
    settings = ConnectSettings(derive_every=timedelta(hours=1))
    async with running_modbus_plant(modbus_port, registers, clock):
        connector = asyncio.create_task(run_campus(engine, data_root_uri, campus_id, settings, clock=clock.now))
        try:
            await asyncio.sleep(1.0)  # the connector's session subscribes before the gateway publishes
            clock.begin()
            say(f"plant: {day:%Y-%m-%d} UTC replayed {SPEEDUP}x — MQTT {', '.join(MQTT_METERS)}; "
                f"Modbus {', '.join(MODBUS_METERS)}")
            published = await publish_mqtt_plant(mqtt_port, registers, clock, start, end)
            await _wait_for_store(engine, campus_id, end, connector)
        finally:
            connector.cancel()
            await asyncio.gather(connector, return_exceptions=True)
    say(f"plant: {published} MQTT messages published; every channel stored up to {end:%Y-%m-%d %H:%M} UTC")
    statuses = channel_statuses(engine, campus_id)
    derived = await asyncio.to_thread(derive_window, engine, data_root_uri, campus_id, day, day + timedelta(days=1),
                                      datetime.now(UTC))
    return LiveOutcome(day, sum(s.reading_count for s in statuses), sum(s.duplicate_count for s in statuses),
                       derived.interval_count, derived.estimated_count, derived.version, derived.sha256_hex)


async def _wait_for_store(engine: Engine, campus_id: str, until_utc: datetime,
                          connector: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + STORE_WAIT_S
    while time.monotonic() < deadline:
        if connector.done():
            connector.result()  # raises what stopped the connectors
            raise RuntimeError(f"the connectors of {campus_id} stopped")
        found = await asyncio.to_thread(channel_statuses, engine, campus_id)
        if found and all(s.last_source_ts_utc is not None and s.last_source_ts_utc >= until_utc for s in found):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the connectors of {campus_id} did not store readings up to {until_utc.isoformat()} "
                       f"within {STORE_WAIT_S:.0f} s")


__all__ = ["CAMPUS_ID", "LiveOutcome", "LivePlant", "feed_live_day", "free_port", "live_campus_text", "live_day",
           "running_mosquitto"]
