"""Malformed URDB records through every path that loads a tariff answer 4xx or exit code 2 naming the field, never
a 500 or a traceback, and store nothing: the HTTP calculator, contract creation over HTTP, and
`wattledger tariff import`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.integration.settlement.settlement_demo import DemoCampus
from wattledger_cli.tariff import app as tariff_cli

FLAT = [[0] * 24] * 12
RATE = {"name": "Flat", "label": "validation-test", "energyratestructure": [[{"rate": "0.1"}]],
        "energyweekdayschedule": FLAT, "energyweekendschedule": FLAT}
LOAD = "interval_start,energy_kwh\n2026-03-02T10:00:00-06:00,100\n2026-03-02T11:00:00-06:00,50\n"
BAD = [
    ({**RATE, "energyratestructure": [[{"max": "100", "rate": "0.1"}, {"max": "100", "rate": "0.2"}]]},
     "energyratestructure[0][1].max"),
    ({**RATE, "energyratestructure": [[{"rate": "0.1"}, {"max": "100", "rate": "0.2"}]]},
     "energyratestructure[0][0].max"),
    ({**RATE, "lookbackPercent": "0.8", "lookbackpercent": "0.5", "lookbackrange": 3}, "lookbackpercent"),
    ({**RATE, "demandreactivepowercharge": "0.66"}, "demandreactivepowercharge"),
    ({**RATE, "flatdemandstructure": [[{"rate": "5"}]], "demandwindow": 15}, "demandwindow"),  # hourly load
]


@pytest.fixture(scope="module")
def app_and_settings(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    from api.app import create_app
    from settings import Settings

    home = tmp_path_factory.mktemp("tariff-validation-home")
    settings = Settings(home=home, data_uri=str(home / "data"))
    yield create_app(settings, engine, None), settings


def _client(app: Any, settings: Any, role: str, tenant_id: str | None = None) -> httpx.AsyncClient:
    from api.auth import mint_token

    token = mint_token(settings, f"test-{role}", [role], tenant_id, timedelta(minutes=5))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"Authorization": f"Bearer {token}"})


async def test_calculator_answers_422_naming_the_field(app_and_settings: tuple[Any, Any]) -> None:
    app, settings = app_and_settings
    async with _client(app, settings, "finance") as client:
        for rate, field in BAD:
            response = await client.post("/tariffs/bill", json={"urdb": rate, "load_csv": LOAD,
                                                                "time_zone": "America/Chicago"})
            assert response.status_code == 422, response.text
            assert response.json()["field"] == field, response.text
            assert "validation-test" in response.text


async def test_contract_with_a_malformed_tariff_is_refused_and_nothing_stored(
        app_and_settings: tuple[Any, Any], demo_campus: DemoCampus) -> None:
    app, settings = app_and_settings
    url = f"/campuses/{demo_campus.campus_id}/contracts"
    async with _client(app, settings, "finance") as finance:
        for rate, field in BAD[:4]:  # the window is checked against load data when billing, not when stored
            body = {"contract_key": "alpha-tariff", "kind": "urdb_tariff", "tenant_id": "alpha",
                    "effective_from": "2026-01-01", "terms": {"urdb": rate}}
            response = await finance.post(url, json=body)
            assert response.status_code == 422, response.text
            assert response.json()["field"] == field, response.text
        listed = await finance.get(url)
    assert listed.json() == []


def test_tariff_import_exits_2_naming_file_and_field(tmp_path: Path, database_url: str, demo_campus: DemoCampus,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    rate, field = BAD[0]
    (tmp_path / "bad.json").write_text(json.dumps(rate))
    outcome = CliRunner().invoke(tariff_cli, ["import", "--urdb", str(tmp_path / "bad.json"), "--campus",
                                              demo_campus.campus_id, "--key", "alpha-tariff", "--tenant", "alpha",
                                              "--effective-from", "2026-01-01"])
    assert outcome.exit_code == 2, outcome.output
    assert f"field '{field}'" in outcome.output and "tier row 1" in outcome.output
    assert "Traceback" not in outcome.output


async def test_calculator_measures_the_tariffs_demand_window(app_and_settings: tuple[Any, Any]) -> None:
    """30-minute window, flat demand 5 $/kW; 15-minute rows Mon Mar 2 2026 10:00-11:00 CST of 10, 30, 20, 4 kWh:
    block peak 80 kW (400), rolling peak 100 kW (500); an unknown kind is 422 naming `demand_window`."""
    app, settings = app_and_settings
    rate = {**RATE, "flatdemandstructure": [[{"rate": "5"}]], "demandwindow": 30}
    load = "interval_start,energy_kwh\n" + "".join(f"2026-03-02T10:{15 * index:02d}:00-06:00,{kwh}\n"
                                                   for index, kwh in enumerate(["10", "30", "20", "4"]))
    answers = {}
    async with _client(app, settings, "finance") as client:
        for kind in ("block", "rolling", "sliding"):
            response = await client.post("/tariffs/bill", json={"urdb": rate, "load_csv": load, "demand_window": kind,
                                                                "time_zone": "America/Chicago"})
            answers[kind] = (response.status_code, response.json()["months"][0]["demand_flat_charge_usd"]
                             if response.status_code == 200 else response.json()["field"])
    assert answers == {"block": (200, "400.000000"), "rolling": (200, "500.000000"),
                       "sliding": (422, "demand_window")}
