"""kill -9 of the worker process mid-cycle loses and duplicates nothing.

Real processes: `python worker.py`, the Temporal dev server, PostgreSQL. The quick check kills the worker
once inside a step of one cycle (normal suite); the full run kills it up to 14 times (at least 11) across
eight cycles (`make test-faults`). Both then check: every cycle completed, one pending and one posting ledger
entry per cycle, one invoice per tenant with gapless numbers, one ISO submission per cycle, a verified ledger,
and a stored history that is ciphertext only.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from tests.faults.conftest import full_only
from tests.faults.harness import (
    RESULTS,
    TemporalDevServer,
)
from tests.faults.scenarios import KillReport, kill_worker_scenario


def _record(name: str, report: KillReport) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    body = {"elapsed_s": report.elapsed_s, "kills": [k.__dict__ for k in report.kills],
            "phases_hit": sorted(report.phases_hit()), "history": report.history, "totals": report.totals.__dict__ if report.totals else None}
    (RESULTS / f"{name}.json").write_text(json.dumps(body, indent=1, sort_keys=True))


async def test_a_worker_kill_mid_step_loses_and_duplicates_nothing(
        tmp_path: Path, fault_engine: Engine, fault_database_url: str, temporal_server: TemporalDevServer) -> None:
    """Quick: 1 SIGKILL inside a step of 1 cycle; it completes exactly once."""
    report = await kill_worker_scenario(tmp_path, fault_engine, fault_database_url, temporal_server,
                                        ["2026-01"], kills_wanted=1, seed=1, deadline_s=240)
    _record("worker_kill_quick", report)
    assert len(report.kills) == 1
    assert report.totals is not None and report.totals.cycles == 1 and report.totals.ledger_entries >= 2


@full_only
async def test_repeated_worker_kills_across_eight_cycles_lose_and_duplicate_nothing(
        tmp_path: Path, fault_engine: Engine, fault_database_url: str, temporal_server: TemporalDevServer) -> None:
    """Full: up to 14 SIGKILLs during 8 cycles, at least 11 on any machine (3 before finance approves, then
    one per approval, landing in invoicing, ISO submission and ledger close); all complete exactly once."""
    periods = [f"2026-{month:02d}" for month in range(1, 9)]
    report = await kill_worker_scenario(tmp_path, fault_engine, fault_database_url, temporal_server,
                                        periods, kills_wanted=14, seed=2026, deadline_s=900, kills_before_approval=3)
    _record("worker_kill_full", report)
    assert len(report.kills) >= 10, f"only {len(report.kills)} kills landed before the cycles completed"
    assert report.totals is not None and report.totals.cycles == 8 and report.totals.invoices == 8 * 3
