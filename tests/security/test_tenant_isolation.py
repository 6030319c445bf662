"""Tenant isolation beyond the invoice routes: a tenant token reaches only its own tenant's documents on every
route that names a tenant, none of the staff surfaces (cycles, ledger, codec, contracts, market), and a token
whose tenant claim was forged or that has expired is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine, text

from api.auth import TOKEN_AUDIENCE, TOKEN_ISSUER
from tests.security.conftest import SecuredApp

STAFF_ONLY_GETS = ["/cycles", "/ledger/verify", "/ledger/entries", "/invoices", "/esg/factor-editions"]


def _seed_two_tenants(engine: Engine) -> tuple[str, str, str]:
    suffix = datetime.now(UTC).strftime("%H%M%S%f")
    campus = f"iso-{suffix}"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'C', 'UTC', 'ERCOT')"),
                     {"c": campus})
        for tenant in ("ta", "tb"):
            conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :t)"),
                         {"c": campus, "t": f"{tenant}-{suffix}"})
    return campus, f"ta-{suffix}", f"tb-{suffix}"


async def test_every_route_naming_a_tenant_refuses_another_tenant(secured: SecuredApp, engine: Engine) -> None:
    """For each GET route with {tenant_id}, tenant A asking for tenant B gets 403 or 404, never data."""
    campus, tenant_a, tenant_b = _seed_two_tenants(engine)
    paths = sorted({context.path for context in iter_route_contexts(secured.app.routes)
                    if "{tenant_id}" in context.path and "GET" in (context.methods or set())})
    assert paths, "no tenant routes found"
    headers = secured.bearer("tenant", tenant_a)
    spec = secured.app.openapi()  # type: ignore[attr-defined]
    for path in paths:
        url = path.format(tenant_id=tenant_b, cycle_key=f"cycle:{campus}:2026-01", cycle_id=f"cycle:{campus}:2026-01")
        response = await secured.http.get(url, headers=headers, params=_required_query(spec, path))
        assert response.status_code in (403, 404), f"{path}: {response.status_code} {response.text[:200]}"


def _required_query(spec: dict, path: str) -> dict[str, str]:
    """Plausible values for a route's required query parameters, so the answer is about access, not a 422."""
    values = {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "integer": "1"}
    params = {}
    for parameter in spec["paths"].get(path, {}).get("get", {}).get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            schema = parameter.get("schema", {})
            params[parameter["name"]] = values.get(schema.get("format") or schema.get("type"), "x")
    return params


async def test_tenant_tokens_reach_no_staff_surface(secured: SecuredApp, engine: Engine) -> None:
    """Cycles, ledger, invoice lists, ESG editions and the codec all answer a tenant with 403."""
    _, tenant_a, _ = _seed_two_tenants(engine)
    headers = secured.bearer("tenant", tenant_a)
    for path in STAFF_ONLY_GETS:
        assert (await secured.http.get(path, headers=headers)).status_code == 403, path
    codec = await secured.http.post("/codec/decode", json={"payloads": []}, headers=headers)
    assert codec.status_code == 403


async def test_forged_and_expired_tenant_tokens_are_refused(secured: SecuredApp, engine: Engine) -> None:
    """A token naming tenant B signed with another key, or our own token past its expiry: 401."""
    _, tenant_a, tenant_b = _seed_two_tenants(engine)
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "sub": "mallory", "roles": ["tenant"],
              "tenant_id": tenant_b, "iat": now, "exp": now + 600}
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    response = await secured.http.get(f"/tenants/{tenant_b}/invoices", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    from api.auth import _token_signing_key

    expired = jwt.encode({**claims, "tenant_id": tenant_a, "iat": now - 7200, "exp": now - 3600},
                         _token_signing_key(secured.settings), algorithm="EdDSA")
    response = await secured.http.get(f"/tenants/{tenant_a}/invoices", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    unsigned = jwt.encode(claims, key="", algorithm="none")
    response = await secured.http.get(f"/tenants/{tenant_b}/invoices", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


async def test_metrics_expose_no_tenant_or_invoice_data(secured: SecuredApp, engine: Engine) -> None:
    """/metrics is unauthenticated for Prometheus, so it carries counts only: no tenant ids, no amounts."""
    _, tenant_a, tenant_b = _seed_two_tenants(engine)
    body = (await secured.http.get("/metrics")).text
    assert "wattledger_cycles" in body and tenant_a not in body and tenant_b not in body


def _seed_one_tenant_on_two_campuses(engine: Engine) -> tuple[str, str, str, dict[str, str]]:
    """Tenant `acme-…` billed by campuses north and south, one final invoice on each: (north, south, tenant,
    {campus: invoice id})."""
    suffix = datetime.now(UTC).strftime("%H%M%S%f")
    north, south, tenant = f"north-{suffix}", f"south-{suffix}", f"acme-{suffix}"
    invoices: dict[str, str] = {}
    with engine.begin() as conn:
        for number, campus in enumerate((north, south), start=1):
            cycle_id = f"cycle:{campus}:2026-01"
            conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'C', 'UTC', 'ERCOT')"),
                         {"c": campus})
            conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, 'Acme')"),
                         {"c": campus, "t": tenant})
            conn.execute(text(
                "INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status, "
                "workflow_id, input_uri) VALUES (:id, :c, '2026-01', '2026-01-01T00:00Z', '2026-02-01T00:00Z', "
                "'invoiced', :id, 'file:///dev/null')"), {"id": cycle_id, "c": campus})
            invoice_id = f"xc{suffix}-{number:06d}"
            conn.execute(text(
                "INSERT INTO invoice (invoice_id, issuer, number, cycle_id, campus_id, tenant_id, status, "
                "total_usd_cents, document_json, document_sha256_hex) VALUES (:i, :issuer, :n, :cy, :c, :t, 'final', "
                "100, '{}', repeat('0', 64))"),
                {"i": invoice_id, "issuer": f"xc{suffix}", "n": number, "cy": cycle_id, "c": campus, "t": tenant})
            invoices[campus] = invoice_id
    return north, south, tenant, invoices


async def test_a_tenant_bound_to_one_campus_sees_nothing_of_its_namesake_on_another(
        secured: SecuredApp, engine: Engine) -> None:
    """A tenant id is unique only per campus: a token bound to (acme, north) lists only north's invoice, gets 404
    for south's invoice, 403 for south's emissions statement and 404 for the ledger statement (whose accounts
    span both campuses); bound to both campuses it lists both invoices and passes the statement checks."""
    north, south, tenant, invoices = _seed_one_tenant_on_two_campuses(engine)
    only_north = secured.bearer("tenant", tenant, campus_ids=(north,))
    listed = await secured.http.get(f"/tenants/{tenant}/invoices", headers=only_north)
    assert listed.status_code == 200
    assert [item["invoice_id"] for item in listed.json()] == [invoices[north]]
    assert (await secured.http.get(f"/invoices/{invoices[north]}", headers=only_north)).status_code == 200
    assert (await secured.http.get(f"/invoices/{invoices[south]}", headers=only_north)).status_code == 404
    assert (await secured.http.get(f"/invoices/{invoices[south]}.pdf", headers=only_north)).status_code == 404
    south_statement = f"/esg/cycles/cycle:{south}:2026-01/tenants/{tenant}/statement"
    assert (await secured.http.get(south_statement, headers=only_north)).status_code == 403
    window = {"from_utc": "2026-01-01T00:00:00Z", "to_utc": "2026-02-01T00:00:00Z"}
    ledger_statement = f"/ledger/statements/{tenant}"
    assert (await secured.http.get(ledger_statement, headers=only_north, params=window)).status_code == 404

    both = secured.bearer("tenant", tenant, campus_ids=(north, south))
    listed = await secured.http.get(f"/tenants/{tenant}/invoices", headers=both)
    assert sorted(item["invoice_id"] for item in listed.json()) == sorted(invoices.values())
    assert (await secured.http.get(f"/invoices/{invoices[south]}", headers=both)).status_code == 200
    # Past the access check: no statement was computed for this cycle, so 404 names the cycle, not the access.
    statement = await secured.http.get(south_statement, headers=both)
    assert statement.status_code == 404 and "emissions" in statement.text
    ledger_answer = await secured.http.get(ledger_statement, headers=both, params=window)
    assert "no such statement" not in ledger_answer.text, ledger_answer.text  # (this test app has no ledger yet)


async def test_a_tenant_token_without_a_campus_cannot_be_minted(secured: SecuredApp) -> None:
    """The tenant role needs at least one campus; a campus binding without the tenant role is refused too."""
    import pytest

    from api.auth import mint_token
    from common.errors import BadInput

    for roles, tenant_id, campus_ids in ((["tenant"], "acme", []), (["finance"], None, ["north"])):
        with pytest.raises(BadInput, match="campus_ids"):
            mint_token(secured.settings, "someone", roles, tenant_id, timedelta(minutes=5), campus_ids)
