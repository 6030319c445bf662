"""Market HTTP routes over the real app and database: statement import (idempotent, conflicting re-import
refused with 409), dispute and submission listings, and role checks."""

from __future__ import annotations

import copy

import httpx
from sqlalchemy import text

from api.app import create_app
from api.principal import Principal
from market_adapters.reconciliation.statement import FORMAT
from settings import Settings

RUN = {"format": FORMAT, "statement_id": "API-INITIAL", "iso": "NYISO", "operating_day": "2025-07-15",
       "run_type": "INITIAL", "run_sequence": 1, "published_at_utc": "2025-07-20T00:00:00+00:00", "lines": []}


def _app(engine, roles: set[str]):
    settings = Settings(database_url="postgresql://unused/none")
    return create_app(settings, engine, None, authenticate=lambda request: Principal("t", frozenset(roles)))


async def test_statement_import_and_listings(engine, nyiso_campus):
    """Import twice is fine; the same id with other content is 409; listings answer 200; tenants get 403."""
    transport = httpx.ASGITransport(app=_app(engine, {"operator"}))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        run = dict(RUN, statement_id=f"API-{nyiso_campus.campus_id}")
        path = f"/market/campuses/{nyiso_campus.campus_id}"
        first = await http.post(f"{path}/statements", json=[run])
        again = await http.post(f"{path}/statements", json=[run])
        changed = copy.deepcopy(run) | {"published_at_utc": "2025-07-21T00:00:00+00:00"}
        conflict = await http.post(f"{path}/statements", json=[changed])
        bad = await http.post(f"{path}/statements", json=[dict(run, run_type="WEEKLY")])
        listed = await http.get(f"{path}/disputes", params={"status": ""})
        submissions = await http.get(f"{path}/submissions")
    assert first.json() == {"imported": [run["statement_id"]]} and again.status_code == 200
    assert conflict.status_code == 409
    assert bad.status_code == 422 and bad.json()["field"] == "run_type"
    assert listed.json()["disputes"] == [] and submissions.json()["submissions"] == []
    tenant = httpx.ASGITransport(app=_app(engine, {"tenant"}))
    async with httpx.AsyncClient(transport=tenant, base_url="http://test") as http:
        assert (await http.get(f"{path}/disputes")).status_code == 403


async def test_two_campuses_may_import_the_same_statement_id(engine, nyiso_campus):
    """Statement ids are unique per ISO participant only: a second campus imports the same id with other content."""
    other = f"{nyiso_campus.campus_id}-b"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'B', 'America/New_York', "
                          "'NYISO')"), {"c": other})
    transport = httpx.ASGITransport(app=_app(engine, {"operator"}))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        run = dict(RUN, statement_id="SHARED-ID")
        first = await http.post(f"/market/campuses/{nyiso_campus.campus_id}/statements", json=[run])
        second = await http.post(f"/market/campuses/{other}/statements",
                                 json=[dict(run, published_at_utc="2025-07-22T00:00:00+00:00")])
    assert (first.status_code, second.status_code) == (200, 200)
