"""OpenID Connect single sign-on, relying-party side: authorization code flow with PKCE (S256).

Settings (`Settings.oidc_*`, docs/roles.md): the issuer (its `/.well-known/openid-configuration` is read and its
`issuer` must equal the setting), the client id and, for a confidential client, its secret (sent as HTTP Basic),
the scopes, the claim naming the user and the claim whose values map to roles (`oidc_role_mapping`).

The URL and the PKCE challenge are built with Authlib; the ID token is verified with joserfc (Authlib's JOSE
library) against the provider's JWKS: signature, then `iss` = issuer, `aud` contains the client id (and `azp`, when
several audiences), `exp` in the future, `iat` present, `nonce` = the nonce this browser's sign-in sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accounts import Account, roles_from_claims
from settings import Settings

HTTP_TIMEOUT_S = 10.0
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]  # never "none" or HS*
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class ProviderError(Exception):
    """The identity provider could not be used or its answer was not accepted (the message says why)."""


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT_S)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderError(f"{url}: {error}") from error
    if not isinstance(body, dict):
        raise ProviderError(f"{url}: not a JSON object")
    return body


def provider_metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document, checked: same issuer, https unless the provider runs on this machine."""
    issuer = (settings.oidc_issuer or "").rstrip("/")
    metadata = _get_json(f"{issuer}/.well-known/openid-configuration")
    if metadata.get("issuer", "").rstrip("/") != issuer:
        raise ProviderError(f"discovery names issuer {metadata.get('issuer')!r}, expected {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = metadata.get(key)
        if not isinstance(url, str):
            raise ProviderError(f"discovery lacks {key}")
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
            raise ProviderError(f"{key} {url!r} must use https")
    return metadata


def authorization_url(settings: Settings, redirect_url: str, state: str, nonce: str, code_verifier: str) -> str:
    metadata = provider_metadata(settings)
    url: str = prepare_grant_uri(
        metadata["authorization_endpoint"], settings.oidc_client_id, "code", redirect_uri=redirect_url,
        scope=settings.oidc_scopes, state=state, nonce=nonce,
        code_challenge=create_s256_code_challenge(code_verifier), code_challenge_method="S256")
    return url


def exchange_code(settings: Settings, redirect_url: str, code: str, code_verifier: str, nonce: str) -> dict[str, Any]:
    """The verified ID token's claims for this authorization code."""
    if not code or len(code) > 2048:
        raise ProviderError("the provider's answer has no usable code")
    metadata = provider_metadata(settings)
    client_id = settings.oidc_client_id or ""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_url,
            "code_verifier": code_verifier, "client_id": client_id}
    auth = (client_id, settings.oidc_client_secret) if settings.oidc_client_secret else None
    try:
        response = httpx.post(metadata["token_endpoint"], data=form, auth=auth, timeout=HTTP_TIMEOUT_S)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderError(f"token endpoint: {error}") from error
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        reason = body.get("error") if isinstance(body, dict) else None
        raise ProviderError(f"token endpoint answered {response.status_code} ({reason or 'no ID token'})")
    return verified_id_token_claims(body["id_token"], _get_json(metadata["jwks_uri"]),
                                    (settings.oidc_issuer or "").rstrip("/"), client_id, nonce)


def verified_id_token_claims(id_token: str, jwks: Mapping[str, Any], issuer: str, client_id: str,
                             nonce: str) -> dict[str, Any]:
    """The claims of `id_token` if signed by a key of `jwks` and issued for this sign-in, else `ProviderError`."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(dict(jwks)), algorithms=ID_TOKEN_ALGORITHMS)  # type: ignore[arg-type]
        registry = jwt.JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
            exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
            nonce={"essential": True, "value": nonce})
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as error:
        raise ProviderError(f"ID token not accepted ({type(error).__name__}: {error})") from error
    claims = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise ProviderError("ID token not accepted: several audiences and azp is not this client")
    return claims


def user_name(settings: Settings, claims: Mapping[str, Any]) -> str:
    value = claims.get(settings.oidc_user_name_claim)
    return (value if isinstance(value, str) and value else str(claims["sub"])).lower()[:120]


def account_from_claims(settings: Settings, name: str, claims: Mapping[str, Any], local: Account | None) -> Account | None:
    """The session's holder: the roles mapped from the claims; a disabled local account of the same name refuses
    single sign-on (None). The tenant role needs the tenant and campus binding of a local account."""
    if local is not None and local.disabled:
        return None
    roles = set(roles_from_claims(claims, settings.oidc_roles_claim, settings.oidc_role_mapping))
    tenant_id, campus_ids = (local.tenant_id, local.campus_ids) if local is not None else (None, frozenset())
    if "tenant" in roles and tenant_id is None:
        roles.discard("tenant")
    if tenant_id is not None and "tenant" not in roles:
        tenant_id, campus_ids = None, frozenset()
    return Account(name, frozenset(roles), tenant_id, campus_ids, disabled=False) if roles else None
