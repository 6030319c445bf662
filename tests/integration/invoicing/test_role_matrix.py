"""Every route the app exposes enforces its roles: the whole endpoint x role matrix, from one table.

Routes are read from the app itself (`iter_route_contexts(app.routes)`), so a route added anywhere without
a row in ACCESS below fails this test, and so does a row whose route is gone. For each route, an anonymous
call gets the row's `anonymous` status, each role outside the row's roles gets 403, and each role inside
gets past the check (no 401/403 and no server error). Tenants call with their own tenant and invoice.
The policy in words is docs/roles.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine
from temporalio.service import RPCError, RPCStatusCode

from api.auth import mint_token
from invoicing import issue_invoices
from invoicing.corrections import credit_note_id_of, issue_credit_note
from tests.integration.invoicing.conftest import AppUnderTest, SeededCycle

ROLES = ("operator", "finance", "auditor", "tenant", "ingest")
PUBLIC = frozenset(ROLES)
STAFF = frozenset({"operator", "finance", "auditor"})
READERS = STAFF | {"tenant"}
FINANCE = frozenset({"finance"})
TENANT = frozenset({"tenant"})  # the tenant portal, /tenant/...


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    anonymous: int = 401  # status of a call without credentials
    json: Any = None
    form: dict[str, str] | None = None
    location: str | None = None  # where an anonymous call is redirected, for pages
    params: dict[str, str] = field(default_factory=dict)  # path parameters beyond the common ones
    query: dict[str, str] = field(default_factory=dict)
    form_token: bool = False  # a sign-in/out form: load the login page first for its token (cross-site guard)


OPERATOR_BODY: dict[str, str] = {}  # the operator is the caller
PAGE = {"anonymous": 303, "location": "/finance/login"}
LOT = {"lot_id": "matrix-lot-{caller}", "instrument": "REC", "technology": "solar", "zone": "NYISO",
       "vintage_start_utc": "2026-01-01T00:00:00Z", "vintage_end_utc": "2026-02-01T00:00:00Z",
       "energy_wh": 1_000_000, "emission_rate_g_co2e_per_mwh": 0, "registry": "M-RETS {caller}",
       "serial_start": 1, "serial_end": 1, "location": "US-NY"}
CLAIM = {"claim_id": "matrix-claim-{caller}", "lot_id": "matrix-lot-{caller}", "campus_id": "{campus_id}",
         "beneficiary": "campus", "energy_wh": 1_000, "consumption_start_utc": "2026-01-01T00:00:00Z",
         "consumption_end_utc": "2026-02-01T00:00:00Z"}
# A zone no campus is in: a NYUP residual mix would be picked up by every NYUP campus tested after this one.
MARKET_RATE = {"rate_id": "matrix-residual", "kind": "residual_mix", "zone": "ROLE-MATRIX", "g_co2e_per_mwh": "250000",
               "source": "role matrix", "edition": "2026", "valid_from": "2026-01-01"}
OVERRIDE = {"override_id": "matrix-override-{caller}", "campus_id": "{campus_id}", "meter_id": "GT1",
            "kind": "stack_test", "parameter": "co2_kg_per_mmbtu", "value": "53.06", "valid_from": "2026-01-01",
            "reason": "role matrix"}

# The one table: (method, path) -> who may call it. `{...}` in bodies is filled per call (see `_call`).
ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/openapi.json"): Access(PUBLIC, anonymous=200),
    ("GET", "/docs"): Access(PUBLIC, anonymous=200),
    ("GET", "/docs/oauth2-redirect"): Access(PUBLIC, anonymous=200),
    ("GET", "/redoc"): Access(PUBLIC, anonymous=200),
    ("GET", "/metrics"): Access(PUBLIC, anonymous=200),
    ("POST", "/codec/encode"): Access(STAFF, json={"payloads": []}),
    ("POST", "/codec/decode"): Access(STAFF, json={"payloads": []}),
    ("POST", "/cycles"): Access(frozenset({"operator"}), json={"campus_id": "no-such-campus", "period": "2026-01"}),
    ("GET", "/cycles"): Access(STAFF),
    ("GET", "/cycles/{cycle_id}"): Access(STAFF),
    ("GET", "/cycles/{cycle_id}/steps/{step}"): Access(STAFF, params={"step": "settle"}),
    ("GET", "/cycles/{cycle_id}/shadow"): Access(STAFF),
    ("GET", "/cycles/{cycle_id}/shadow/report.pdf"): Access(STAFF),
    ("GET", "/cycles/{cycle_id}/review"): Access(STAFF),
    ("POST", "/cycles/{cycle_id}/overrides"): Access(FINANCE, json={"finding_code": "balance", "reason": "r"}),
    ("POST", "/cycles/{cycle_id}/approve"): Access(FINANCE, json={"approver": "{subject}", "comment": ""}),
    ("POST", "/cycles/{cycle_id}/reject"): Access(FINANCE, json={"approver": "{subject}", "reason": "r"}),
    ("POST", "/cycles/{cycle_id}/resettle"): Access(frozenset({"operator"}), json=OPERATOR_BODY),
    ("POST", "/cycles/{cycle_id}/retry"): Access(frozenset({"operator"}), json=OPERATOR_BODY),
    ("POST", "/cycles/{cycle_id}/cancel"): Access(frozenset({"operator"}), json=OPERATOR_BODY),
    ("POST", "/cycles/{cycle_id}/corrections"): Access(frozenset({"operator"}), json=OPERATOR_BODY),
    ("POST", "/corrections/{correction_id}/approve"): Access(
        FINANCE, json={"approver": "{subject}", "comment": ""}, params={"correction_id": "correction:none:r1"}),
    ("POST", "/corrections/{correction_id}/reject"): Access(
        FINANCE, json={"approver": "{subject}", "reason": "r"}, params={"correction_id": "correction:none:r1"}),
    ("GET", "/ledger/verify"): Access(STAFF),
    ("GET", "/ledger/entries"): Access(STAFF),
    ("GET", "/ledger/balances"): Access(STAFF),
    ("GET", "/ledger/checkpoints"): Access(STAFF),
    ("GET", "/ledger/proofs/inclusion/{seq}"): Access(STAFF, params={"seq": "1"}),
    ("GET", "/ledger/proofs/consistency"): Access(STAFF, query={"from_size": "1", "to_size": "1"}),
    ("GET", "/ledger/statements/{tenant_id}"): Access(
        READERS, query={"from_utc": "2026-01-01T00:00:00Z", "to_utc": "2026-02-01T00:00:00Z"}),
    ("GET", "/esg/factor-editions"): Access(STAFF),
    ("GET", "/esg/cycles/{cycle_key}/emissions"): Access(STAFF),
    ("GET", "/esg/cycles/{cycle_key}/versions"): Access(STAFF),
    ("GET", "/esg/cycles/{cycle_key}/tenants/{tenant_id}/statement"): Access(READERS),
    ("GET", "/esg/cycles/{cycle_key}/report.{extension}"): Access(STAFF, params={"extension": "html"}),
    ("GET", "/esg/cycles/{cycle_key}/exports/{kind}.{extension}"): Access(
        STAFF, params={"kind": "campus", "extension": "csv"}),
    ("POST", "/esg/certificates/lots"): Access(frozenset({"operator"}), json=LOT),
    ("POST", "/esg/certificates/claims"): Access(frozenset({"operator"}), json=CLAIM),
    ("POST", "/esg/overrides"): Access(frozenset({"operator"}), json=OVERRIDE),
    ("POST", "/esg/cycles/{cycle_id}/restate"): Access(frozenset({"operator"}), json={"reason": "role matrix"}),
    ("POST", "/esg/market-rates"): Access(frozenset({"operator"}), json=MARKET_RATE),
    ("GET", "/esg/market-rates"): Access(STAFF),
    ("POST", "/meter-data"): Access(frozenset({"ingest", "operator"}),
                                    query={"campus_id": "{campus_id}", "name": "matrix.csv"}),
    ("GET", "/meter-data/files/{sha256_hex}"): Access(frozenset({"operator", "auditor", "ingest"}),
                                                      params={"sha256_hex": "0" * 64}),
    ("GET", "/meter-data/quarantine"): Access(frozenset({"operator", "auditor", "ingest"}),
                                              query={"campus_id": "{campus_id}"}),
    ("GET", "/meter-data/pending-corrections"): Access(STAFF, query={"campus_id": "{campus_id}"}),
    ("POST", "/meter-data/edits"): Access(frozenset({"operator"}), json={
        "campus_id": "{campus_id}", "meter_id": "M1", "interval_start_utc": "2026-01-01T00:00:00Z",
        "energy_wh": 1, "reason": "role matrix"}),
    ("GET", "/meter-data/edits"): Access(frozenset({"operator", "auditor"}), query={
        "campus_id": "{campus_id}", "start_utc": "2026-01-01T00:00:00Z", "end_utc": "2026-02-01T00:00:00Z"}),
    ("GET", "/meter-data/vee-runs/{vee_run_id}"): Access(STAFF, params={"vee_run_id": "1"}),
    ("GET", "/meter-data/vee-runs/{vee_run_id}/quality/{meter_id}.svg"): Access(
        STAFF, params={"vee_run_id": "1", "meter_id": "M1"}),
    ("GET", "/market/campuses/{campus_id}/submissions"): Access(STAFF),
    ("GET", "/market/submissions/{submission_key}/attempts"): Access(STAFF, params={"submission_key": "none"}),
    ("POST", "/market/campuses/{campus_id}/statements"): Access(frozenset({"operator", "finance"}), json=[]),
    ("POST", "/market/campuses/{campus_id}/statement-files"): Access(frozenset({"operator", "finance"}),
                                                                    form={"format": "isone-rtlocsum"}),
    ("GET", "/market/campuses/{campus_id}/disputes"): Access(STAFF),
    ("GET", "/market/campuses/{campus_id}/registration"): Access(STAFF, query={"iso": "PJM"}),
    ("GET", "/market/nodes/{iso}"): Access(STAFF, params={"iso": "ERCOT"}),
    ("GET", "/market/nodes/{iso}/{node_id}"): Access(STAFF, params={"iso": "ERCOT", "node_id": "HB_NORTH"}),
    ("GET", "/market/node-lists"): Access(STAFF),
    ("POST", "/market/node-lists"): Access(frozenset({"operator"}), form={"list_kind": "pjm-pnodes"}),
    ("GET", "/tenants/{tenant_id}/invoices"): Access(READERS),
    ("GET", "/invoices"): Access(STAFF),
    ("GET", "/invoices/{invoice_id}.pdf"): Access(READERS),
    ("GET", "/invoices/{invoice_id}"): Access(READERS),
    ("GET", "/credit-notes/{credit_note_id}.pdf"): Access(READERS),
    ("POST", "/invoices/{invoice_id}/credit-notes"): Access(
        frozenset({"finance"}), json={"amount_usd_cents": 1, "reason": "matrix", "idempotency_key": "{credit_key}"}),
    ("POST", "/invoices/{invoice_id}/cancel-and-rebill"): Access(frozenset({"finance"}), json={"reason": "matrix"}),
    ("GET", "/campuses"): Access(STAFF),
    ("PUT", "/campuses/{campus_id}"): Access(frozenset({"operator"}), params={"campus_id": "no-such-campus"},
                                             json={"campus": {}}),
    ("GET", "/campuses/{campus_id}"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("GET", "/campuses/{campus_id}/history"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("GET", "/campuses/{campus_id}/export"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("GET", "/campuses/{campus_id}/live"): Access(STAFF),
    ("GET", "/campuses/{campus_id}/tenants"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("GET", "/campuses/{campus_id}/meters"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("POST", "/campuses/{campus_id}/prices"): Access(frozenset({"operator"}), form={"format": "nyiso-rt"}),
    ("GET", "/campuses/{campus_id}/contracts"): Access(STAFF, params={"campus_id": "no-such-campus"}),
    ("POST", "/campuses/{campus_id}/contracts"): Access(
        frozenset({"operator", "finance"}), params={"campus_id": "no-such-campus"},
        json={"contract_key": "matrix", "kind": "allocation", "effective_from": "2026-01-01",
              "terms": {"pool": "shared_consumption", "method": "energy"}}),
    ("POST", "/tariffs/bill"): Access(READERS, json={
        "urdb": {"energyratestructure": [[{"rate": 0.1}]], "energyweekdayschedule": [[0] * 24] * 12,
                 "energyweekendschedule": [[0] * 24] * 12},
        "load_csv": "interval_start,energy_kwh\n2026-03-02T10:00:00-06:00,1\n", "time_zone": "America/Chicago"}),
    ("GET", "/finance/static/{name}"): Access(PUBLIC, anonymous=200),
    ("GET", "/finance/login"): Access(PUBLIC, anonymous=200),
    ("POST", "/finance/login"): Access(PUBLIC, anonymous=303, form={"credential": "{credential}"}, form_token=True),
    ("POST", "/finance/logout"): Access(PUBLIC, anonymous=303, form={}, form_token=True),
    # Single sign-on is not configured in this app, so both answer 404 to everyone (the flow itself:
    # tests/integration/accounts/test_single_sign_on.py).
    ("POST", "/finance/login/oidc"): Access(PUBLIC, anonymous=404, form={}, form_token=True),
    ("GET", "/finance/login/oidc/callback"): Access(PUBLIC, anonymous=404),
    ("GET", "/finance/"): Access(STAFF, **PAGE),
    ("GET", "/finance/cycles/{cycle_id}"): Access(STAFF, **PAGE),
    ("GET", "/finance/cycles/{cycle_id}/state.json"): Access(STAFF, **PAGE),
    ("GET", "/finance/invoices"): Access(STAFF, **PAGE),
    ("GET", "/finance/cycles/{cycle_id}/drafts/{tenant_id}.pdf"): Access(STAFF, **PAGE),
    ("GET", "/finance/cycles/{cycle_id}/shadow"): Access(STAFF, **PAGE),
    ("GET", "/finance/campuses/{campus_id}/live"): Access(STAFF, **PAGE),
    ("GET", "/finance/cycles/{cycle_id}/shadow.pdf"): Access(STAFF, **PAGE),
    ("GET", "/tenant/"): Access(TENANT, **PAGE),
    ("GET", "/tenant/ledger"): Access(TENANT, **PAGE),
    ("GET", "/tenant/usage/{cycle_id}"): Access(TENANT, **PAGE),
    ("GET", "/tenant/emissions/{cycle_id}"): Access(TENANT, **PAGE),
    ("GET", "/tenant/usage/{cycle_id}/intervals.{extension}"): Access(TENANT, **PAGE, params={"extension": "csv"}),
}


class _MissingWorkflows:
    """Stands in for the Temporal client: every workflow is unknown, which the API maps to 404."""

    def get_workflow_handle_for(self, *args: Any, **kwargs: Any) -> _MissingWorkflows:
        return self

    async def _missing(self, *args: Any, **kwargs: Any) -> Any:
        raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")

    execute_update = query = cancel = start_workflow = _missing


def app_routes(app: Any) -> set[tuple[str, str]]:
    return {(method, context.path) for context in iter_route_contexts(app.routes)
            for method in (context.methods or set()) - {"HEAD"}}


def test_every_route_has_exactly_one_row(app_under_test: AppUnderTest) -> None:
    """The table and the app list the same (method, path) pairs: no route is left without a policy."""
    routes = app_routes(app_under_test.app)
    assert sorted(routes - ACCESS.keys()) == [], "routes without a row in ACCESS (add one, see docs/roles.md)"
    assert sorted(ACCESS.keys() - routes) == [], "rows in ACCESS for routes the app no longer has"


@pytest.fixture
def matrix_invoice(engine: Engine, app_under_test: AppUnderTest, seeded_cycle: SeededCycle, issuer: str) -> Any:
    """Tenant 0's invoice, with one credit note, so tenant-scoped routes have real documents to serve."""
    settings = app_under_test.settings
    with engine.begin() as conn:
        invoice = issue_invoices(conn, seeded_cycle.cycle_id, issuer, settings.signing_key_path,
                                 app_under_test.documents_root)[0]
        issue_credit_note(conn, invoice.invoice_id, 1, "matrix", f"matrix-fixture-{issuer}",
                          settings.signing_key_path, app_under_test.documents_root)
    return invoice


async def test_the_endpoint_role_matrix(app_under_test: AppUnderTest, seeded_cycle: SeededCycle,
                                        matrix_invoice: Any) -> None:
    """Anonymous, each of the five roles, on every route: allowed roles pass, others get 403, nobody gets a 5xx."""
    app = app_under_test.app
    app.state.temporal_client = _MissingWorkflows()
    settings = app_under_test.settings
    tokens = {role: mint_token(settings, f"matrix-{role}", [role],
                               matrix_invoice.tenant_id if role == "tenant" else None, timedelta(minutes=10),
                               [seeded_cycle.campus_id] if role == "tenant" else [])
              for role in ROLES}
    params = {"cycle_id": seeded_cycle.cycle_id, "cycle_key": seeded_cycle.cycle_id,
              "campus_id": seeded_cycle.campus_id, "tenant_id": matrix_invoice.tenant_id,
              "invoice_id": matrix_invoice.invoice_id, "name": "finance.css",
              "credit_note_id": credit_note_id_of(matrix_invoice.invoice_id.rsplit("-", 1)[0], 1)}
    failures: list[str] = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for (method, path), access in sorted(ACCESS.items()):
            for caller in (None, *ROLES):
                url = path.format(**{**params, **access.params})
                response = await _call(client, method, url, access, tokens, caller, seeded_cycle.campus_id)
                problem = _judge(access, caller, response)
                if problem:
                    failures.append(f"{method} {path} as {caller or 'anonymous'}: {problem}")
    app.state.temporal_client = None
    assert failures == []


async def _call(client: httpx.AsyncClient, method: str, url: str, access: Access, tokens: dict[str, str],
                caller: str | None, campus_id: str) -> httpx.Response:
    headers = {} if caller is None else {"Authorization": f"Bearer {tokens[caller]}"}
    fill = {"credit_key": f"matrix-{caller}", "credential": tokens["finance"], "subject": f"matrix-{caller}",
            "caller": str(caller), "campus_id": campus_id}
    json_body = _filled(access.json, fill)
    form = None if access.form is None else {k: v.format(**fill) for k, v in access.form.items()}
    client.cookies.clear()
    if access.form_token:
        page = await client.get("/finance/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None and form is not None
        form["csrf_token"] = token.group(1)
    query = _filled(access.query, fill)
    return await client.request(method, url, headers=headers, json=json_body, data=form, params=query,
                                follow_redirects=False)


def _filled(value: Any, fill: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**fill)
    if isinstance(value, dict):
        return {key: _filled(item, fill) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, fill) for item in value]
    return value


def _judge(access: Access, caller: str | None, response: httpx.Response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if caller is None:
        if status != access.anonymous:
            return f"expected {access.anonymous}, got {status}"
        if access.location and response.headers.get("location") != access.location:
            return f"redirected to {response.headers.get('location')}, expected {access.location}"
        return None
    if caller in access.roles:
        return f"refused with {status}: {response.text[:200]}" if status in (401, 403) else None
    return None if status == 403 else f"expected 403, got {status}"
