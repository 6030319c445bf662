"""Concurrent ingest: 50 clients upload interval files to `POST /meter-data` at once over real HTTP; every
accepted value is stored exactly once, retried uploads are answered as duplicates, nothing fails.

Quick: 50 clients x 1 file (+1 repeat each). `make test-faults`: 50 clients x 10 files. The benchmark with
the figures in docs/reliability.md is `bench/ingest_load.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from bench.ingest_load import QUARTER_HOURS_PER_DAY, run_load
from tests.faults.conftest import FULL
from tests.faults.harness import RESULTS


def test_fifty_concurrent_uploaders_store_every_accepted_value_exactly_once(
        tmp_path: Path, fault_engine: Engine, fault_database_url: str) -> None:
    """All first uploads 201, all repeats 200 (duplicate), values read back == values sent, all distinct."""
    files_per_client = 10 if FULL else 1
    result = run_load(fault_engine, fault_database_url, tmp_path / "home", 50, files_per_client)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("ingest_load_full.json" if FULL else "ingest_load_quick.json")).write_text(
        json.dumps(result.__dict__, indent=1, sort_keys=True))
    assert result.other_statuses == {}, result.other_statuses
    assert result.accepted == result.files_sent and result.duplicates == result.repeats_sent == 50
    assert result.values_stored == result.distinct_readings_stored == result.files_sent * QUARTER_HOURS_PER_DAY
