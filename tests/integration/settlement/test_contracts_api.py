"""Contract routes: finance appends versions (never overwrites), staff list them, terms that could not be settled
are refused with the field named, roles are enforced; the tariff calculator answers over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.integration.settlement.settlement_demo import DemoCampus

RATE = {"name": "Flat", "energyratestructure": [[{"rate": "0.1"}]],
        "energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12,
        "fixedchargefirstmeter": "12.5", "fixedchargeunits": "$/month"}


@pytest.fixture(scope="module")
def app_and_settings(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    from api.app import create_app
    from settings import Settings

    home = tmp_path_factory.mktemp("contracts-api-home")
    settings = Settings(home=home, data_uri=str(home / "data"))
    yield create_app(settings, engine, None), settings


def _client(app: Any, settings: Any, role: str, tenant_id: str | None = None) -> httpx.AsyncClient:
    from api.auth import mint_token

    campus_ids = ["c1"] if tenant_id is not None else []  # these routes refuse tenants whatever the campus
    token = mint_token(settings, f"test-{role}", [role], tenant_id, timedelta(minutes=5), campus_ids)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"Authorization": f"Bearer {token}"})


async def test_versions_append_and_list(app_and_settings: tuple[Any, Any], demo_campus: DemoCampus) -> None:
    """Two POSTs of one key give versions 1 and 2 with their own terms hashes; GET returns both, oldest first;
    an auditor may read but not write."""
    app, settings = app_and_settings
    url = f"/campuses/{demo_campus.campus_id}/contracts"
    body = {"contract_key": "alpha-tariff", "kind": "urdb_tariff", "tenant_id": "alpha",
            "effective_from": "2026-01-01", "terms": {"urdb": RATE}}
    async with _client(app, settings, "finance") as finance:
        first = await finance.post(url, json=body)
        amended = {**body, "effective_from": "2026-06-01",
                   "terms": {"urdb": {**RATE, "fixedchargefirstmeter": "15"}}}
        second = await finance.post(url, json=amended)
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["terms_sha256_hex"] != second.json()["terms_sha256_hex"]
    async with _client(app, settings, "auditor") as auditor:
        listed = await auditor.get(url)
        refused = await auditor.post(url, json=body)
    assert [(c["version"], c["effective_from"]) for c in listed.json()] == [(1, "2026-01-01"), (2, "2026-06-01")]
    assert listed.json()[0]["terms"]["urdb"]["fixedchargefirstmeter"] == "12.5"
    assert refused.status_code == 403


async def test_bad_terms_unknown_campus_and_tenant_are_refused(app_and_settings: tuple[Any, Any],
                                                               demo_campus: DemoCampus) -> None:
    """A PPA without meter_ids -> 422 naming `meter_ids`; an unknown campus or tenant -> 404; nothing stored."""
    app, settings = app_and_settings
    url = f"/campuses/{demo_campus.campus_id}/contracts"
    ppa = {"contract_key": "gamma-ppa", "kind": "ppa", "tenant_id": "gamma", "effective_from": "2026-01-01",
           "terms": {"form": "fixed", "price_usd_per_mwh": "30"}}
    async with _client(app, settings, "operator") as operator:
        bad = await operator.post(url, json=ppa)
        no_campus = await operator.post("/campuses/no-such-campus/contracts", json=ppa)
        no_tenant = await operator.post(url, json={**ppa, "tenant_id": "omega",
                                                   "terms": {**ppa["terms"], "meter_ids": ["PV1"]}})
        listed = await operator.get(url)
    assert (bad.status_code, bad.json()["field"]) == (422, "meter_ids")
    assert (no_campus.status_code, no_tenant.status_code) == (404, 404)
    assert listed.json() == []


async def test_tariff_calculator_over_http(app_and_settings: tuple[Any, Any]) -> None:
    """Flat 0.10 $/kWh and 12.50 $/month: 100 kWh + 50 kWh in March 2026 -> 15.00 + 12.50 = 27.50."""
    app, settings = app_and_settings
    load = ("interval_start,energy_kwh\n2026-03-02T10:00:00-06:00,100\n2026-03-02T11:00:00-06:00,50\n")
    async with _client(app, settings, "tenant", "alpha") as tenant:
        response = await tenant.post("/tariffs/bill", json={"urdb": RATE, "load_csv": load,
                                                            "time_zone": "America/Chicago"})
    assert response.status_code == 200, response.text
    assert Decimal(response.json()["total_usd"]) == Decimal("27.50")


async def test_tariff_calculator_over_http_credits_export_by_the_tariffs_dgrules(
        app_and_settings: tuple[Any, Any]) -> None:
    """Net billing (instantaneous) at 0.10 $/kWh buy, 0.04 $/kWh sell: 100 kWh bought and 30 kWh exported in one
    hour -> 10.00 - 1.20 + 12.50 fixed = 21.30; without `dgrules` the export is reported but not credited."""
    app, settings = app_and_settings
    load = "interval_start,energy_kwh\n2026-03-02T10:00:00-06:00,100\n"
    export = "interval_start,energy_kwh\n2026-03-02T10:00:00-06:00,30\n"
    net_billing = {**RATE, "energyratestructure": [[{"rate": "0.1", "sell": "0.04"}]],
                   "dgrules": "Net Billing Instantaneous"}
    async with _client(app, settings, "tenant", "alpha") as tenant:
        credited = await tenant.post("/tariffs/bill", json={"urdb": net_billing, "load_csv": load, "export_csv": export,
                                                            "time_zone": "America/Chicago"})
        uncredited = await tenant.post("/tariffs/bill", json={"urdb": RATE, "load_csv": load, "export_csv": export,
                                                              "time_zone": "America/Chicago"})
        bad = await tenant.post("/tariffs/bill", json={"urdb": net_billing, "load_csv": load,
                                                       "export_csv": "interval_start,energy_kwh\nyesterday,3\n",
                                                       "time_zone": "America/Chicago"})
    assert credited.status_code == 200, credited.text
    body = credited.json()
    assert (body["metering"], Decimal(body["export_kwh"])) == ("net_billing_instantaneous", Decimal(30))
    assert Decimal(body["total_usd"]) == Decimal("21.30")
    assert Decimal(uncredited.json()["total_usd"]) == Decimal("22.50")
    assert Decimal(uncredited.json()["export_kwh"]) == Decimal(30)
    assert bad.status_code == 422, bad.text
    assert (bad.json()["source"], bad.json()["line"], bad.json()["field"]) == ("export_csv", 2, "interval_start")
