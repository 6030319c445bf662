"""A worker process killed (SIGKILL) after numbering invoices but before commit leaves no gap and no duplicate.

A child process issues a cycle's invoices in an open transaction, reports the numbers it took, and waits;
the test kills it. PostgreSQL rolls the transaction back when the connection dies, so the retry takes the
same numbers, and the next cycle continues right after them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from invoicing import issue_invoices
from tests.integration.invoicing.conftest import ROOT_DIR, SeededCycle

CHILD = """
import sys, time
from db import make_engine
from invoicing import issue_invoices
from pathlib import Path
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    issued = issue_invoices(conn, sys.argv[2], sys.argv[3], Path(sys.argv[4]), sys.argv[5])
    print(",".join(str(invoice.number) for invoice in issued), flush=True)
    time.sleep(120)  # killed here, before the commit
"""
CHILD_WAIT_S_MAX = 60


def test_killed_worker_leaves_numbers_gapless_and_unique(
    engine: Engine, database_url: str, make_cycle: Callable[..., SeededCycle], issuer: str, signing_key_path: Path,
    documents_root: str
) -> None:
    """The killed child had taken 1 and 2; after the kill the retry takes 1 and 2 again and the next cycle 3 and 4."""
    lines = [(0, "Supply", 1_000_000, Decimal(50), 50_000_000), (1, "Supply", 2_000_000, Decimal(50), 100_000_000)]
    first, second = make_cycle(lines), make_cycle(lines)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, first.cycle_id, issuer, str(signing_key_path), documents_root],
        cwd=ROOT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT_DIR)},
    )
    try:
        assert child.stdout is not None
        taken = child.stdout.readline().strip()
        assert taken == "1,2", child.stderr.read() if child.stderr else taken
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=CHILD_WAIT_S_MAX)
    with engine.begin() as conn:
        retried = issue_invoices(conn, first.cycle_id, issuer, signing_key_path, documents_root)
    with engine.begin() as conn:
        later = issue_invoices(conn, second.cycle_id, issuer, signing_key_path, documents_root)
    assert [(i.number, i.created) for i in retried + later] == [(1, True), (2, True), (3, True), (4, True)]
    with engine.connect() as conn:
        numbers = conn.execute(text("SELECT number FROM invoice WHERE issuer = :i ORDER BY number"),
                               {"i": issuer}).scalars().all()
    assert numbers == [1, 2, 3, 4]
