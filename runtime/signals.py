"""Stop on SIGTERM, Ctrl-C or SIGHUP by leaving the running context normally, so `kill`, systemd and container
stops, and a closed terminal, run the same clean shutdown (worker drained, embedded Temporal server stopped, not
orphaned). SIGHUP's default ended `wattledger dev` at once, leaving its PostgreSQL and Temporal servers running."""

from __future__ import annotations

import asyncio
import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


async def wait_for_stop_signal() -> int:
    """Return the number of the first SIGTERM, SIGINT or SIGHUP received."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[int] = loop.create_future()
    def receive(signum: int) -> None:
        if not received.done():
            received.set_result(signum)

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, receive, signum)
    try:
        return await received
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
