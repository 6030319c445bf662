"""Failed sign-ins are counted in the database: two apps, each with its own engine (as two API processes), over
one database give a user no more attempts than one app (migration 0017, `accounts.SignInThrottle`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from db import make_engine
from tests.integration.accounts.conftest import OWN_ORIGIN, PASSWORD, SAME_ORIGIN, make_settings


@pytest.fixture
async def two_apps(database_url: str, engine: Engine, tmp_path: Path
                   ) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    from api.app import create_app

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sign_in_failure"))
    settings = make_settings(tmp_path, sign_in_failures_free=3, sign_in_lock_s_base=30, sign_in_lock_s_max=600)
    engines = [make_engine(database_url), make_engine(database_url)]
    apps = [create_app(settings, own, None) for own in engines]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url=OWN_ORIGIN) as one, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url=OWN_ORIGIN) as two:
            yield one, two
    finally:
        for own in engines:
            own.dispose()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sign_in_failure"))


async def _sign_in(http: httpx.AsyncClient, user_name: str, password: str) -> httpx.Response:
    page = await http.get("/finance/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return await http.post("/finance/login", headers=SAME_ORIGIN,
                           data={"user_name": user_name, "password": password, "csrf_token": token})


async def test_failures_on_two_apps_count_together(two_apps, engine: Engine) -> None:
    from accounts import add_user

    one, two = two_apps
    with engine.begin() as conn:
        add_user(conn, "frank-shared", ["finance"], None, (), PASSWORD)
    # Three free failures and a fourth that locks, alternating apps: each app alone saw two.
    statuses = [(await _sign_in(app, "frank-shared", f"wrong guess {index}")).status_code
                for index, app in enumerate([one, two, one, two])]
    assert statuses == [401, 401, 401, 401]
    for app in (one, two):  # both refuse even the right password now
        locked = await _sign_in(app, "frank-shared", PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) in range(25, 31)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT throttle_key, failure_count FROM sign_in_failure")).all())
    assert counts["user:frank-shared"] == 4
