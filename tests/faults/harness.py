"""Real processes for fault tests: a Temporal dev server with its database file, `python worker.py` as a
child process that can be killed with SIGKILL, a fresh PostgreSQL database, and the checks that every cycle
completed exactly once.

Everything binds to 127.0.0.1 on free ports and is stopped by the fixtures that start it; every wait has a
deadline. The worker is the production entry point (`worker.py`) with its settings from the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from runtime.binaries import find_bin
from wattledger_cli.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
# Each fault run writes its figures (JSON) here, outside version control; docs/reliability.md quotes them.
RESULTS = Path(os.environ.get("WATTLEDGER_FAULT_RESULTS", str(ROOT / ".wattledger" / "fault-results")))
SERVER_READY_S_MAX = 60.0
WORKER_STOP_S_MAX = 15.0


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, migrated database on `server_url`'s server, dropped afterwards (isolates invoice numbering)."""
    from db import upgrade_schema

    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"wlfault_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_schema(url)
        yield url
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class TemporalDevServer:
    """`temporal server start-dev` on a free port, history in `db_file`; restartable, and killable with -9."""

    def __init__(self, db_file: Path, log_file: Path) -> None:
        self.db_file = db_file
        self.log_file = log_file
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            [find_bin("temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port),
             "--headless", "--db-filename", str(self.db_file), "--log-level", "error"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

    async def wait_ready(self, converter_client_factory) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + SERVER_READY_S_MAX
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"dev server died; see {self.log_file}"
            try:
                client = await converter_client_factory(self.address)
                await client.count_workflows()
                return
            except Exception:  # noqa: BLE001 - any failure here means "not ready yet"
                await asyncio.sleep(0.3)
        raise AssertionError(f"Temporal dev server not ready in {SERVER_READY_S_MAX} s; see {self.log_file}")

    def wait_listening(self) -> None:
        """Block until the frontend port accepts connections (for callers without an event loop)."""
        deadline = time.monotonic() + SERVER_READY_S_MAX
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, f"dev server died; see {self.log_file}"
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError(f"Temporal dev server not listening in {SERVER_READY_S_MAX} s; see {self.log_file}")

    def stop(self, hard: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if hard:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=WORKER_STOP_S_MAX)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class WorkerProcess:
    """`python worker.py` with the given environment; `kill9()` sends SIGKILL to exactly this process."""

    env: dict[str, str]
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: list[float] = field(default_factory=list)

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "worker already running"
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env={**os.environ, **self.env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.starts += 1

    def kill9(self) -> None:
        assert self.process is not None and self.process.poll() is None, "worker is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WORKER_STOP_S_MAX)
        self.kills.append(time.monotonic())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=WORKER_STOP_S_MAX)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def worker_env(home: Path, database_url: str, temporal_address: str, ledger_origin: str) -> dict[str, str]:
    return {
        "WATTLEDGER_HOME": str(home), "WATTLEDGER_DATABASE_URL": database_url,
        "WATTLEDGER_TEMPORAL_ADDRESS": temporal_address, "WATTLEDGER_LEDGER_ORIGIN": ledger_origin,
        "WATTLEDGER_LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1",
    }


def cycle_statuses(engine: Engine, cycle_ids: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT cycle_id, status FROM billing_cycle WHERE cycle_id = ANY(:ids)"),
                            {"ids": cycle_ids}).all()
    return {row[0]: row[1] for row in rows}


def last_progress_utc(engine: Engine, cycle_ids: list[str]) -> float:
    """Epoch seconds of the latest cycle status change or step record, by the database's clock."""
    with engine.connect() as conn:
        return float(conn.execute(text(
            "SELECT extract(epoch FROM greatest("
            " (SELECT max(updated_at_utc) FROM billing_cycle WHERE cycle_id = ANY(:ids)),"
            " (SELECT max(recorded_at_utc) FROM cycle_step WHERE cycle_id = ANY(:ids))))"),
            {"ids": cycle_ids}).scalar() or 0.0)


def database_now_epoch(engine: Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
