"""Fixtures for fault tests: a fresh database per test on the session's server, a Temporal dev server with
its database file, a worker home with the demo campus's site exports, and the full/quick switch.

`make test-faults` sets WATTLEDGER_FAULTS=full and runs every scenario at full size; the normal suite runs
the quick versions only (each well under a minute).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url

from tests.faults.harness import TemporalDevServer, fresh_database

FULL = os.environ.get("WATTLEDGER_FAULTS") == "full"


# Skips before any fixture starts a server or creates a database.
full_only = pytest.mark.skipif(not FULL, reason="full fault scenario: run `make test-faults` (WATTLEDGER_FAULTS=full)")


@pytest.fixture
def server_url(database_url: str) -> str:
    """The session's PostgreSQL server (machine or embedded), for creating per-test databases on it."""
    return make_url(database_url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture
def fault_database_url(server_url: str) -> Iterator[str]:
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture
def fault_engine(fault_database_url: str) -> Iterator[Engine]:
    from db import make_engine

    engine = make_engine(fault_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def temporal_server(tmp_path: Path) -> AsyncIterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path / "temporal.sqlite", tmp_path / "temporal.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
