"""ID-token verification of single sign-on, without a provider: signature from the JWKS, then iss, aud, exp, nonce."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from api.oidc import ProviderError, verified_id_token_claims

ISSUER = "https://idp.example"
CLIENT_ID = "wattledger"
NONCE = "n-0123456789"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
JWKS = KeySet([KEY]).as_dict(private=False)


def _token(key: Any = KEY, algorithm: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "u-1", "iat": now, "exp": now + 300, "nonce": NONCE,
              "preferred_username": "fiona", "groups": ["billing-finance"]}
    claims.update(changes)
    for name in [name for name, value in claims.items() if value is None]:
        del claims[name]
    return jwt.encode({"alg": algorithm, "kid": "k1"}, claims, key)


def test_a_token_signed_by_the_provider_for_this_sign_in_is_accepted() -> None:
    claims = verified_id_token_claims(_token(), JWKS, ISSUER, CLIENT_ID, NONCE)
    assert claims["sub"] == "u-1" and claims["groups"] == ["billing-finance"]
    several = _token(aud=[CLIENT_ID, "other"], azp=CLIENT_ID)
    assert verified_id_token_claims(several, JWKS, ISSUER, CLIENT_ID, NONCE)["azp"] == CLIENT_ID


@pytest.mark.parametrize("changes", [
    {"iss": "https://evil.example"},
    {"aud": "another-client"},
    {"aud": [CLIENT_ID, "other"]},  # several audiences and no azp
    {"exp": int(time.time()) - 3600},
    {"nonce": "replayed-from-another-sign-in"},
    {"nonce": None},
    {"iat": None},
])
def test_claims_not_issued_for_this_sign_in_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ProviderError, match="not accepted"):
        verified_id_token_claims(_token(**changes), JWKS, ISSUER, CLIENT_ID, NONCE)


def test_a_signature_by_another_key_or_a_shared_secret_is_refused() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    with pytest.raises(ProviderError):
        verified_id_token_claims(_token(key=other), JWKS, ISSUER, CLIENT_ID, NONCE)
    secret = OctKey.import_key("s" * 32)
    with pytest.raises(ProviderError):
        verified_id_token_claims(_token(key=secret, algorithm="HS256"), JWKS, ISSUER, CLIENT_ID, NONCE)
    header, payload, _ = _token().split(".")
    with pytest.raises(ProviderError):
        verified_id_token_claims(f"{header}.{payload}.", JWKS, ISSUER, CLIENT_ID, NONCE)


def test_single_sign_on_roles_come_from_the_mapping_and_the_tenant_role_needs_a_local_binding() -> None:
    from accounts import Account
    from api.oidc import account_from_claims
    from settings import Settings

    settings = Settings(oidc_role_mapping={"billing-finance": ["finance"], "portal": ["tenant"]})
    finance = account_from_claims(settings, "fiona", {"groups": ["billing-finance"]}, None)
    assert finance is not None and finance.roles == {"finance"} and finance.tenant_id is None
    assert account_from_claims(settings, "otto", {"groups": ["staff"]}, None) is None
    assert account_from_claims(settings, "tara", {"groups": ["portal"]}, None) is None  # no local binding
    local = Account("tara", frozenset({"tenant"}), "acme", frozenset({"north"}), disabled=False)
    tenant = account_from_claims(settings, "tara", {"groups": ["portal"]}, local)
    assert tenant is not None and (tenant.tenant_id, tenant.campus_ids) == ("acme", {"north"})
    disabled = Account("fiona", frozenset({"finance"}), None, frozenset(), disabled=True)
    assert account_from_claims(settings, "fiona", {"groups": ["billing-finance"]}, disabled) is None
