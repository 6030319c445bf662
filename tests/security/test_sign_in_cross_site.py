"""Sign-in and sign-out refuse cross-site requests: another site's form cannot sign a visitor out, nor sign them
in as the attacker ("login CSRF"). The same pages, used from this site, work.

A browser sends `Origin` and `Sec-Fetch-Site` with a form post; the attacker controls neither, and cannot read the
form token this site wrote into its page and its SameSite=Strict cookie. Each case below is what a browser would
send for that situation.
"""

from __future__ import annotations

import re

from api.auth import SESSION_COOKIE
from api.web.routes import CSRF_COOKIE
from tests.security.conftest import SecuredApp

OWN_ORIGIN = "http://127.0.0.1:8000"  # tests.security.conftest's base_url
SAME_ORIGIN = {"Origin": OWN_ORIGIN, "Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}


async def _form_token(secured: SecuredApp) -> str:
    page = await secured.http.get("/finance/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None and secured.http.cookies.get(CSRF_COOKIE) == match.group(1)
    return match.group(1)


async def _signed_in(secured: SecuredApp) -> bool:
    return (await secured.http.get("/finance/", follow_redirects=False)).status_code == 200


async def test_same_site_sign_in_and_sign_out_work(secured: SecuredApp) -> None:
    token = await _form_token(secured)
    login = await secured.http.post("/finance/login", data={"credential": secured.token("finance"),
                                                             "csrf_token": token}, headers=SAME_ORIGIN)
    assert (login.status_code, login.headers["location"]) == (303, "/finance/"), login.text
    assert SESSION_COOKIE in login.cookies and await _signed_in(secured)
    page = await secured.http.get("/finance/")
    logout_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert logout_token is not None, "the sign-out form carries the token"
    logout = await secured.http.post("/finance/logout", data={"csrf_token": logout_token.group(1)},
                                     headers=SAME_ORIGIN)
    assert logout.status_code == 303 and not await _signed_in(secured)


async def test_a_client_without_origin_headers_signs_in_with_the_form_token(secured: SecuredApp) -> None:
    """Older browsers and scripts send neither header: the token alone decides."""
    token = await _form_token(secured)
    login = await secured.http.post("/finance/login", data={"credential": secured.token("finance"),
                                                             "csrf_token": token})
    assert login.status_code == 303 and await _signed_in(secured)


async def test_login_csrf_with_the_attackers_valid_credential_is_refused(secured: SecuredApp) -> None:
    """Another site posts its own valid credential: the visitor must not end up signed in as the attacker."""
    await _form_token(secured)  # the visitor has our token cookie from an earlier visit
    attacker = secured.token("finance")
    for headers, form in [
        (CROSS_SITE, {"credential": attacker}),  # no token: the attacker cannot read it
        (CROSS_SITE, {"credential": attacker, "csrf_token": "A" * 43}),  # a guessed token
        ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, {"credential": attacker}),  # a sandboxed frame
        ({"Sec-Fetch-Site": "same-site"}, {"credential": attacker}),  # a sibling subdomain
        ({}, {"credential": attacker}),  # no headers and no token
    ]:
        refused = await secured.http.post("/finance/login", data=form, headers=headers, follow_redirects=False)
        assert refused.status_code == 403, (headers, refused.status_code)
        assert SESSION_COOKIE not in refused.cookies and not await _signed_in(secured), headers
        assert "refused" in refused.text


async def test_a_leaked_token_does_not_help_another_origin(secured: SecuredApp) -> None:
    """Even with the right token, a post the browser marks as coming from another origin is refused."""
    token = await _form_token(secured)
    for headers in [CROSS_SITE, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]:
        refused = await secured.http.post("/finance/login", headers=headers,
                                          data={"credential": secured.token("finance"), "csrf_token": token})
        assert refused.status_code == 403 and not await _signed_in(secured), headers


async def test_cross_site_sign_out_is_refused_and_the_session_stays(secured: SecuredApp) -> None:
    token = await _form_token(secured)
    login = await secured.http.post("/finance/login", data={"credential": secured.token("finance"),
                                                             "csrf_token": token}, headers=SAME_ORIGIN)
    assert login.status_code == 303
    for headers, form in [(CROSS_SITE, {}), (CROSS_SITE, {"csrf_token": token}), ({}, {}),
                          ({}, {"csrf_token": "B" * 43})]:
        refused = await secured.http.post("/finance/logout", data=form, headers=headers, follow_redirects=False)
        assert refused.status_code == 403, (headers, form, refused.status_code)
        assert await _signed_in(secured), "a refused sign-out leaves the session"
