"""Polls Modbus TCP energy registers and puts one delivery per endpoint and poll round into the sink.

One client (one TCP session) per host and port: meters and gateways allow few sessions (SEL-734 three,
SEL-751 two) and the EPMS already holds some. A gateway serialises its RS-485 line anyway, so an endpoint's
channels are read one after another, each value in one request; endpoints run side by side. Polls are staggered
over the period so a hundred channels do not all fire on the same tick. When the sink is slow to take a
delivery (the store is behind) the poll period stretches, up to `period_stretch_max` times, instead of piling up
readings in memory: the meter's register keeps the energy, so a slower poll loses timing, never kWh.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from connectors.modbus.channel import ModbusChannel, RegisterTable
from connectors.modbus.decode import modbus_reading
from connectors.reading import Delivery, DeliverySink, RegisterReading

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ModbusPollCounts:
    """What the poller saw, per endpoint source, for metrics and tests."""

    readings: int = 0
    refused: int = 0  # BAD: non-finite, or a float beyond billing precision on a billing channel
    exception_responses: int = 0  # the device answered with a Modbus exception (e.g. 2, illegal address)
    transport_errors: int = 0  # no answer: connection refused, timeout
    period_stretch: int = 1  # current poll period multiplier under back-pressure
    exception_codes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ModbusPollSettings:
    request_timeout: timedelta = timedelta(seconds=3)
    period_stretch_max: int = 8  # at most 8× the declared period while the store is behind
    reconnect_delay_max: timedelta = timedelta(seconds=30)


def stagger_offsets(channels: Sequence[ModbusChannel]) -> dict[ModbusChannel, timedelta]:
    """Spread first polls evenly over each poll period: channel i of n sharing a period starts at period·i/n."""
    offsets: dict[ModbusChannel, timedelta] = {}
    by_period: dict[timedelta, list[ModbusChannel]] = {}
    for channel in channels:
        by_period.setdefault(channel.poll_period, []).append(channel)
    for period, members in by_period.items():
        for index, channel in enumerate(members):
            offsets[channel] = period * index / len(members)
    return offsets


def next_stretch(stretch: int, put_wait: timedelta, period: timedelta, stretch_max: int) -> int:
    """Double the stretch while a put waits longer than half a period; halve it back once puts are quick."""
    if put_wait > period / 2:
        return min(stretch * 2, stretch_max)
    if put_wait < period / 10:
        return max(stretch // 2, 1)
    return stretch


class ModbusSource:
    """Polls the given channels until cancelled. `counts[source]` says what happened per endpoint."""

    def __init__(self, channels: Sequence[ModbusChannel], sink: DeliverySink, settings: ModbusPollSettings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        assert len(set(channels)) == len(channels), "each channel once"
        self.channels = tuple(channels)
        self.sink = sink
        self.settings = settings
        self.clock = clock
        self.endpoints: dict[tuple[str, int], list[ModbusChannel]] = {}
        for channel in self.channels:
            self.endpoints.setdefault((channel.host, channel.port), []).append(channel)
        self.counts = {f"modbus:{host}:{port}": ModbusPollCounts() for host, port in self.endpoints}
        self._refusals_logged: set[ModbusChannel] = set()

    async def run(self) -> None:
        offsets = stagger_offsets(self.channels)
        async with asyncio.TaskGroup() as group:
            for (host, port), members in self.endpoints.items():
                group.create_task(self._poll_endpoint(host, port, members, offsets))

    async def _poll_endpoint(self, host: str, port: int, channels: list[ModbusChannel],
                             offsets: dict[ModbusChannel, timedelta]) -> None:
        source = f"modbus:{host}:{port}"
        counts = self.counts[source]
        client = AsyncModbusTcpClient(
            host, port=port, timeout=self.settings.request_timeout.total_seconds(), retries=0,
            reconnect_delay=0.1, reconnect_delay_max=self.settings.reconnect_delay_max.total_seconds())
        loop = asyncio.get_running_loop()
        start = loop.time()
        due_at = {channel: start + offsets[channel].total_seconds() for channel in channels}
        try:
            while True:
                now = loop.time()
                due = [channel for channel in channels if due_at[channel] <= now]
                if not due:
                    await asyncio.sleep(min(due_at.values()) - now)
                    continue
                await self._poll_round(client, source, due, counts)
                for channel in due:
                    period_s = channel.poll_period.total_seconds() * counts.period_stretch
                    while due_at[channel] <= loop.time():
                        due_at[channel] += period_s
        finally:
            client.close()

    async def _poll_round(self, client: AsyncModbusTcpClient, source: str, due: list[ModbusChannel],
                          counts: ModbusPollCounts) -> None:
        readings: list[RegisterReading] = []
        reads: list[dict[str, object]] = []
        for channel in due:
            polled = await self._read_channel(client, channel, counts)
            if polled is not None:
                readings.append(polled[0])
                reads.append(polled[1])
        if not readings:
            return
        raw_message = json.dumps({"source": source, "reads": reads}, sort_keys=True).encode()
        loop = asyncio.get_running_loop()
        put_start = loop.time()
        await self.sink.put(Delivery(source=source, raw_message=raw_message, readings=tuple(readings)))
        put_wait = timedelta(seconds=loop.time() - put_start)
        stretch = next_stretch(counts.period_stretch, put_wait, min(c.poll_period for c in due),
                               self.settings.period_stretch_max)
        if stretch != counts.period_stretch:
            log.warning("%s: store took %s to accept a poll; poll period now ×%d", source, put_wait, stretch)
        counts.period_stretch = stretch

    async def _read_channel(self, client: AsyncModbusTcpClient, channel: ModbusChannel,
                            counts: ModbusPollCounts) -> tuple[RegisterReading, dict[str, object]] | None:
        """One request for one value; None (counted and logged) when the device gave no value."""
        read = (client.read_holding_registers if channel.table is RegisterTable.HOLDING
                else client.read_input_registers)
        request_utc = self.clock()
        try:
            if not client.connected and not await client.connect():
                raise ModbusException(f"cannot connect to {channel.host}:{channel.port}")
            response = await read(channel.address, count=channel.data_type.register_count,
                                  device_id=channel.device_id)
        except ModbusException as error:
            counts.transport_errors += 1
            log.warning("%s %s/%s: no answer: %s", channel.source, channel.meter_id, channel.channel, error)
            return None
        response_utc = self.clock()
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            counts.exception_responses += 1
            counts.exception_codes.append(code)
            log.warning("%s %s/%s: Modbus exception %d at address %d", channel.source, channel.meter_id,
                        channel.channel, code, channel.address)
            return None
        # The device sampled its register somewhere between request and response: take the midpoint.
        source_ts_utc = request_utc + (response_utc - request_utc) / 2
        reading, refusal = modbus_reading(channel, response.registers, source_ts_utc, response_utc)
        counts.readings += 1
        if refusal is not None:
            counts.refused += 1
        if refusal is not None and channel not in self._refusals_logged:  # once per channel, not every poll
            self._refusals_logged.add(channel)
            log.error("%s %s/%s refused as a billing channel: %s", channel.source, channel.meter_id,
                      channel.channel, refusal)
        raw = {"meter_id": channel.meter_id, "channel": channel.channel, "device_id": channel.device_id,
               "table": channel.table.value, "address": channel.address, "registers": list(response.registers),
               "request_utc": request_utc.isoformat(), "response_utc": response_utc.isoformat()}
        return reading, raw
