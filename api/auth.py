"""Authentication and role checks: API keys (stored hashed) and EdDSA JWT bearer tokens.

Credentials, in the order they are looked at:
1. `Authorization: Bearer <token>` where the token is an API key (`wlk_<key id>_<secret>`) or a JWT;
2. `X-API-Key: <api key>`;
3. the `wattledger_session` cookie: a sign-in session key (`wls_...`, looked up in `web_session`, see
   `api.web.signin`) set by the finance sign-in page, or a JWT. A cookie is sent by the browser
   on its own, so an unsafe method (POST, ...) authenticated by the cookie must also carry the header
   `X-WattLedger-Page: 1`, which a cross-site form cannot set (CSRF guard).

API keys: only the sha256 of the secret part is stored (table `api_key`); the secret has 256 random bits,
so a plain hash is enough (no password stretching needed). JWTs: EdDSA (Ed25519), issuer `wattledger`,
audience `wattledger-api`, claims `sub`, `roles`, optional `tenant_id` and `campus_ids`, `iat`, `exp`, signed with the local
key `<home>/keys/api-token-ed25519.pem`, created on first mint.

Roles: operator, finance, auditor, tenant (bound to one tenant id and the campuses billing it), ingest
(see docs/roles.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection, Engine, text

from accounts import SESSION_PREFIX, session_holder
from api.deps import get_principal
from api.principal import ROLES, Principal
from common.errors import BadInput
from invoicing import generate_signing_key, load_signing_key
from settings import Settings

TOKEN_ISSUER = "wattledger"
TOKEN_AUDIENCE = "wattledger-api"
TOKEN_ALGORITHM = "EdDSA"
SESSION_COOKIE = "wattledger_session"
PAGE_HEADER = "X-WattLedger-Page"
API_KEY_PREFIX = "wlk_"
API_KEY_PATTERN = re.compile(r"^wlk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
TENANT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Long-lived tokens are what API keys are for; a bearer token lives at most this long.
TOKEN_LIFETIME_MAX = timedelta(days=30)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_key_path(settings: Settings) -> Path:
    return settings.home_abs / "keys" / "api-token-ed25519.pem"


def _token_signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = token_key_path(settings)
    if not path.is_file():
        try:
            return generate_signing_key(path)
        except FileExistsError:
            pass  # another process created it between the check and the create: use theirs
    return load_signing_key(path)


def checked_principal(subject: str, roles: Iterable[str], tenant_id: str | None,
                      campus_ids: Iterable[str] = ()) -> Principal:
    """A Principal whose roles are known and whose tenant binding (tenant id and campuses) is consistent,
    else `BadInput`."""
    role_set = frozenset(roles)
    campus_set = frozenset(campus_ids)
    if not subject or len(subject) > 200:
        raise BadInput("credentials", None, "subject", "must be 1 to 200 characters")
    if not role_set or not role_set <= ROLES:
        reason = f"{sorted(role_set)} must be a non-empty subset of {sorted(ROLES)}"
        raise BadInput("credentials", None, "roles", reason)
    if ("tenant" in role_set) != (tenant_id is not None):
        raise BadInput("credentials", None, "tenant_id", "is required with the tenant role and only with it")
    if tenant_id is not None and not TENANT_ID_PATTERN.match(tenant_id):
        raise BadInput("credentials", None, "tenant_id", f"{tenant_id!r} is not a tenant id")
    if ("tenant" in role_set) != bool(campus_set):
        raise BadInput("credentials", None, "campus_ids", "at least one campus is required with the tenant role "
                       "and only with it")
    for campus_id in sorted(campus_set):
        if not TENANT_ID_PATTERN.match(campus_id):  # campus ids follow the same pattern as tenant ids
            raise BadInput("credentials", None, "campus_ids", f"{campus_id!r} is not a campus id")
    return Principal(subject=subject, roles=role_set, tenant_id=tenant_id, campus_ids=campus_set)


def mint_token(settings: Settings, subject: str, roles: Iterable[str], tenant_id: str | None,
               lifetime: timedelta, campus_ids: Iterable[str] = ()) -> str:
    """A signed bearer token for `subject`; creates the local token key on first use."""
    principal = checked_principal(subject, roles, tenant_id, campus_ids)
    if not timedelta(0) < lifetime <= TOKEN_LIFETIME_MAX:
        raise BadInput("mint_token", None, "lifetime", f"must be positive and at most {TOKEN_LIFETIME_MAX}")
    now_utc = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "sub": principal.subject, "roles": sorted(principal.roles),
        "iat": int(now_utc.timestamp()), "exp": int((now_utc + lifetime).timestamp()),
    }
    if principal.tenant_id is not None:
        claims["tenant_id"] = principal.tenant_id
        claims["campus_ids"] = sorted(principal.campus_ids)
    return jwt.encode(claims, _token_signing_key(settings), algorithm=TOKEN_ALGORITHM)


def principal_from_token(token: str, public_key: Ed25519PublicKey) -> Principal | None:
    """The token's Principal, or None when the token is invalid, expired or not ours."""
    try:
        claims = jwt.decode(token, public_key, algorithms=[TOKEN_ALGORITHM], audience=TOKEN_AUDIENCE,
                            issuer=TOKEN_ISSUER, options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        return checked_principal(claims["sub"], claims.get("roles") or [], claims.get("tenant_id"),
                                 claims.get("campus_ids") or [])
    except (jwt.InvalidTokenError, BadInput, TypeError):
        return None


def create_api_key(conn: Connection, subject: str, roles: Iterable[str], tenant_id: str | None,
                   campus_ids: Iterable[str] = ()) -> str:
    """Store a new API key (hashed) and return its plain text; it is shown once and never stored."""
    principal = checked_principal(subject, roles, tenant_id, campus_ids)
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO api_key (key_id, secret_sha256_hex, subject, roles, tenant_id, campus_ids) "
             "VALUES (:id, :hash, :subject, :roles, :tenant, :campuses)"),
        {"id": key_id, "hash": hashlib.sha256(secret.encode()).hexdigest(), "subject": principal.subject,
         "roles": sorted(principal.roles), "tenant": principal.tenant_id, "campuses": sorted(principal.campus_ids)},
    )
    return f"{API_KEY_PREFIX}{key_id}_{secret}"


def revoke_api_key(conn: Connection, key_id: str) -> bool:
    result = conn.execute(text("UPDATE api_key SET revoked_at_utc = now() WHERE key_id = :id "
                               "AND revoked_at_utc IS NULL"), {"id": key_id})
    return result.rowcount == 1


def principal_from_api_key(conn: Connection, api_key: str) -> Principal | None:
    match = API_KEY_PATTERN.match(api_key)
    if match is None:
        return None
    row = conn.execute(
        text("SELECT secret_sha256_hex, subject, roles, tenant_id, campus_ids FROM api_key "
             "WHERE key_id = :id AND revoked_at_utc IS NULL"), {"id": match.group(1)},
    ).one_or_none()
    presented = hashlib.sha256(match.group(2).encode()).hexdigest()
    if row is None or not hmac.compare_digest(row[0], presented):
        return None
    # A tenant key made before campus binding has no campuses and so sees no tenant documents.
    return Principal(subject=row[1], roles=frozenset(row[2]), tenant_id=row[3], campus_ids=frozenset(row[4]))


def _unauthenticated(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def _presented_credential(request: Request) -> tuple[str, str] | None:
    """(source, credential) from the header, the API-key header or the session cookie, in that order."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise _unauthenticated("Authorization must be 'Bearer <token or API key>'")
        return "header", credential.strip()
    api_key = request.headers.get("x-api-key")
    if api_key:
        return "header", api_key.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return "cookie", cookie
    return None


class Authenticator:
    """Turns a request into a Principal or raises 401 (`api.app.create_app` keeps one per app)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._public_key: Ed25519PublicKey | None = None

    def _token_public_key(self) -> Ed25519PublicKey | None:
        # Loaded on first use, so a key minted after start-up (first `mint-token`) is still found.
        if self._public_key is None and token_key_path(self.settings).is_file():
            self._public_key = load_signing_key(token_key_path(self.settings)).public_key()
        return self._public_key

    def __call__(self, request: Request) -> Principal:
        presented = _presented_credential(request)
        if presented is None:
            raise _unauthenticated("credentials required: a bearer token or an API key")
        source, credential = presented
        if source == "cookie" and request.method not in SAFE_METHODS and request.headers.get(PAGE_HEADER) != "1":
            raise HTTPException(status_code=403, detail=f"cookie-authenticated {request.method} needs {PAGE_HEADER}: 1")
        if source == "cookie" and credential.startswith(SESSION_PREFIX):
            principal = self._session_principal(credential)
        else:
            principal = self._principal(credential)
        if principal is None:
            raise _unauthenticated("invalid, expired or revoked credentials")
        return principal

    def _session_principal(self, session_key: str) -> Principal | None:
        """The holder of a live sign-in session (`api.web.signin`); None once it expired or was signed out."""
        with self.engine.connect() as conn:
            account = session_holder(conn, session_key)
        if account is None:
            return None
        return Principal(subject=account.user_name, roles=account.roles, tenant_id=account.tenant_id,
                         campus_ids=account.campus_ids)

    def _principal(self, credential: str) -> Principal | None:
        if credential.startswith(API_KEY_PREFIX):
            with self.engine.connect() as conn:
                return principal_from_api_key(conn, credential)
        public_key = self._token_public_key()
        return None if public_key is None else principal_from_token(credential, public_key)


def authenticator(settings: Settings, engine: Engine) -> Callable[[Request], Principal]:
    return Authenticator(settings, engine)


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A FastAPI dependency: the authenticated Principal if it holds one of `roles`, else 401/403."""
    assert roles and set(roles) <= ROLES, f"unknown role in {roles}"

    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(*roles)
        return principal

    return dependency


def require_tenant_access(principal: Principal, campus_id: str, tenant_id: str) -> None:
    """Tenants see only their own tenant on the campuses they are bound to; operator, finance and auditor see
    every tenant."""
    if principal.may_read_tenant(campus_id, tenant_id):
        return
    raise HTTPException(status_code=403, detail="this principal may not read that tenant's documents")
