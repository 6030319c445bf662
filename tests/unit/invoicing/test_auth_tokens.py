"""Bearer tokens: a minted token round-trips to its Principal; anything not ours, or inconsistent, is refused."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import jwt

from api.auth import mint_token, principal_from_token, token_key_path
from invoicing.signing import load_signing_key
from settings import Settings


def _claims(**overrides: object) -> dict[str, object]:
    now_s = int(time.time())
    claims: dict[str, object] = {"iss": "wattledger", "aud": "wattledger-api", "sub": "x", "roles": ["auditor"],
                                 "iat": now_s, "exp": now_s + 60}
    claims.update(overrides)
    return claims


def test_a_minted_tenant_token_carries_subject_roles_and_tenant(tmp_path: Path) -> None:
    """mint_token creates the key on first use; decoding gives back exactly what was minted."""
    settings = Settings(home=tmp_path)
    token = mint_token(settings, "acme-portal", ["tenant"], "acme-ai", timedelta(minutes=5), ["north", "south"])
    public_key = load_signing_key(token_key_path(settings)).public_key()
    principal = principal_from_token(token, public_key)
    assert principal is not None
    assert (principal.subject, principal.roles, principal.tenant_id) == ("acme-portal", {"tenant"}, "acme-ai")
    assert principal.campus_ids == {"north", "south"}
    assert principal.may_read_tenant("north", "acme-ai") and not principal.may_read_tenant("west", "acme-ai")
    assert not principal.may_read_tenant("north", "other-tenant")


def test_wrong_audience_issuer_roles_or_tenant_binding_are_refused(tmp_path: Path) -> None:
    """Each broken claim alone makes the token worthless: audience, issuer, unknown role, unbound tenant."""
    settings = Settings(home=tmp_path)
    mint_token(settings, "seed", ["auditor"], None, timedelta(minutes=1))  # creates the key
    key = load_signing_key(token_key_path(settings))
    good = jwt.encode(_claims(), key, algorithm="EdDSA")
    assert principal_from_token(good, key.public_key()) is not None
    for broken in (_claims(aud="other"), _claims(iss="other"), _claims(roles=["admin"]), _claims(roles=["tenant"]),
                   _claims(roles=["auditor"], tenant_id="acme-ai"), _claims(roles="auditor")):
        assert principal_from_token(jwt.encode(broken, key, algorithm="EdDSA"), key.public_key()) is None


def test_an_hs256_token_is_refused_even_when_keyed_with_public_bytes(tmp_path: Path) -> None:
    """Algorithm confusion: only EdDSA is accepted, whatever the header says."""
    settings = Settings(home=tmp_path)
    mint_token(settings, "seed", ["auditor"], None, timedelta(minutes=1))
    key = load_signing_key(token_key_path(settings))
    forged = jwt.encode(_claims(roles=["finance"]), "not-the-key-" * 4, algorithm="HS256")
    assert principal_from_token(forged, key.public_key()) is None
