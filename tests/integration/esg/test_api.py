"""The ESG routes over a real database: stored results, statements with tenant isolation, reports, exports,
certificate claims refused as 409 on a double claim. Authentication is replaced by a header-driven principal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Request
from sqlalchemy import text

from api.principal import Principal
from esg.factors import register_factor_library
from esg.reporting import record_cycle_emissions
from esg.scopes import compute_campus_cycle

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=2)


def header_principal(request: Request) -> Principal:
    role = request.headers.get("x-role", "")
    campus_ids = frozenset(filter(None, request.headers.get("x-campus", "").split(",")))
    return Principal("test", frozenset({role}) if role else frozenset(), request.headers.get("x-tenant"), campus_ids)


@pytest.fixture
def client(engine, tmp_path):
    from api.app import create_app
    from runtime.keys import ensure_signing_key
    from settings import Settings

    settings = Settings(home=tmp_path, data_uri=str(tmp_path / "data"), ledger_origin=f"test.esg/{tmp_path.name}")
    ensure_signing_key(settings)
    app = create_app(settings, engine, None, authenticate=header_principal)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def stored_cycle_key(engine, campus_id, intervals_file) -> str:
    rows = [
        ("FUEL1", START, 29_307_107),
        ("GEN1", START, 10_000_000),
        ("GRID1", START + timedelta(hours=1), 2_000_000),
        ("TA", START, 6_000_000),
        ("TB", START, 4_000_000),
        ("TA", START + timedelta(hours=1), 2_000_000),
    ]
    cycle_key = f"cycle:{campus_id}:2025-07"
    with engine.begin() as conn:
        register_factor_library(conn)
        emissions = compute_campus_cycle(conn, campus_id, intervals_file(rows), "ERCT", START, END)
        record_cycle_emissions(conn, campus_id, cycle_key, emissions, "billing cycle")
    return cycle_key


async def test_operator_reads_result_report_and_exports(client, stored_cycle_key):
    """Scope 1 of 100 MMBtu is 5,311,450 g; reports render; the parties CSV adds up to it."""
    operator = {"x-role": "operator"}
    async with client:
        result = (await client.get(f"/esg/cycles/{stored_cycle_key}/emissions", headers=operator)).json()
        html = await client.get(f"/esg/cycles/{stored_cycle_key}/report.html", headers=operator)
        pdf = await client.get(f"/esg/cycles/{stored_cycle_key}/report.pdf", headers=operator)
        parties = await client.get(f"/esg/cycles/{stored_cycle_key}/exports/parties.csv", headers=operator)
        versions = (await client.get(f"/esg/cycles/{stored_cycle_key}/versions", headers=operator)).json()
    assert result["campus_scope1_g_co2e"] == 5_311_450
    assert html.status_code == 200 and "<svg" in html.text
    assert pdf.content.startswith(b"%PDF-")
    rows = list(csv.DictReader(io.StringIO(parties.text)))
    assert sum(int(row["scope2_onsite_generation_g_co2e"]) for row in rows) == 5_311_450
    assert [v["version"] for v in versions["versions"]] == [1]


async def test_a_tenant_sees_only_its_own_statement(client, stored_cycle_key):
    """alpha reads alpha's statement (6/10 of the turbine hour plus all of hour 1's grid) but not beta's, and not
    its own when bound to another campus."""
    alpha = {"x-role": "tenant", "x-tenant": "alpha", "x-campus": stored_cycle_key.split(":")[1]}
    elsewhere = {**alpha, "x-campus": "another-campus"}
    async with client:
        own = await client.get(f"/esg/cycles/{stored_cycle_key}/tenants/alpha/statement", headers=alpha)
        unbound = await client.get(f"/esg/cycles/{stored_cycle_key}/tenants/alpha/statement", headers=elsewhere)
        other = await client.get(f"/esg/cycles/{stored_cycle_key}/tenants/beta/statement", headers=alpha)
        report = await client.get(f"/esg/cycles/{stored_cycle_key}/report.html", headers=alpha)
    assert own.status_code == 200
    lines = {line["label"]: line["g_co2e"] for line in own.json()["lines"]}
    # 5,311,450 x 6/10 = 3,186,870 exactly; grid 2 MWh x 336,035.74265 g = 672,071.485 -> 672,071.
    assert lines["  of which on-site generation (operator Scope 1)"] == 3_186_870
    assert lines["  of which grid electricity, location-based"] == 672_071
    assert (other.status_code, report.status_code, unbound.status_code) == (403, 403, 403)


async def test_double_claim_is_a_409(client, campus_id):
    """A second claim on Wh already claimed is refused with the conflict status and the lot named."""
    operator = {"x-role": "operator"}
    lot = {
        "lot_id": f"{campus_id}-api-lot",
        "instrument": "GC",
        "technology": "wind",
        "zone": "ERCT",
        "vintage_start_utc": "2025-07-01T00:00:00Z",
        "vintage_end_utc": "2025-07-01T01:00:00Z",
        "energy_wh": 1000,
        "emission_rate_g_co2e_per_mwh": 0,
        "registry": f"test-{campus_id}",
        "serial_start": 1,
        "serial_end": 1,
        "certificate_wh": 1000,
        "location": "US-TX",
    }
    claim = {
        "lot_id": lot["lot_id"],
        "campus_id": campus_id,
        "beneficiary": "tenant:alpha",
        "energy_wh": 1000,
        "consumption_start_utc": "2025-07-01T00:00:00Z",
        "consumption_end_utc": "2025-07-01T01:00:00Z",
    }
    async with client:
        assert (await client.post("/esg/certificates/lots", json=lot, headers=operator)).status_code == 201
        first = await client.post(
            "/esg/certificates/claims", json={**claim, "claim_id": f"{campus_id}-a"}, headers=operator
        )
        second = await client.post(
            "/esg/certificates/claims", json={**claim, "claim_id": f"{campus_id}-b"}, headers=operator
        )
        as_tenant = await client.post(
            "/esg/certificates/lots", json=lot, headers={"x-role": "tenant", "x-tenant": "alpha"}
        )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["type"] == "CertificateOverclaimed"
    assert as_tenant.status_code == 403


async def test_overrides_are_recorded_once_and_never_changed(client, campus_id, engine):
    """The same override twice is one row; the same id with another value is a 409; editions are listed."""
    with engine.begin() as conn:
        register_factor_library(conn)
    operator = {"x-role": "operator"}
    body = {
        "override_id": f"{campus_id}-ov",
        "campus_id": campus_id,
        "meter_id": "FUEL1",
        "kind": "stack_test",
        "parameter": "co2_kg_per_mmbtu",
        "value": "52.91",
        "valid_from": "2025-01-01",
        "reason": "stack test 2025-02, report 17",
    }
    async with client:
        # The approver is the authenticated caller: a body naming someone else is refused and stores nothing.
        impersonating = await client.post("/esg/overrides", json={**body, "approved_by": "environmental lead"},
                                          headers=operator)
        first = await client.post("/esg/overrides", json=body, headers=operator)
        again = await client.post("/esg/overrides", json=body, headers=operator)
        changed = await client.post("/esg/overrides", json={**body, "value": "50.00"}, headers=operator)
        float_value = await client.post("/esg/overrides", json={**body, "value": 52.91}, headers=operator)
        editions = (await client.get("/esg/factor-editions", headers={"x-role": "auditor"})).json()
    assert impersonating.status_code == 403, impersonating.text
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    with engine.connect() as conn:
        recorded = conn.execute(text("SELECT approved_by FROM esg_factor_override WHERE override_id = :id"),
                                {"id": body["override_id"]}).scalar_one()
    assert recorded == "test"  # header_principal's subject, never a name from the body
    assert changed.status_code == 409
    assert float_value.status_code == 422  # a decimal string, never a float
    assert {e["edition_id"] for e in editions["editions"]} >= {"wl-2024.1", "wl-2025.1"}


async def test_restate_over_http_needs_the_operator_role(client):
    """A finance caller is refused (403); an operator asking for an unknown cycle gets 404."""
    async with client:
        finance = await client.post(
            "/esg/cycles/cycle:none:2025-07/restate", json={"reason": "x"}, headers={"x-role": "finance"}
        )
        operator = await client.post(
            "/esg/cycles/cycle:none:2025-07/restate", json={"reason": "x"}, headers={"x-role": "operator"}
        )
    assert (finance.status_code, operator.status_code) == (403, 404)
