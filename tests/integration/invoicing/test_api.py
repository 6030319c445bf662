"""The invoice API and the credentials behind it: tenant isolation, signed PDF download, keys and tokens."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from api.auth import SESSION_COOKIE, create_api_key, mint_token, revoke_api_key
from common.errors import BadInput
from invoicing import issue_invoices, load_public_key, verify_signed_pdf
from tests.integration.invoicing.conftest import AppUnderTest, SeededCycle, asgi_client, bearer


@pytest.fixture
def issued(engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle, issuer: str) -> list:
    with engine.begin() as conn:
        return issue_invoices(conn, seeded_cycle.cycle_id, issuer, app_under_test.settings.signing_key_path,
                              app_under_test.documents_root)


def _token(app_under_test: AppUnderTest, role: str, tenant_id: str | None = None, campus_id: str | None = None) -> str:
    campus_ids = [campus_id] if campus_id is not None else []
    return mint_token(app_under_test.settings, f"{role}-user", [role], tenant_id, timedelta(minutes=10), campus_ids)


async def test_a_tenant_reads_only_its_own_invoices(
    app_under_test: AppUnderTest, seeded_cycle: SeededCycle, issued: list
) -> None:
    """Tenant 0 lists and downloads its invoice; tenant 1's list is 403 and its invoice 404 (not even named)."""
    own, other = issued
    client = asgi_client(app_under_test)
    headers = bearer(_token(app_under_test, "tenant", own.tenant_id, seeded_cycle.campus_id))
    listed = await client.get(f"/tenants/{own.tenant_id}/invoices", headers=headers)
    assert listed.status_code == 200
    assert [item["invoice_id"] for item in listed.json()] == [own.invoice_id]
    own_detail = (await client.get(f"/invoices/{own.invoice_id}", headers=headers)).json()
    assert own_detail["document"]["tenant_id"] == own.tenant_id
    assert (await client.get(f"/tenants/{other.tenant_id}/invoices", headers=headers)).status_code == 403
    assert (await client.get(f"/invoices/{other.invoice_id}", headers=headers)).status_code == 404
    assert (await client.get(f"/invoices/{other.invoice_id}.pdf", headers=headers)).status_code == 404


async def test_the_downloaded_pdf_is_the_signed_document(app_under_test: AppUnderTest, issued: list) -> None:
    """Finance downloads a PDF whose embedded signature verifies with the issuing key."""
    client = asgi_client(app_under_test)
    finance = bearer(_token(app_under_test, "finance"))
    response = await client.get(f"/invoices/{issued[1].invoice_id}.pdf", headers=finance)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    verify_signed_pdf(response.content, load_public_key(app_under_test.settings.signing_key_path), "download")


async def test_finance_issues_a_credit_note_and_the_invoice_shows_it(
    app_under_test: AppUnderTest, issued: list
) -> None:
    """POST credit-notes returns 201; the invoice detail lists the note; an auditor may not issue one."""
    client = asgi_client(app_under_test)
    body = {"amount_usd_cents": 1_234, "reason": "metering correction", "idempotency_key": issued[0].invoice_id}
    url = f"/invoices/{issued[0].invoice_id}/credit-notes"
    assert (await client.post(url, json=body, headers=bearer(_token(app_under_test, "auditor")))).status_code == 403
    created = await client.post(url, json=body, headers=bearer(_token(app_under_test, "finance")))
    assert created.status_code == 201
    auditor = bearer(_token(app_under_test, "auditor"))
    detail = (await client.get(f"/invoices/{issued[0].invoice_id}", headers=auditor)).json()
    assert [note["amount_usd_cents"] for note in detail["credit_notes"]] == [1_234]
    assert detail["total_usd_cents"] == issued[0].total_usd_cents


async def test_api_keys_work_until_revoked_and_wrong_secrets_fail(engine: Engine, app_under_test: AppUnderTest) -> None:
    """A stored key authenticates (Bearer and X-API-Key); a changed secret and a revoked key get 401."""
    with engine.begin() as conn:
        key = create_api_key(conn, "auditor-bot", ["auditor"], None)
    client = asgi_client(app_under_test)
    assert (await client.get("/invoices", headers=bearer(key))).status_code == 200
    assert (await client.get("/invoices", headers={"X-API-Key": key})).status_code == 200
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert (await client.get("/invoices", headers=bearer(forged))).status_code == 401
    with engine.begin() as conn:
        assert revoke_api_key(conn, key.split("_")[1])
    assert (await client.get("/invoices", headers=bearer(key))).status_code == 401


async def test_expired_foreign_and_malformed_tokens_are_refused(app_under_test: AppUnderTest) -> None:
    """An expired token, a token signed by another key and a non-bearer header all get 401."""
    client = asgi_client(app_under_test)
    expired = jwt.encode({"iss": "wattledger", "aud": "wattledger-api", "sub": "x", "roles": ["finance"],
                          "iat": 1, "exp": 2}, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    assert (await client.get("/invoices", headers=bearer(expired))).status_code == 401
    assert (await client.get("/invoices", headers={"Authorization": "Basic Zm9vOmJhcg=="})).status_code == 401
    assert (await client.get("/invoices")).status_code == 401


async def test_minting_refuses_unknown_roles_and_unbound_tenants(app_under_test: AppUnderTest) -> None:
    """Roles outside the five, a tenant role without a tenant id, and a tenant id without the role are BadInput."""
    for roles, tenant_id in ((["admin"], None), (["tenant"], None), (["finance"], "t1"), ([], None)):
        with pytest.raises(BadInput):
            mint_token(app_under_test.settings, "someone", roles, tenant_id, timedelta(minutes=5))


async def test_a_cookie_session_needs_the_page_header_for_posts(app_under_test: AppUnderTest, issued: list) -> None:
    """With only the session cookie, GET works, but a POST without X-WattLedger-Page is refused (CSRF guard)."""
    client = asgi_client(app_under_test)
    client.cookies.set(SESSION_COOKIE, _token(app_under_test, "finance"))
    assert (await client.get("/invoices")).status_code == 200
    body = {"amount_usd_cents": 1, "reason": "x", "idempotency_key": f"csrf-{issued[0].invoice_id}"}
    url = f"/invoices/{issued[0].invoice_id}/credit-notes"
    assert (await client.post(url, json=body)).status_code == 403
    assert (await client.post(url, json=body, headers={"X-WattLedger-Page": "1"})).status_code == 201


async def test_credit_note_pdfs_follow_the_same_tenant_isolation(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle, issued: list
) -> None:
    """Tenant 0 downloads its signed credit note; tenant 1 gets 404 for it."""
    from invoicing.corrections import issue_credit_note

    own, other = issued
    with engine.begin() as conn:
        note = issue_credit_note(conn, own.invoice_id, 100, "goodwill", f"cn-pdf-{own.invoice_id}",
                                 app_under_test.settings.signing_key_path, app_under_test.documents_root)
    client = asgi_client(app_under_test)
    mine = await client.get(f"/credit-notes/{note.credit_note_id}.pdf",
                            headers=bearer(_token(app_under_test, "tenant", own.tenant_id, seeded_cycle.campus_id)))
    assert mine.status_code == 200
    verify_signed_pdf(mine.content, load_public_key(app_under_test.settings.signing_key_path), "credit note")
    theirs = await client.get(f"/credit-notes/{note.credit_note_id}.pdf",
                              headers=bearer(_token(app_under_test, "tenant", other.tenant_id, seeded_cycle.campus_id)))
    assert theirs.status_code == 404
