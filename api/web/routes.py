"""Finance pages under `/finance`: the shared page plumbing (templates, page sign-in check, static files, the
cross-site guard of sign-in and sign-out forms). Sign-in and sign-out are in `api.web.signin`; the cycle list, the
decision page and the invoice list are in `api.web.finance`.

Sign-in and sign-out are plain HTML forms, so they carry their own guard against cross-site requests (a forged
sign-out, or a "login CSRF" that signs the victim in as the attacker): every page sets a random token in the
`wattledger_csrf` cookie (HttpOnly, SameSite=Strict, path /finance) and writes the same token into its forms;
`POST /finance/login` and `/finance/logout` are refused (403) unless the form's token equals the cookie's, and
unless the browser's `Sec-Fetch-Site` (when sent) is same-origin or none and its `Origin` (when sent) is this
host. Another site can neither read the token nor make the browser send the cookie with its request.
"""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.principal import Principal
from api.web.charts import mwh_text
from invoicing import format_usd_cents, quantity_text, usd_cents_from_micros

router = APIRouter(prefix="/finance", tags=["finance pages"], include_in_schema=False)

WEB_ROOT = Path(__file__).resolve().parent
STATIC_FILES = {"finance.css": "text/css", "finance.js": "text/javascript"}
LOGIN_PATH = "/finance/login"
CSRF_COOKIE = "wattledger_csrf"
CSRF_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})  # none: typed, bookmarked; same-site would admit subdomains

templates = Environment(loader=FileSystemLoader(WEB_ROOT / "templates"), autoescape=select_autoescape(["html"]))
# Pages show cents rounded half-even from exact micro-USD, the same rule as the invoices.
templates.filters["usd_micros"] = lambda micros: format_usd_cents(usd_cents_from_micros(micros, "ROUND_HALF_EVEN"))
templates.filters["usd_cents"] = format_usd_cents
templates.filters["mwh"] = mwh_text
templates.filters["quantity"] = quantity_text


def signed_in(request: Request) -> Principal:
    """Whoever is signed in; an anonymous visitor is sent to the login page (303) instead of a 401."""
    try:
        principal: Principal = request.app.state.authenticate(request)
    except HTTPException as error:
        if error.status_code == 401:
            raise HTTPException(status_code=303, headers={"Location": LOGIN_PATH}) from error
        raise
    return principal


def page_principal(request: Request) -> Principal:
    """The signed-in staff member; anonymous visitors are sent to the login page, tenants refused."""
    principal = signed_in(request)
    principal.require("finance", "auditor", "operator")
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]


def render(name: str, request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    """The page, with this browser's sign-in/out form token in its forms and in the token cookie."""
    token = _form_token(request)
    response = HTMLResponse(templates.get_template(name).render(csrf_token=token, **context), status_code=status_code)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/finance")
    return response


def _form_token(request: Request) -> str:
    """The browser's current form token (kept across pages, so two open tabs both work), else a new one."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if CSRF_TOKEN_PATTERN.match(current) else secrets.token_urlsafe(32)


def require_same_site_form(request: Request, form_token: str) -> None:
    """Refuse (403) a sign-in or sign-out that another site made the browser send (see the module docstring)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCHES:
        raise HTTPException(status_code=403, detail=f"refused: a {fetch_site} request (Sec-Fetch-Site)")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(status_code=403, detail=f"refused: a request from another origin ({origin[:100]})")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not CSRF_TOKEN_PATTERN.match(cookie) or not hmac.compare_digest(cookie.encode(), form_token.encode()):
        raise HTTPException(status_code=403, detail="refused: the form's token does not match this browser's "
                            "(the form expired or came from another site); reload the page and try again")


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(status_code=404, detail="no such file")
    return Response((WEB_ROOT / "static" / name).read_bytes(), media_type=STATIC_FILES[name])
