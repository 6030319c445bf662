"""Run every declared live channel of a campus: one sink, one source per broker or server, and a derivation loop
that writes the intervals into the meter-data store. What `wattledger connect run` and `wattledger dev` call.

Every protocol of the campus file has its source: plain MQTT JSON (one client per broker), Sparkplug B (one primary
host per broker), OPC UA (one client per endpoint) and Modbus TCP (one session per device).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

import campus
from connectors import repository as repo
from connectors.channels import (
    ChannelDeclaration,
    declarations_from_campus,
    modbus_channel,
    multiplier_at,
    opcua_channel,
    sparkplug_channel,
)
from connectors.derive import WindowDerivation, derive_window
from connectors.intervals import grid_floor
from connectors.modbus import ModbusChannel, ModbusPollSettings, ModbusSource
from connectors.mqtt_json import MqttJsonSource
from connectors.mqtt_json_payload import MqttJsonChannel
from connectors.opcua import OpcUaChannel, OpcUaSettings, OpcUaSource
from connectors.reading import Delivery, DeliverySink
from connectors.repository import ChannelStatus
from connectors.sink import BatchingSink, CommitBatch, SinkSettings
from connectors.sparkplug import SparkplugChannel, SparkplugHost, SparkplugSettings
from connectors.store import commit_batch

log = logging.getLogger(__name__)

MQTT_DEFAULT_PORT = 1883


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectSettings:
    sink: SinkSettings = field(default_factory=SinkSettings)
    derive_every: timedelta = timedelta(minutes=5)
    """A round re-derives today and `derive_days_back` days, one index pass a channel and day (connectors.thinning:
    about 0.45 s for a channel-day at 1 Hz): on thousands of channels that is still heavy, hence minutes, and rounds
    without new readings are skipped."""
    derive_days_back: int = 1
    """Besides today, re-derive this many past UTC days each round (late readings make new versions)."""


@dataclass(frozen=True)
class ConnectPlan:
    campus_id: str
    mqtt_json: dict[tuple[str, int], list[MqttJsonChannel]] = field(default_factory=dict)
    sparkplug: dict[tuple[str, int], list[SparkplugChannel]] = field(default_factory=dict)
    opcua: list[OpcUaChannel] = field(default_factory=list)
    modbus: list[ModbusChannel] = field(default_factory=list)

    @property
    def channel_count(self) -> int:
        mqtt_count = sum(len(channels) for channels in self.mqtt_json.values())
        sparkplug_count = sum(len(channels) for channels in self.sparkplug.values())
        return mqtt_count + sparkplug_count + len(self.opcua) + len(self.modbus)


def load_plan(engine: Engine, campus_id: str, now_utc: datetime) -> ConnectPlan:
    """The campus's declared channels as source channels, scaled with the multipliers in force now."""
    with engine.begin() as conn:
        if not campus.campus_exists(conn, campus_id):
            raise campus.CampusNotFound(campus_id)
        declarations = declarations_from_campus(campus.load_channel_declarations(conn, campus_id))
        meters = {meter.meter_id: meter for meter in campus.load_meters(conn, campus_id)}
    plan = ConnectPlan(campus_id)
    for declaration in declarations:
        multiplier = multiplier_at(declaration, meters[declaration.meter_id], now_utc)
        if declaration.protocol == "mqtt_json":
            channel = mqtt_json_channel(declaration, multiplier)
            plan.mqtt_json.setdefault((channel.broker_host, channel.broker_port), []).append(channel)
        elif declaration.protocol == "sparkplug_b":
            plan.sparkplug.setdefault(broker_of(declaration), []).append(sparkplug_channel(declaration, multiplier))
        elif declaration.protocol == "opcua":
            plan.opcua.append(opcua_channel(declaration, multiplier))
        else:
            assert declaration.protocol == "modbus_tcp", declaration.protocol
            plan.modbus.append(modbus_channel(declaration, multiplier))
    return plan


def broker_of(declaration: ChannelDeclaration) -> tuple[str, int]:
    broker = urlsplit(declaration.address["broker"])
    return broker.hostname or "127.0.0.1", broker.port or MQTT_DEFAULT_PORT


def mqtt_json_channel(declaration: ChannelDeclaration, multiplier: Decimal) -> MqttJsonChannel:
    address = declaration.address
    host, port = broker_of(declaration)
    return MqttJsonChannel(
        declaration.meter_id, declaration.channel, host, port, address["topic"], address.get("value_field", "value"), address.get("timestamp_field", "ts"),
        declaration.unit, declaration.scale_power_of_ten, multiplier, address.get("serial_field"),
        address.get("quality_field"))


def client_id(campus_id: str, host: str, port: int) -> str:
    """Fixed per campus and broker: the persistent session is found again after a restart."""
    return f"wattledger-{campus_id}-{host}-{port}"[:180]


def build_sources(plan: ConnectPlan, sink: DeliverySink,
                  clock: Callable[[], datetime] = utc_now) -> list[Callable[[], Coroutine[Any, Any, None]]]:
    runs: list[Callable[[], Coroutine[Any, Any, None]]] = []
    for (host, port), channels in sorted(plan.mqtt_json.items()):
        runs.append(MqttJsonSource(channels, sink, client_id(plan.campus_id, host, port)).run)
    for (host, port), sparkplug_channels in sorted(plan.sparkplug.items()):
        settings = SparkplugSettings(host, port, host_id=f"wattledger-{plan.campus_id}")
        runs.append(SparkplugHost(sparkplug_channels, sink, settings).run)
    if plan.opcua:
        runs.append(OpcUaSource(plan.opcua, sink, OpcUaSettings()).run)
    if plan.modbus:
        runs.append(ModbusSource(plan.modbus, sink, ModbusPollSettings(), clock=clock).run)
    return runs


async def run_campus(engine: Engine, data_root_uri: str, campus_id: str, settings: ConnectSettings = ConnectSettings(),
                     commit: CommitBatch | None = None,
                     on_commit: Callable[[Any, Sequence[Delivery]], None] | None = None,
                     clock: Callable[[], datetime] = utc_now) -> None:
    """Run until cancelled. `commit` defaults to the store's commit_batch for this campus; `clock` stamps polled
    readings (the demo's simulated plant runs an accelerated one)."""
    plan = load_plan(engine, campus_id, datetime.now(UTC))
    sink = BatchingSink(commit or partial(commit_batch, engine, data_root_uri, campus_id), settings.sink, on_commit)
    async with asyncio.TaskGroup() as group:
        group.create_task(sink.run())
        for run in build_sources(plan, sink, clock):
            group.create_task(run())
        group.create_task(derive_forever(engine, data_root_uri, campus_id, settings))


async def derive_forever(engine: Engine, data_root_uri: str, campus_id: str, settings: ConnectSettings) -> None:
    derived_until: datetime | None = None
    while True:
        await asyncio.sleep(settings.derive_every.total_seconds())
        try:
            # No reading recorded since the last round: no interval can have become derivable or changed.
            recorded_until = await asyncio.to_thread(readings_recorded_until, engine, campus_id)
            if recorded_until is None or recorded_until == derived_until:
                continue
            await asyncio.to_thread(derive_recent, engine, data_root_uri, campus_id, datetime.now(UTC),
                                    settings.derive_days_back)
            derived_until = recorded_until
        except Exception:
            # The readings are safe in the store; the next round derives again.
            log.exception("deriving intervals of %s failed; retried next round", campus_id)


def readings_recorded_until(engine: Engine, campus_id: str) -> datetime | None:
    with engine.begin() as conn:
        return repo.readings_recorded_until(conn, campus_id)


def derive_recent(engine: Engine, data_root_uri: str, campus_id: str, now_utc: datetime,
                  days_back: int) -> list[WindowDerivation]:
    """Derive today's UTC day and `days_back` days before it."""
    today = grid_floor(now_utc, 60).replace(hour=0)
    days = [today - timedelta(days=back) for back in range(days_back, -1, -1)]
    return [derive_window(engine, data_root_uri, campus_id, day, day + timedelta(days=1), now_utc) for day in days]


def campuses_with_channels(engine: Engine) -> list[str]:
    """Ids of the campuses whose latest campus file declares live channels (`wattledger dev` runs each)."""
    with engine.begin() as conn:
        return campus.campuses_with_channels(conn)


def channel_statuses(engine: Engine, campus_id: str) -> list[ChannelStatus]:
    """Each live channel's counters and watermarks (what `wattledger connect status` shows)."""
    with engine.begin() as conn:
        return repo.channel_statuses(conn, campus_id)
