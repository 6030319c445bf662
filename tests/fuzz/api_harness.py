"""The real application for fuzzing: PostgreSQL (a fresh database), the Temporal dev server, the real
authenticator with a minted staff token, the ASGI app called in-process with app exceptions raised.

`snapshot(engine)` fingerprints every table, so a test can show that refused input changed nothing stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import mint_token
from runtime.binaries import find_bin
from runtime.keys import ensure_signing_key
from runtime.temporal import DATA_CONVERTER
from settings import Settings

STAFF_ROLES = ["operator", "finance", "auditor"]


@dataclass
class FuzzApp:
    http: httpx.AsyncClient
    app: Any
    settings: Settings
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.asynccontextmanager
async def running_app(home: Path, engine: Engine, database_url: str) -> AsyncIterator[FuzzApp]:
    settings = Settings(home=home, database_url=database_url, ledger_origin="fuzz.wattledger/ledger")
    ensure_signing_key(settings)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=find_bin("temporal"),
                                                data_converter=DATA_CONVERTER)
    try:
        app = create_app(settings, engine, env.client)
        token = mint_token(settings, "fuzz.staff", STAFF_ROLES, None, timedelta(hours=1))
        # raise_app_exceptions: an exception no handler maps escapes into the test instead of becoming a 500.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://fuzz", timeout=60) as http:
            yield FuzzApp(http, app, settings, token)
    finally:
        await env.shutdown()


def snapshot(engine: Engine) -> dict[str, str]:
    """md5 of every row of every table in the public schema, per table."""
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars().all()
        return {table: conn.execute(text(
            f'SELECT count(*) || \':\' || coalesce(md5(string_agg(t::text, \'|\' ORDER BY t::text)), \'\') '
            f'FROM "{table}" t')).scalar_one() for table in tables}
