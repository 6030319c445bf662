"""Stop on SIGTERM or Ctrl-C by leaving the running context normally, so `kill`, systemd and container
stops run the same clean shutdown (worker drained, embedded Temporal server stopped, not orphaned)."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_stop_signal() -> int:
    """Return the number of the first SIGTERM or SIGINT received."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[int] = loop.create_future()
    def receive(signum: int) -> None:
        if not received.done():
            received.set_result(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, receive, signum)
    try:
        return await received
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
