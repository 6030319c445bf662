"""The sink every source puts deliveries into: a bounded queue, a batcher and the commit, then the acks.

    source.put(delivery) ─► asyncio.Queue(queue_deliveries_max) ─► batch (N readings or T ms) ─► commit ─► acks

`put` waits while the queue is full, so a slow store slows the sources (MQTT stops acking and the broker's
inflight window throttles the publisher; a poller polls later) instead of growing memory. The commit runs in a
worker thread, one batch at a time, so the event loop keeps receiving meanwhile. Acknowledgements are called in
arrival order after the commit returns. When a commit fails, every delivery of the batch is handed back to its
source (`redeliver`) and none is acknowledged; the sink then waits (doubling up to `retry_delay_max`) before the
next batch, so a database that is down is not hammered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectors.reading import Delivery
from connectors.store import BatchOutcome

log = logging.getLogger(__name__)

CommitBatch = Callable[[Sequence[Delivery]], BatchOutcome]


@dataclass(frozen=True)
class SinkSettings:
    queue_deliveries_max: int = 10_000
    """Deliveries waiting for a batch at most (a Sparkplug message may carry hundreds of readings)."""
    batch_readings_max: int = 5_000
    batch_wait_ms: int = 200
    """A batch is committed after this long even when small: the bound on added latency."""
    retry_delay_ms: int = 200
    retry_delay_max_ms: int = 10_000


@dataclass
class SinkCounts:
    batches_committed: int = 0
    batches_failed: int = 0
    readings_committed: int = 0
    readings_inserted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    commit_seconds_last: float = 0.0
    commit_seconds: list[float] = field(default_factory=list)
    """The last `COMMIT_SAMPLES_MAX` commit durations (for p99)."""


COMMIT_SAMPLES_MAX = 10_000
BATCH_POLL_S = 0.005


class BatchingSink:
    """A DeliverySink: `put` from the sources, `run` commits until cancelled."""

    def __init__(self, commit: CommitBatch, settings: SinkSettings = SinkSettings(),
                 on_commit: Callable[[BatchOutcome, Sequence[Delivery]], None] | None = None) -> None:
        self.commit = commit
        self.settings = settings
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(settings.queue_deliveries_max)
        self.counts = SinkCounts()
        self.on_commit = on_commit

    async def put(self, delivery: Delivery) -> None:
        await self.queue.put(delivery)

    async def run(self) -> None:
        delay_ms = self.settings.retry_delay_ms
        while True:
            batch = await self._next_batch()
            if await self._commit(batch):
                delay_ms = self.settings.retry_delay_ms
            else:
                await asyncio.sleep(delay_ms / 1000)
                delay_ms = min(2 * delay_ms, self.settings.retry_delay_max_ms)

    async def _next_batch(self) -> list[Delivery]:
        batch = [await self.queue.get()]
        readings = len(batch[0].readings)
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        while readings < self.settings.batch_readings_max:
            while not self.queue.empty() and readings < self.settings.batch_readings_max:
                delivery = self.queue.get_nowait()
                batch.append(delivery)
                readings += len(delivery.readings)
            left = deadline - time.monotonic()
            if left <= 0 or readings >= self.settings.batch_readings_max:
                break
            # Short naps rather than a timed get per delivery: a trickle of thousands of messages a second would
            # otherwise cost a task and a timer each.
            await asyncio.sleep(min(left, BATCH_POLL_S))
        return batch

    async def _commit(self, batch: list[Delivery]) -> bool:
        started = time.monotonic()
        try:
            outcome = await asyncio.to_thread(self.commit, batch)
        except Exception:
            log.exception("commit of %d deliveries failed: handed back to their sources", len(batch))
            self.counts.batches_failed += 1
            for delivery in batch:
                if delivery.redeliver is not None:
                    await _quietly(delivery.redeliver, "redeliver")
            return False
        self._count(outcome, time.monotonic() - started)
        if self.on_commit is not None:
            self.on_commit(outcome, batch)
        for delivery in batch:
            if delivery.acknowledge is not None:
                await _quietly(delivery.acknowledge, "acknowledge")
        return True

    def _count(self, outcome: BatchOutcome, seconds: float) -> None:
        counts = self.counts
        counts.batches_committed += 1
        counts.readings_committed += outcome.reading_count
        counts.readings_inserted += outcome.inserted_count
        counts.duplicates += outcome.duplicate_count
        counts.conflicts += outcome.conflict_count
        counts.commit_seconds_last = seconds
        counts.commit_seconds.append(seconds)
        if len(counts.commit_seconds) > COMMIT_SAMPLES_MAX:
            del counts.commit_seconds[: COMMIT_SAMPLES_MAX // 2]
        if outcome.conflict_count:
            log.warning("%d conflicting readings in batch %s: first values kept", outcome.conflict_count,
                        outcome.batch_sha256_hex[:16])


async def _quietly(callback: Callable[[], object], what: str) -> None:
    # An ack on a connection that just dropped fails; the broker then redelivers and the key absorbs it.
    try:
        result = callback()
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.warning("%s failed after the store's answer; the source redelivers", what, exc_info=True)
