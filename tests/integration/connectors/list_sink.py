"""An in-memory DeliverySink for the protocol sources' tests (the store's own tests use the real store), and a wait
for a condition on what it received."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from connectors import Delivery, RegisterReading


class ListSink:
    """Keeps every delivery; `delay` makes each put slow, as a store that is behind."""

    def __init__(self, delay: timedelta = timedelta(0)) -> None:
        self.deliveries: list[Delivery] = []
        self.delay = delay

    async def put(self, delivery: Delivery) -> None:
        await asyncio.sleep(self.delay.total_seconds())
        self.deliveries.append(delivery)

    def all_readings(self) -> list[RegisterReading]:
        return [reading for delivery in self.deliveries for reading in delivery.readings]

    def readings(self, *, channel: str | None = None, meter_id: str | None = None) -> list[RegisterReading]:
        return [r for r in self.all_readings()
                if (channel is None or r.channel == channel) and (meter_id is None or r.meter_id == meter_id)]

    def latest_wh(self) -> dict[str, int | None]:
        """The last register value received per channel."""
        return {reading.channel: reading.register_wh for reading in self.all_readings()}


async def wait_for(done: Callable[[], bool], timeout_s: float = 15) -> None:
    async with asyncio.timeout(timeout_s):
        while not done():
            await asyncio.sleep(0.02)
