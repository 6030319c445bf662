"""An app over the session database with the real authenticator, and a helper that signs in through the form."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from accounts import add_user
from settings import Settings

PASSWORD = "a long enough pass phrase"
ROOT = Path(__file__).resolve().parents[3]
OIDC_CLIENT_ID = "wattledger-test"
OIDC_CLIENT_SECRET = "test-client-secret-0123456789"
OWN_ORIGIN = "http://127.0.0.1:8000"
SAME_ORIGIN = {"Origin": OWN_ORIGIN, "Sec-Fetch-Site": "same-origin"}


@dataclass
class SignInApp:
    settings: Settings
    engine: Engine
    app: Any
    http: httpx.AsyncClient

    def user(self, role: str = "finance", password: str = PASSWORD, tenant_id: str | None = None,
             campus_ids: tuple[str, ...] = ()) -> str:
        """A new account with a unique user name; returns the name."""
        name = f"user-{uuid.uuid4().hex[:10]}"
        with self.engine.begin() as conn:
            add_user(conn, name, [role], tenant_id, campus_ids, password)
        return name

    async def form_token(self) -> str:
        page = await self.http.get("/finance/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert page.status_code == 200 and match is not None
        return match.group(1)

    async def sign_in(self, user_name: str, password: str) -> httpx.Response:
        token = await self.form_token()
        return await self.http.post("/finance/login", headers=SAME_ORIGIN,
                                    data={"user_name": user_name, "password": password, "csrf_token": token})

    async def signed_in(self) -> bool:
        return (await self.http.get("/finance/", follow_redirects=False)).status_code == 200


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(home=tmp_path / "home", data_uri=str(tmp_path / "home" / "data"), **overrides)


@pytest.fixture
def sign_in_app_factory(engine: Engine, tmp_path: Path) -> Callable[..., Any]:
    """Builds the app with Settings overrides (an async context manager yielding a SignInApp)."""
    from contextlib import asynccontextmanager

    from api.app import create_app

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[SignInApp]:
        settings = make_settings(tmp_path, **overrides)
        # Failures are shared by every app over the database: each test starts afresh and leaves no lock on the
        # loopback address behind for the next test of the session.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sign_in_failure"))
        app = create_app(settings, engine, None)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=OWN_ORIGIN) as http:
                yield SignInApp(settings, engine, app, http)
        finally:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM sign_in_failure"))

    return build


@pytest.fixture
async def signin(sign_in_app_factory: Callable[..., Any]) -> AsyncIterator[SignInApp]:
    async with sign_in_app_factory() as built:
        yield built


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[str]:
    """The test identity provider (`oidc_provider.py`) in its own process; yields its issuer URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.integration.accounts.oidc_provider", str(port),
                                OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, redirect_uri], cwd=ROOT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the identity provider did not start"
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
