"""Signing in to the finance pages with a user name and password: server-side sessions that expire and end at
sign-out, disabled accounts, rate-limited and logged failures, and the cross-site guard kept."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from accounts import set_disabled, set_password
from api.auth import SESSION_COOKIE
from tests.integration.accounts.conftest import PASSWORD, SAME_ORIGIN, SignInApp


async def test_a_user_signs_in_with_name_and_password_and_out_again(signin: SignInApp) -> None:
    name = signin.user("finance")
    response = await signin.sign_in(name.upper(), PASSWORD)  # user names are case-insensitive
    assert (response.status_code, response.headers["location"]) == (303, "/finance/"), response.text
    session_key = response.cookies[SESSION_COOKIE]
    assert session_key.startswith("wls_") and "HttpOnly" in response.headers["set-cookie"]
    assert f"max-age={signin.settings.session_lifetime_s}" in response.headers["set-cookie"].lower()
    page = await signin.http.get("/finance/")
    assert page.status_code == 200 and f"{name} (finance)" in page.text
    with signin.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM web_session WHERE session_sha256_hex = encode("
                                   "sha256(convert_to(:key, 'UTF8')), 'hex') AND method = 'password'"),
                              {"key": session_key}).scalar_one()
    assert stored == 1, "only the key's hash is stored"

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    out = await signin.http.post("/finance/logout", data={"csrf_token": token.group(1)}, headers=SAME_ORIGIN)
    assert out.status_code == 303 and not await signin.signed_in()
    # The session ended on the server: the old cookie, replayed, is refused.
    signin.http.cookies.set(SESSION_COOKIE, session_key)
    assert not await signin.signed_in()


async def test_wrong_password_and_unknown_user_get_the_same_answer(signin: SignInApp) -> None:
    name = signin.user("finance")
    wrong = await signin.sign_in(name, PASSWORD + "!")
    unknown = await signin.sign_in("nobody-" + name, PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "User name or password not accepted." in wrong.text and "User name or password not accepted." in unknown.text
    assert SESSION_COOKIE not in wrong.cookies and not await signin.signed_in()


async def test_an_unknown_user_costs_an_argon2_verification_like_a_wrong_password(signin: SignInApp) -> None:
    name = signin.user("finance")
    await signin.sign_in(name, "warm up the hasher")

    async def duration(user_name: str) -> float:
        token = await signin.form_token()
        start = time.perf_counter()
        await signin.http.post("/finance/login", data={"user_name": user_name, "password": "guess-guess-guess",
                                                       "csrf_token": token})
        return time.perf_counter() - start

    wrong = min([await duration(name) for _ in range(2)])
    unknown = min([await duration("nobody-at-all") for _ in range(2)])
    assert unknown > wrong * 0.5, (unknown, wrong)  # no fast path for unknown names (Argon2 takes tens of ms)


async def test_a_disabled_account_or_changed_password_ends_sessions_and_refuses_sign_in(signin: SignInApp) -> None:
    name = signin.user("auditor")
    assert (await signin.sign_in(name, PASSWORD)).status_code == 303 and await signin.signed_in()
    with signin.engine.begin() as conn:
        set_disabled(conn, name, True)
    assert not await signin.signed_in(), "disabling ends the open session"
    assert (await signin.sign_in(name, PASSWORD)).status_code == 401
    with signin.engine.begin() as conn:
        set_disabled(conn, name, False)
    assert (await signin.sign_in(name, PASSWORD)).status_code == 303
    with signin.engine.begin() as conn:
        set_password(conn, name, "another long pass phrase")
    assert not await signin.signed_in(), "a new password ends the open session"
    assert (await signin.sign_in(name, "another long pass phrase")).status_code == 303


async def test_a_tenant_account_lands_on_its_portal_and_not_on_the_finance_pages(signin: SignInApp) -> None:
    name = signin.user("tenant", tenant_id="acme", campus_ids=("north",))
    response = await signin.sign_in(name, PASSWORD)
    assert (response.status_code, response.headers["location"]) == (303, "/tenant/")
    assert (await signin.http.get("/finance/", follow_redirects=False)).status_code == 403


async def test_an_ingest_only_account_gets_no_session(signin: SignInApp) -> None:
    response = await signin.sign_in(signin.user("ingest"), PASSWORD)
    assert response.status_code == 403 and SESSION_COOKIE not in response.cookies


async def test_sessions_expire(signin: SignInApp) -> None:
    name = signin.user("finance")
    response = await signin.sign_in(name, PASSWORD)
    assert await signin.signed_in()
    with signin.engine.begin() as conn:
        conn.execute(text("UPDATE web_session SET expires_at_utc = now() - interval '1 second' "
                          "WHERE subject = :name"), {"name": name})
    assert not await signin.signed_in()
    assert (await signin.http.get("/finance/", follow_redirects=False)).headers["location"] == "/finance/login"
    assert response.cookies[SESSION_COOKIE]


async def test_failed_sign_ins_are_rate_limited_with_backoff_and_logged_without_the_password(
        sign_in_app_factory: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wattledger.sign_in")
    # Held on the logger itself: a test before this one that configured logging replaced the root's handlers.
    sign_in_log = logging.getLogger("wattledger.sign_in")
    sign_in_log.addHandler(caplog.handler)
    try:
        name = await _rate_limit_scenario(sign_in_app_factory)
    finally:
        sign_in_log.removeHandler(caplog.handler)
    records = list({id(record): record for record in caplog.records}.values())  # the root may pass each one too
    failures = [record.getMessage() for record in records if "sign-in failed" in record.getMessage()]
    assert len(failures) == 4 and all(name in message for message in failures)
    assert not any("wrong guess" in record.getMessage() or PASSWORD in record.getMessage() for record in records)
    assert any("too many failures" in record.getMessage() for record in records)


async def _rate_limit_scenario(sign_in_app_factory: Callable[..., Any]) -> str:
    """Four wrong passwords lock the name and the address; the name signed in with."""
    async with sign_in_app_factory(sign_in_failures_free=3, sign_in_lock_s_base=30, sign_in_lock_s_max=600) as app:
        name = app.user("finance")
        statuses = [(await app.sign_in(name, f"wrong guess number {index}")).status_code for index in range(4)]
        assert statuses == [401, 401, 401, 401]  # the fourth failure is counted and sets the lock
        locked = await app.sign_in(name, PASSWORD)  # even the right password waits
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) in range(25, 31)
        assert "Too many failed sign-ins" in locked.text
        # Per client address too: another name from the same address is also held back.
        other = app.user("finance")
        assert (await app.sign_in(other, PASSWORD)).status_code == 429
        with app.engine.begin() as conn:  # the lock has passed
            conn.execute(text("UPDATE sign_in_failure SET locked_until_utc = now() - interval '1 second'"))
        assert (await app.sign_in(name, PASSWORD)).status_code == 303
        return str(name)


async def test_sign_in_with_a_password_keeps_the_cross_site_guard(signin: SignInApp) -> None:
    name = signin.user("finance")
    token = await signin.form_token()
    for headers, form in [
        ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
         {"user_name": name, "password": PASSWORD, "csrf_token": token}),
        ({}, {"user_name": name, "password": PASSWORD}),
        (SAME_ORIGIN, {"user_name": name, "password": PASSWORD, "csrf_token": "A" * 43}),
    ]:
        refused = await signin.http.post("/finance/login", data=form, headers=headers)
        assert refused.status_code == 403 and SESSION_COOKIE not in refused.cookies, headers
    assert not await signin.signed_in()


async def test_the_token_sign_in_for_automation_also_makes_a_server_side_session(signin: SignInApp) -> None:
    from datetime import timedelta

    from api.auth import mint_token
    from runtime.keys import ensure_signing_key

    ensure_signing_key(signin.settings)
    credential = mint_token(signin.settings, "robot", ["auditor"], None, timedelta(minutes=5))
    token = await signin.form_token()
    response = await signin.http.post("/finance/login", data={"credential": credential, "csrf_token": token})
    assert response.status_code == 303 and response.cookies[SESSION_COOKIE].startswith("wls_")
    assert credential not in response.headers["set-cookie"]
    assert await signin.signed_in()
