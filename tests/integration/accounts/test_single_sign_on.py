"""Single sign-on through OpenID Connect against a real provider started by the test (Authlib's authorization
server in its own process, `oidc_provider.py`): the full redirect flow driven with httpx, and what is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from accounts import add_user, set_disabled
from api.auth import SESSION_COOKIE
from api.web.signin import OIDC_STATE_COOKIE
from tests.integration.accounts.conftest import (
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    OWN_ORIGIN,
    SAME_ORIGIN,
    SignInApp,
    running_provider,
)

CLIENT_ID = OIDC_CLIENT_ID
CLIENT_SECRET = OIDC_CLIENT_SECRET
REDIRECT_URI = f"{OWN_ORIGIN}/finance/login/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The identity provider's issuer URL, serving until the module's tests end."""
    with running_provider(REDIRECT_URI) as issuer:
        yield issuer


@pytest.fixture
async def sso(sign_in_app_factory: Callable[..., Any], provider: str) -> AsyncIterator[SignInApp]:
    async with sign_in_app_factory(oidc_issuer=provider, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                                   oidc_roles_claim="groups",
                                   oidc_role_mapping={"billing-finance": ["finance"]}) as app:
        yield app


async def _to_provider(app: SignInApp) -> str:
    """Press "Sign in with single sign-on": the provider's authorization URL the browser is sent to."""
    token = await app.form_token()
    start = await app.http.post("/finance/login/oidc", data={"csrf_token": token}, headers=SAME_ORIGIN)
    assert start.status_code == 303, start.text
    return start.headers["location"]


async def _at_provider(authorize_url: str, user: str, password: str) -> str:
    """Sign in on the provider's form: the redirect back to wattledger's callback."""
    async with httpx.AsyncClient() as browser:
        form = await browser.get(authorize_url)
        assert form.status_code == 200, form.text
        answer = await browser.post(authorize_url, data={"username": user, "password": password})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def test_a_provider_user_with_a_mapped_group_signs_in_with_pkce_state_and_nonce(sso: SignInApp,
                                                                                     provider: str) -> None:
    authorize_url = await _to_provider(sso)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{provider}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT_URI]
    assert query["state"][0] and query["nonce"][0] and "openid" in query["scope"][0].split()
    with sso.engine.connect() as conn:  # the verifier stays on the server; the URL has only its challenge
        verifier = conn.execute(text("SELECT code_verifier FROM oidc_login WHERE nonce = :nonce"),
                                {"nonce": query["nonce"][0]}).scalar_one()
    assert verifier not in authorize_url

    callback = await _at_provider(authorize_url, "fiona", "fiona idp pass phrase")
    assert callback.startswith(REDIRECT_URI + "?")
    back = await sso.http.get(callback.removeprefix(OWN_ORIGIN))
    # A page that moves on to /finance/ (a redirect would lose the SameSite=Strict cookie after a cross-site hop).
    assert back.status_code == 200 and 'content="0;url=/finance/"' in back.text, back.text
    assert back.cookies[SESSION_COOKIE].startswith("wls_")
    page = await sso.http.get("/finance/")
    assert page.status_code == 200 and "fiona (finance)" in page.text
    with sso.engine.connect() as conn:
        method = conn.execute(text("SELECT method FROM web_session WHERE subject = 'fiona' ORDER BY created_at_utc "
                                   "DESC LIMIT 1")).scalar_one()
    assert method == "oidc"

    replay = await sso.http.get(callback.removeprefix(OWN_ORIGIN))  # the code and state are used once
    assert replay.status_code == 403


async def test_a_provider_user_without_a_mapped_group_gets_no_session(sso: SignInApp) -> None:
    callback = await _at_provider(await _to_provider(sso), "otto", "otto idp pass phrase")
    back = await sso.http.get(callback.removeprefix(OWN_ORIGIN))
    assert back.status_code == 403 and SESSION_COOKIE not in back.cookies
    assert "no finance, auditor or operator role" in back.text


async def test_a_callback_with_another_browsers_state_is_refused(sso: SignInApp) -> None:
    """Login CSRF through the provider: the attacker's own callback URL, opened in the victim's browser."""
    callback = await _at_provider(await _to_provider(sso), "fiona", "fiona idp pass phrase")
    sso.http.cookies.delete(OIDC_STATE_COOKIE, path="/finance/login/oidc/callback")
    sso.http.cookies.set(OIDC_STATE_COOKIE, "the-victims-own-state", path="/finance/login/oidc/callback")
    refused = await sso.http.get(callback.removeprefix(OWN_ORIGIN))
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.cookies
    assert not await sso.signed_in()


async def test_the_code_is_worthless_without_the_pkce_verifier(sso: SignInApp) -> None:
    authorize_url = await _to_provider(sso)
    nonce = parse_qs(urlsplit(authorize_url).query)["nonce"][0]
    with sso.engine.begin() as conn:  # as if someone else redeemed the code with a verifier of their own
        conn.execute(text("UPDATE oidc_login SET code_verifier = :other WHERE nonce = :nonce"),
                     {"other": "x" * 43, "nonce": nonce})
    callback = await _at_provider(authorize_url, "fiona", "fiona idp pass phrase")
    refused = await sso.http.get(callback.removeprefix(OWN_ORIGIN))
    assert refused.status_code == 401 and "token endpoint answered 400" in refused.text
    assert not await sso.signed_in()


async def test_a_disabled_local_account_cannot_sign_in_through_the_provider(sso: SignInApp) -> None:
    with sso.engine.begin() as conn:
        conn.execute(text("DELETE FROM user_account WHERE user_name = 'fiona'"))
        add_user(conn, "fiona", ["finance"], None, [], None)
        set_disabled(conn, "fiona", True)
    try:
        callback = await _at_provider(await _to_provider(sso), "fiona", "fiona idp pass phrase")
        refused = await sso.http.get(callback.removeprefix(OWN_ORIGIN))
        assert refused.status_code == 403 and not await sso.signed_in()
    finally:
        with sso.engine.begin() as conn:
            conn.execute(text("DELETE FROM user_account WHERE user_name = 'fiona'"))


async def test_the_provider_refusing_or_the_start_without_the_form_token_signs_nobody_in(sso: SignInApp) -> None:
    refused = await sso.http.post("/finance/login/oidc", data={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    error = await sso.http.get("/finance/login/oidc/callback?error=access_denied&state=x")
    assert error.status_code == 401 and not await sso.signed_in()


async def test_the_sign_in_page_offers_single_sign_on_only_when_configured(sso: SignInApp,
                                                                          signin: SignInApp) -> None:
    assert re.search(r'action="/finance/login/oidc"', (await sso.http.get("/finance/login")).text)
    assert "/finance/login/oidc" not in (await signin.http.get("/finance/login")).text
    assert (await signin.http.post("/finance/login/oidc", data={})).status_code == 404
