"""The running app for browser tests: Temporal dev server, worker, PostgreSQL and uvicorn on 127.0.0.1.

Chromium is Debian's (`/usr/bin/chromium`), driven by the `playwright` package from PyPI; no browser is
downloaded. Without either, the browser tests are skipped with the reason (CI installs both).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

CHROMIUM_PATH = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots and the downloaded PDF; ignored by git
SERVER_START_S_MAX = 30.0


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    settings: Any
    client: Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_browser() -> None:
    """Skip, saying why, where Debian's Chromium or the playwright package is missing; fail instead where
    WATTLEDGER_BROWSER_TESTS_REQUIRED is set (CI sets it after installing both), so CI never skips silently."""
    missing = None if Path(CHROMIUM_PATH).is_file() else "Debian's chromium is not installed (apt-get install chromium)"
    if missing is None and importlib.util.find_spec("playwright") is None:
        missing = "the playwright package is missing (pip install playwright; no browser download needed)"
    if missing is None:
        return
    if os.environ.get("WATTLEDGER_BROWSER_TESTS_REQUIRED"):
        pytest.fail(f"browser tests are required here: {missing}")
    pytest.skip(missing)


@contextlib.asynccontextmanager
async def serving(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """`app` under uvicorn on 127.0.0.1 (a free port unless given) until the block ends; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    task = asyncio.create_task(server.serve())
    for _ in range(int(SERVER_START_S_MAX / 0.1)):
        if server.started:
            break
        await asyncio.sleep(0.1)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def running_app(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> AsyncIterator[RunningApp]:
    require_browser()
    from temporalio.testing import WorkflowEnvironment

    from api.app import create_app
    from demo.campus import register_demo_campus
    from runtime.binaries import find_bin
    from runtime.keys import ensure_signing_key
    from runtime.temporal import DATA_CONVERTER
    from settings import Settings
    from worker import build_worker

    home = tmp_path_factory.mktemp("e2e-home")
    # A zero balance tolerance makes the demo's ordinary losses a blocking finding, so every cycle these tests
    # approve goes through the override a finance user records first (docs/finance.md).
    settings = Settings(home=home, database_url=database_url, ledger_origin="test.wattledger/e2e",
                        finance_balance_tolerance_permille=0)
    ensure_signing_key(settings)
    with engine.begin() as conn:
        register_demo_campus(conn)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                data_converter=DATA_CONVERTER)
    try:
        app = create_app(settings, engine, env.client)
        async with build_worker(env.client, settings, engine), serving(app) as url:
            yield RunningApp(url, settings, env.client)
    finally:
        await env.shutdown()
