"""Worker for the concurrency test: runs in its own process and appends batches to one ledger."""

from __future__ import annotations

from typing import Any


def append_batches(database_url: str, origin: str, worker_index: int, batches: int, barrier: Any) -> None:
    from db import make_engine
    from ledger import append_entries
    from tests.integration.ledger.conftest import settlement_request

    engine = make_engine(database_url)
    try:
        barrier.wait(timeout=60)  # every process starts appending at the same moment
        for batch in range(batches):
            own = [settlement_request(f"w{worker_index}-b{batch}-{n}", 1_000 + n) for n in range(3)]
            # Every worker sends the same shared request: a retry storm that must collapse to one entry.
            shared = settlement_request(f"shared-{batch}", 777)
            with engine.begin() as conn:
                append_entries(conn, origin, [*own, shared])
    finally:
        engine.dispose()
