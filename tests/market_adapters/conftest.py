"""Fixtures for market adapter tests: write INTERVAL_SCHEMA Parquet files from compact row lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools.fake_iso.pki import make_test_pki
from meterdata.schema import INTERVAL_SCHEMA
from tests.market_adapters.market_rows import IntervalRow

WriteIntervals = Callable[[Sequence[IntervalRow], int], str]


@pytest.fixture
def write_intervals(tmp_path: Path) -> WriteIntervals:
    """Write rows (all `interval_minutes` long) to a fresh Parquet file and return its path."""
    counter = iter(range(1_000_000))

    def write(rows: Sequence[IntervalRow], interval_minutes: int) -> str:
        path = tmp_path / f"intervals-{next(counter)}.parquet"
        table = pa.table(
            {
                "meter_id": [row[0] for row in rows],
                "channel": [row[1] for row in rows],
                "interval_start_utc": [row[2] for row in rows],
                "interval_minutes": [interval_minutes] * len(rows),
                "energy_wh": [row[3] for row in rows],
                "quality": [row[4] for row in rows],
                "source_sha256": ["0" * 64] * len(rows),
                "source_row": list(range(2, len(rows) + 2)),
            },
            schema=INTERVAL_SCHEMA,
        )
        pq.write_table(table, path)
        return str(path)

    return write


@pytest.fixture(scope="session")
def fake_pki(tmp_path_factory: pytest.TempPathFactory):
    """A test CA with server and client certificates for mutual TLS against the fake ISO."""
    return make_test_pki(tmp_path_factory.mktemp("pki"), client_name="wl-operator")
