"""`GET /cycles?status=...` filters on a recorded status and refuses any other, naming the valid ones (as the CLI's
`cycle list --state` does), instead of answering a mistyped status with an empty list."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from api.principal import Principal
from settings import Settings


@pytest.fixture
async def client(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_uri=str(tmp_path / "data"), home=tmp_path / "home")
    app = create_app(settings, engine, None, authenticate=lambda request: Principal("olga", frozenset({"operator"})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.fixture
def cycle_id(engine: Engine) -> str:
    campus_id = f"ls-{uuid.uuid4().hex[:10]}"
    cycle = f"cycle:{campus_id}:2026-09"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Test', "
                          "'America/Chicago', 'ERCOT')"), {"c": campus_id})
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc,"
                          " status, workflow_id, input_uri) VALUES (:id, :c, '2026-09', :s, :e, 'awaiting_approval',"
                          " :id, 'file:///x')"),
                     {"id": cycle, "c": campus_id, "s": datetime(2026, 9, 1, 5, tzinfo=UTC),
                      "e": datetime(2026, 10, 1, 5, tzinfo=UTC)})
    return cycle


async def test_a_recorded_status_filters(client: httpx.AsyncClient, cycle_id: str) -> None:
    awaiting = await client.get("/cycles", params={"status": "awaiting_approval", "limit": 500})
    assert awaiting.status_code == 200
    assert cycle_id in [row["cycle_id"] for row in awaiting.json()]
    completed = await client.get("/cycles", params={"status": "completed", "limit": 500})
    assert completed.status_code == 200
    assert cycle_id not in [row["cycle_id"] for row in completed.json()]


@pytest.mark.parametrize("status", ["bogus", "awaiting-approval", "Completed", "settled"])
async def test_an_unknown_status_is_refused_naming_the_valid_ones(client: httpx.AsyncClient, status: str) -> None:
    refused = await client.get("/cycles", params={"status": status})
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["query", "status"]
    assert problem["msg"] == ("String should match pattern '^(started|ingesting|validating|settling|awaiting_approval|"
                              "rework|invoicing|submitting|posting|completed|failed|cancelled)$'")
