"""The finance pages, in-process: login by token, cycles awaiting approval, settlement, chart, decisions, invoices."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, text

from api.auth import SESSION_COOKIE, mint_token
from invoicing import issue_invoices
from tests.integration.invoicing.conftest import (
    AppUnderTest,
    SeededCycle,
    asgi_client,
    record_delta_settlement,
    sign_in,
)

BALANCE = {"generation_wh": 900_000_000, "grid_import_wh": 100_000_000, "export_wh": 50_000_000,
           "tenant_consumption_wh": 800_000_000, "shared_consumption_wh": 40_000_000, "losses_wh": 110_000_000}


def _awaiting(engine: Engine, cycle: SeededCycle) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE billing_cycle SET status = 'awaiting_approval' WHERE cycle_id = :c"),
                     {"c": cycle.cycle_id})
        conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:c, 'settle', "
                          "CAST(:r AS jsonb))"), {"c": cycle.cycle_id, "r": json.dumps({"energy_balance_wh": BALANCE})})


async def test_anonymous_visitors_are_sent_to_login_and_tenants_are_refused(app_under_test: AppUnderTest) -> None:
    """No credential: 303 to /finance/login. A tenant signs in to its portal (/tenant/), and the finance pages
    refuse its session."""
    async with asgi_client(app_under_test) as client:
        response = await client.get("/finance/")
        assert (response.status_code, response.headers["location"]) == (303, "/finance/login")
        tenant = mint_token(app_under_test.settings, "t", ["tenant"], "t1", timedelta(minutes=5), ["c1"])
        signed_in = await sign_in(client, tenant)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/tenant/")
        assert (await client.get("/finance/")).status_code == 403
        assert (await client.get("/tenant/")).status_code == 200


async def test_finance_sees_the_awaiting_cycle_with_lines_chart_and_decision_forms(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """After login the cycle is listed; its page shows both tenants' totals, the SVG and the approve form."""
    _awaiting(engine, seeded_cycle)
    token = mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5))
    async with asgi_client(app_under_test) as client:
        login = await sign_in(client, token)
        assert (login.status_code, login.headers["location"]) == (303, "/finance/")
        listing = await client.get("/finance/")
        assert seeded_cycle.cycle_id in listing.text.split("Recent cycles")[0]
        page = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}")).text
    assert "<svg" in page and 'data-key="losses_wh"' in page
    # Totals: 152,762.50 USD and 15,000.00 USD (15,000.004985 rounded half-even to cents).
    assert "152,762.50" in page and "15,000.00" in page and "167,762.50" in page
    assert f'data-action="/cycles/{seeded_cycle.cycle_id.replace(":", "%3A")}/approve"' in page
    assert 'data-approver="fiona"' in page


async def test_an_auditor_sees_the_cycle_but_no_decision_forms(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """Read-only roles get the same page without approve/reject."""
    _awaiting(engine, seeded_cycle)
    token = mint_token(app_under_test.settings, "audra", ["auditor"], None, timedelta(minutes=5))
    async with asgi_client(app_under_test) as client:
        client.cookies.set(SESSION_COOKIE, token)
        page = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}")).text
    assert "<svg" in page and "Line items" in page
    assert "data-action=" not in page


async def test_the_invoice_page_links_each_pdf(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle, issuer: str
) -> None:
    """Issued invoices are listed with a PDF link that downloads with the same session."""
    with engine.begin() as conn:
        issued = issue_invoices(conn, seeded_cycle.cycle_id, issuer, app_under_test.settings.signing_key_path,
                                app_under_test.documents_root)
    token = mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5))
    async with asgi_client(app_under_test) as client:
        client.cookies.set(SESSION_COOKIE, token)
        page = (await client.get("/finance/invoices")).text
        for invoice in issued:
            assert f'href="/invoices/{invoice.invoice_id}.pdf"' in page
        pdf = await client.get(f"/invoices/{issued[0].invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_a_draft_invoice_is_an_unnumbered_unsigned_preview(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """The cycle page links each tenant's draft PDF; it says DRAFT, carries no signature and stores no invoice."""
    _awaiting(engine, seeded_cycle)
    token = mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5))
    tenant_id = seeded_cycle.tenant_ids[0]
    async with asgi_client(app_under_test) as client:
        client.cookies.set(SESSION_COOKIE, token)
        page = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}")).text
        assert f"/drafts/{tenant_id}.pdf" in page
        draft = await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}/drafts/{tenant_id}.pdf")
    assert draft.status_code == 200 and draft.content.startswith(b"%PDF-")
    assert b"%WATTLEDGER-SIG" not in draft.content
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM invoice WHERE cycle_id = :c"),
                              {"c": seeded_cycle.cycle_id}).scalar()
    assert stored == 0


async def test_login_with_an_api_key_keeps_only_a_session_token_in_the_cookie(
    engine: Engine, app_under_test: AppUnderTest
) -> None:
    """The cookie set at login is a fresh signed session for the key's subject, not the API key itself."""
    from api.auth import create_api_key

    with engine.begin() as conn:
        api_key = create_api_key(conn, "finance-desk", ["finance"], None)
    async with asgi_client(app_under_test) as client:
        login = await sign_in(client, api_key)
        assert login.status_code == 303
        session = login.cookies[SESSION_COOKIE]
        assert session != api_key and not session.startswith("wlk_")
        page = await client.get("/finance/")
    assert page.status_code == 200 and "finance-desk" in page.text


class _OneApproval:
    """A Temporal client whose workflow reports one approval by 'fiona' (the status query's answer)."""

    def get_workflow_handle_for(self, *args: object, **kwargs: object) -> _OneApproval:
        return self

    async def query(self, *args: object, **kwargs: object) -> object:
        from workflows.billing_cycle_types import CycleStatus

        return CycleStatus(cycle_id="x", phase="awaiting_approval", approvals=["fiona"])


async def test_four_eyes_shows_the_first_approval_and_asks_someone_else(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """Above the threshold the page says two approvers are needed; the first approver gets no second vote."""
    _awaiting(engine, seeded_cycle)
    app = app_under_test.app
    settings = app.state.settings
    app.state.temporal_client, app.state.settings = _OneApproval(), settings.model_copy(
        update={"four_eyes_threshold_usd_micros": 1_000_000})
    try:
        pages = {}
        for subject in ("fiona", "frank"):
            token = mint_token(settings, subject, ["finance"], None, timedelta(minutes=5))
            async with asgi_client(app_under_test) as client:
                client.cookies.set(SESSION_COOKIE, token)
                pages[subject] = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}")).text
    finally:
        app.state.temporal_client, app.state.settings = None, settings
    assert "two different finance users must approve" in pages["fiona"]
    assert "Approved so far by: fiona" in pages["frank"]
    assert "data-action=" not in pages["fiona"]
    assert 'data-approver="frank"' in pages["frank"]


async def test_the_page_bills_what_the_invoices_will_bill_including_delta_revisions(
    engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle
) -> None:
    """A revision-1 delta of -3,000 USD for tenant 1 shows as its own line and lowers the total to 164,762.50."""
    _awaiting(engine, seeded_cycle)
    with engine.begin() as conn:
        record_delta_settlement(conn, seeded_cycle.cycle_id, seeded_cycle.tenant_ids[1], -3_000_000_000)
    token = mint_token(app_under_test.settings, "fiona", ["finance"], None, timedelta(minutes=5))
    async with asgi_client(app_under_test) as client:
        client.cookies.set(SESSION_COOKIE, token)
        page = (await client.get(f"/finance/cycles/{seeded_cycle.cycle_id}")).text
    assert "(revision 1 adjustment)" in page and "-3,000.00" in page
    assert "164,762.50" in page
