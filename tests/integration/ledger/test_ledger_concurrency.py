"""Eight processes appending at once produce one gapless, unforked chain; the same request sent by
all of them collapses to one entry."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import Engine, text

from ledger import verify_ledger
from tests.integration.ledger.ledger_append_worker import append_batches

PROCESSES = 8
BATCHES_PER_PROCESS = 6


def test_eight_processes_append_one_gapless_chain(engine: Engine, database_url: str, origin: str) -> None:
    """8 spawned processes x 6 batches of 4 entries: seqs 1..N without gaps, each shared key once."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=append_batches, args=(database_url, origin, index, BATCHES_PER_PROCESS, barrier))
        for index in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, idempotency_key FROM ledger_entry WHERE ledger_id = (SELECT ledger_id FROM ledger"
            " WHERE origin = :o) ORDER BY seq"), {"o": origin}).all()
        report = verify_ledger(conn, origin)
    expected = 1 + PROCESSES * BATCHES_PER_PROCESS * 3 + BATCHES_PER_PROCESS
    assert [row.seq for row in rows] == list(range(1, expected + 1))
    shared = [row.idempotency_key for row in rows if row.idempotency_key.startswith("shared-")]
    assert sorted(shared) == sorted(f"shared-{batch}" for batch in range(BATCHES_PER_PROCESS))
    assert report.ok and report.entries_checked == expected
