"""Sign-in and sign-out of the finance pages (`/finance/login`, `/finance/logout`), issue 19.

Three ways in, each ending in a server-side session (table `web_session`, see `accounts`): the cookie
`wattledger_session` holds a random session key, the server keeps its hash, its holder's roles and its end
(`Settings.session_lifetime_s`, 12 hours by default). Signing out ends the session on the server, so a copied
cookie is worth nothing afterwards.

1. User name and password (`wattledger access user add ...`), checked against the Argon2id hash.
2. Single sign-on through OpenID Connect (`api.oidc`), when `Settings.oidc_issuer` is set.
3. A bearer token or API key pasted into the form: kept for automation and the test suites (role matrix, browser
   and security tests sign in that way); the session gets the credential's roles, and the credential itself never
   sits in the browser.

Failed sign-ins are counted per user name and per client address (`accounts.SignInThrottle`, in PostgreSQL, so
every API process counts against the same records): after
`sign_in_failures_free` failures in a row each further one locks that name or address for twice as long (from
`sign_in_lock_s_base` to `sign_in_lock_s_max` seconds), answered 429 with Retry-After. Every attempt is logged on
the logger `wattledger.sign_in` with the user name and address, never the password. An unknown user name costs
the same Argon2 verification as a wrong password.

Cross-site requests: every form carries the browser's form token (see `api.web.routes.require_same_site_form`),
checked with Sec-Fetch-Site and Origin before any credential is looked at.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from accounts import (
    Account,
    BackoffPolicy,
    SignInThrottle,
    begin_oidc_login,
    check_password,
    end_session,
    sso_account,
    start_session,
    take_oidc_login,
)
from api import oidc
from api.auth import SESSION_COOKIE
from api.principal import Principal
from api.web.routes import LOGIN_PATH, render, require_same_site_form
from settings import Settings

router = APIRouter(prefix="/finance", tags=["finance pages"], include_in_schema=False)
log = logging.getLogger("wattledger.sign_in")

STAFF_ROLES = ("finance", "auditor", "operator")
# Tenants sign in here too and are sent to their portal (`api.web.tenant`, /tenant/); single sign-on is for staff.
SIGN_IN_ROLES = (*STAFF_ROLES, "tenant")
OIDC_STATE_COOKIE = "wattledger_oidc_state"
OIDC_CALLBACK_PATH = "/finance/login/oidc/callback"
OIDC_LOGIN_LIFETIME = timedelta(minutes=10)
NOT_ACCEPTED = "User name or password not accepted."


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def sign_in_throttle(request: Request) -> SignInThrottle:
    """The app's throttle of failed sign-ins (records in the database), made on first use with the Settings'
    backoff."""
    throttle: SignInThrottle | None = getattr(request.app.state, "sign_in_throttle", None)
    if throttle is None:
        settings = _settings(request)
        throttle = SignInThrottle(_engine(request), BackoffPolicy(failures_free=settings.sign_in_failures_free,
                                                lock_s_base=settings.sign_in_lock_s_base,
                                                lock_s_max=settings.sign_in_lock_s_max))
        request.app.state.sign_in_throttle = throttle
    return throttle


def _client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _login_page(request: Request, status_code: int, error: str | None, headers: dict[str, str] | None = None,
                user_name: str = "") -> HTMLResponse:
    response = render("login.html", request, status_code=status_code, principal=None, error=error,
                      user_name=user_name, oidc_enabled=oidc.configured(_settings(request)))
    if headers:
        response.headers.update(headers)
    return response


def _signed_in(request: Request, account: Account, method: str) -> Response:
    """Start the session and send the browser to the cycles page with its cookie."""
    lifetime_s = _settings(request).session_lifetime_s
    with _engine(request).begin() as conn:
        session_key = start_session(conn, account, method, timedelta(seconds=lifetime_s))
    log.info("sign-in accepted: user=%r method=%s address=%s", account.user_name, method, _client_address(request))
    landing = "/finance/" if account.roles & set(STAFF_ROLES) else "/tenant/"
    response = RedirectResponse(landing, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_key, max_age=lifetime_s, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _login_page(request, 200, None)


@router.post("/login")
def login(request: Request, user_name: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          credential: Annotated[str, Form(max_length=4096)] = "",
          csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Sign in with a user name and password (or a pasted token or API key), then start a session."""
    try:
        require_same_site_form(request, csrf_token)  # before the credential: no login CSRF with a valid one
    except HTTPException as error:
        return _login_page(request, error.status_code, str(error.detail))
    address = _client_address(request)
    throttle = sign_in_throttle(request)
    name_key = f"user:{user_name.strip().lower()[:200]}"
    # A pasted token names no user: its failures count against the address only (a shared key would let anyone
    # lock the token sign-in for everyone).
    keys = [f"address:{address}"] if credential else [name_key, f"address:{address}"]
    retry_after_s = throttle.retry_after_s(keys)
    if retry_after_s:
        log.warning("sign-in refused, too many failures: user=%r address=%s retry_after_s=%d",
                    user_name[:120], address, retry_after_s)
        return _login_page(request, 429, f"Too many failed sign-ins: try again in {retry_after_s} seconds.",
                           headers={"Retry-After": str(retry_after_s)}, user_name=user_name[:200])
    if credential:
        return _token_login(request, credential, keys)
    if not user_name or not password:
        return _login_page(request, 422, "Enter your user name and password.", user_name=user_name[:200])
    with _engine(request).begin() as conn:  # begin: a hash with outdated parameters is replaced
        account = check_password(conn, user_name, password)
    if account is None:
        throttle.failed(keys)
        log.warning("sign-in failed: user=%r method=password address=%s", user_name[:120], address)
        return _login_page(request, 401, NOT_ACCEPTED, user_name=user_name[:200])
    throttle.succeeded(name_key)
    if not account.roles & set(SIGN_IN_ROLES):
        log.warning("sign-in refused, no staff or tenant role: user=%r address=%s", account.user_name, address)
        return _login_page(request, 403, "This account has none of the roles finance, auditor, operator or tenant.")
    return _signed_in(request, account, "password")


def _token_login(request: Request, credential: str, keys: list[str]) -> Response:
    probe = Request({"type": "http", "method": "GET", "path": LOGIN_PATH, "app": request.app,
                     "headers": [(b"authorization", f"Bearer {credential.strip()}".encode())]})
    try:
        principal: Principal = request.app.state.authenticate(probe)
        principal.require(*SIGN_IN_ROLES)
    except HTTPException as error:
        if error.status_code == 401:
            sign_in_throttle(request).failed(keys)
        log.warning("sign-in failed: method=token address=%s status=%d", _client_address(request), error.status_code)
        return _login_page(request, error.status_code, "Not accepted: " + str(error.detail))
    account = Account(principal.subject, principal.roles, principal.tenant_id, principal.campus_ids, disabled=False)
    return _signed_in(request, account, "token")


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session on the server (the cookie is worthless afterwards) and in the browser."""
    require_same_site_form(request, csrf_token)
    session_key = request.cookies.get(SESSION_COOKIE, "")
    with _engine(request).begin() as conn:
        ended = end_session(conn, session_key)
    log.info("sign-out: session_ended=%s address=%s", ended, _client_address(request))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/login/oidc")
def oidc_start(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Send the browser to the identity provider (authorization code with PKCE S256, state and nonce)."""
    settings = _settings(request)
    if not oidc.configured(settings):
        raise HTTPException(status_code=404, detail="single sign-on is not configured")
    try:
        require_same_site_form(request, csrf_token)
    except HTTPException as error:
        return _login_page(request, error.status_code, str(error.detail))
    state, nonce, code_verifier = (secrets.token_urlsafe(32) for _ in range(3))
    try:
        url = oidc.authorization_url(settings, _redirect_url(request), state, nonce, code_verifier)
    except oidc.ProviderError as error:
        log.error("single sign-on unavailable: %s", error)
        return _login_page(request, 502, f"Single sign-on is unavailable: {error}")
    with _engine(request).begin() as conn:
        begin_oidc_login(conn, state, nonce, code_verifier, OIDC_LOGIN_LIFETIME)
    response = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the provider's redirect back is a cross-site navigation, and the cookie must come with it.
    response.set_cookie(OIDC_STATE_COOKIE, state, max_age=int(OIDC_LOGIN_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path=OIDC_CALLBACK_PATH)
    return response


def _redirect_url(request: Request) -> str:
    return _settings(request).oidc_redirect_url or str(request.url_for("oidc_callback"))


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    """The provider's answer: the state must be this browser's, the code is exchanged with the PKCE verifier and
    the ID token's signature (provider's JWKS), iss, aud, exp and nonce are checked before a session starts."""
    settings = _settings(request)
    if not oidc.configured(settings):
        raise HTTPException(status_code=404, detail="single sign-on is not configured")
    address = _client_address(request)
    if error:
        log.warning("single sign-on failed at the provider: error=%r address=%s", error[:100], address)
        return _login_page(request, 401, f"Single sign-on was not completed ({error[:100]}).")
    cookie_state = request.cookies.get(OIDC_STATE_COOKIE, "")
    if not state or not secrets.compare_digest(cookie_state.encode(), state[:100].encode()):
        log.warning("single sign-on refused, state not this browser's: address=%s", address)
        return _login_page(request, 403, "Single sign-on refused: this answer belongs to another browser or "
                           "expired; start again.")
    with _engine(request).begin() as conn:
        pending = take_oidc_login(conn, state)
    if pending is None:
        return _login_page(request, 403, "Single sign-on refused: the sign-in expired or was used; start again.")
    nonce, code_verifier = pending
    try:
        claims = oidc.exchange_code(settings, _redirect_url(request), code, code_verifier, nonce)
    except oidc.ProviderError as exchange_error:
        log.warning("single sign-on failed: %s address=%s", exchange_error, address)
        return _login_page(request, 401, f"Single sign-on failed: {exchange_error}")
    user_name = oidc.user_name(settings, claims)
    with _engine(request).connect() as conn:
        local = sso_account(conn, user_name)
    account = oidc.account_from_claims(settings, user_name, claims, local)
    if account is None or not account.roles & set(STAFF_ROLES):
        log.warning("single sign-on refused, no staff role or account disabled: user=%r address=%s", user_name, address)
        return _login_page(request, 403, "Signed in at the provider, but no finance, auditor or operator role is "
                           "mapped to this user (or the account is disabled).")
    response = _continue_page(_signed_in(request, account, "oidc"))
    response.delete_cookie(OIDC_STATE_COOKIE, path=OIDC_CALLBACK_PATH)
    return response


def _continue_page(redirect: Response) -> HTMLResponse:
    """A page of this site that moves on to the landing page, instead of a redirect.

    The provider's redirect back to the callback is a cross-site navigation, and a browser withholds SameSite=Strict
    cookies for the whole redirect chain that follows it, so a 303 to /finance/ would arrive without the new session
    cookie. Leaving this page (meta refresh, or the link) is a navigation started by this site, which carries it."""
    landing = escape(redirect.headers["location"])
    page = HTMLResponse(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed in</title>'
                        f'<meta http-equiv="refresh" content="0;url={landing}"></head>'
                        f'<body><p>Signed in. <a href="{landing}">Continue</a></p></body></html>')
    for value in redirect.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", value)
    return page
