"""Fixtures for meter-data integration tests: a campus with meters in the session database, an API app
whose authenticator returns a fixed principal, and a data root in a temp folder."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

METERS = [
    ("GT1-GEN", "generation", "kWh", 15, None, 50_000),
    ("GT1-FUEL", "fuel", "MMBtu", 15, None, None),
    ("T1-LOAD", "tenant_consumption", "kWh", 15, "t1", None),
    ("SHARED", "shared_consumption", "kWh", 15, None, None),
]


@pytest.fixture
def campus_id(engine: Engine) -> str:
    campus = f"md-{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Test', "
                          "'America/New_York', 'NYISO')"), {"c": campus})
        conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, 't1', 'Tenant one')"), {"c": campus})
        for meter_id, role, unit, minutes, tenant, rated in METERS:
            conn.execute(
                text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id, rated_kw)"
                     " VALUES (:c, :m, :r, :u, :i, :t, :k)"),
                {"c": campus, "m": meter_id, "r": role, "u": unit, "i": minutes, "t": tenant, "k": rated},
            )
    return campus


@pytest.fixture
def data_root(tmp_path: Path) -> str:
    return str(tmp_path / "data")


@pytest.fixture
async def client(engine: Engine, data_root: str) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app
    from api.principal import Principal
    from settings import Settings

    settings = Settings(data_uri=data_root, home=Path(data_root).parent / "home")
    roles = {"x-test-roles": "operator,ingest"}

    def authenticate(request) -> Principal:
        header = request.headers.get("x-test-roles", roles["x-test-roles"])
        return Principal("alice", frozenset(r for r in header.split(",") if r))

    app = create_app(settings, engine, None, authenticate=authenticate)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client
