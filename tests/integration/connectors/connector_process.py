"""A connector process for the crash tests: `python connector_process.py DATABASE_URL DATA_ROOT CAMPUS MODE`.

MODE `kill-after-commit` SIGKILLs the process right after its first commit returns, before any acknowledgement
leaves it; `kill-before-commit` SIGKILLs it when its first batch is about to be committed. Test-only: the
production service has no crash switch; this wraps its commit from outside.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connectors.reading import Delivery
from connectors.service import run_campus
from connectors.store import BatchOutcome, commit_batch
from db import make_engine


def main(database_url: str, data_root: str, campus_id: str, mode: str) -> None:
    engine = make_engine(database_url)

    def commit(deliveries: Sequence[Delivery]) -> BatchOutcome:
        if mode == "kill-before-commit":
            os.kill(os.getpid(), signal.SIGKILL)
        outcome = commit_batch(engine, data_root, campus_id, deliveries)
        if mode == "kill-after-commit":
            print(f"committed {outcome.inserted_count}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return outcome

    asyncio.run(run_campus(engine, data_root, campus_id, commit=commit))


if __name__ == "__main__":
    main(*sys.argv[1:5])
