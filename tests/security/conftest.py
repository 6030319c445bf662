"""An app over the session database with the real authenticator, and tokens for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api.auth import mint_token
from runtime.keys import ensure_signing_key
from settings import Settings


@dataclass
class SecuredApp:
    settings: Settings
    app: object
    http: httpx.AsyncClient

    def token(self, role: str, tenant_id: str | None = None, subject: str | None = None,
              campus_ids: tuple[str, ...] = ()) -> str:
        """A token for `role`; a tenant token is bound to `campus_ids` (a placeholder campus when none given)."""
        if tenant_id is not None and not campus_ids:
            campus_ids = ("sec-campus",)
        return mint_token(self.settings, subject or f"sec-{role}", [role], tenant_id, timedelta(minutes=10),
                          campus_ids)

    def bearer(self, role: str, tenant_id: str | None = None, campus_ids: tuple[str, ...] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, tenant_id, campus_ids=campus_ids)}"}


@pytest.fixture
async def secured(engine: Engine, tmp_path: Path) -> AsyncIterator[SecuredApp]:
    from api.app import create_app

    settings = Settings(home=tmp_path / "home", data_uri=str(tmp_path / "home" / "data"))
    ensure_signing_key(settings)
    app = create_app(settings, engine, None)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        yield SecuredApp(settings, app, http)
