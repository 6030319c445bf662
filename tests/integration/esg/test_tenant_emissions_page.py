"""The tenant portal's emissions page over the real app and database: from the moment a cycle's settlement is
recorded (its settle step holds the result; no invoice, no restatement) the tenant sees its statement in the portal,
with the market-based method of its grid supply and Scope 3 category 3 in parts; before that the page says the
period is not settled; another tenant's or another campus's cycle does not exist (404); staff are refused.

Hand-worked: two hours, 1 MWh of grid import each, tenant 0 metering 0.75 MWh and tenant 1 0.25 MWh an hour, so
tenant 0 draws 1.5 MWh of grid power. It retired 0.5 MWh of RECs for the period: under annual matching 0.5 MWh are
covered by certificates and 1 MWh priced at the grid average (no supplier rate or residual mix exists); RECs are not
granular, so under hourly matching all 1.5 MWh, in both hours, are at the grid average.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from api.app import create_app
from api.auth import mint_token
from esg.certificates import CertificateClaim, CertificateLot
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions
from invoicing.signing import generate_signing_key
from settings import Settings
from tests.integration.invoicing.conftest import DEFAULT_LINES, seed_cycle

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(hours=2)


@pytest.fixture(scope="module")
def app(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Settings]:
    home = tmp_path_factory.mktemp("portal-esg-home")
    settings = Settings(home=home, data_uri=str(home / "data"))
    generate_signing_key(settings.signing_key_path)
    return create_app(settings, engine, None), settings


def _settle(engine: Engine, cycle_id: str, tenants: list[str], intervals_file) -> None:  # type: ignore[no-untyped-def]
    """Record the cycle's settle step with the emissions it posted, as the settlement does."""
    rows = []
    for hour in range(2):
        start = START + timedelta(hours=hour)
        rows += [("GRID", start, 1_000_000), ("T0", start, 750_000), ("T1", start, 250_000)]
    lot = CertificateLot("portal-lot", "REC", "wind", "ERCT", START, END, 500_000, 0, "ERCOT REC Program",
                         serial_start=1, serial_end=1, certificate_wh=500_000, location="US-TX")
    claim = CertificateClaim("portal-claim", "portal-lot", f"tenant:{tenants[0]}", 500_000, START, END)
    emissions = compute_cycle_emissions(
        intervals_file(rows), [MeterRef("GRID", "grid_import"), MeterRef("T0", "tenant_consumption", tenants[0]),
                               MeterRef("T1", "tenant_consumption", tenants[1])],
        "ERCT", START, END, options=EmissionOptions(claims=[(lot, claim)]))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cycle_step (cycle_id, step, result_json) VALUES (:id, 'settle', "
                          "CAST(:r AS jsonb))"),
                     {"id": cycle_id, "r": json.dumps({"emissions": json.loads(emissions.to_json()),
                                                       "pending_ledger_key": f"{cycle_id}:settlement:v1"})})


def _client(app: tuple[object, Settings]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app[0]), base_url="http://testserver")  # type: ignore[arg-type]


def _as(app: tuple[object, Settings], tenant_id: str, campus_id: str, roles: tuple[str, ...] = ("tenant",)
        ) -> dict[str, str]:
    token = mint_token(app[1], f"portal-{tenant_id}", list(roles), tenant_id if "tenant" in roles else None,
                       timedelta(minutes=5), [campus_id] if "tenant" in roles else [])
    return {"Authorization": f"Bearer {token}"}


async def test_the_tenant_sees_its_emissions_in_the_portal_once_settled(
        app, engine: Engine, intervals_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_cycle(engine, DEFAULT_LINES)
    own, other = seeded.tenant_ids
    headers = _as(app, own, seeded.campus_id)
    async with _client(app) as client:
        before = await client.get(f"/tenant/emissions/{seeded.cycle_id}", headers=headers)
        assert before.status_code == 200 and "has not been settled yet" in before.text

        _settle(engine, seeded.cycle_id, seeded.tenant_ids, intervals_file)
        overview = await client.get("/tenant/", headers=headers)
        assert f'href="/tenant/emissions/{seeded.cycle_id}"' in overview.text
        page = await client.get(f"/tenant/emissions/{seeded.cycle_id}", headers=headers)
        assert page.status_code == 200, page.text
        assert "Emissions statement: Tenant 0 Inc." in page.text and "Version 1 (as settled)" in page.text
        rows = [
            ("<tr><td>certificates (contractual instruments)</td><td class=\"num\">0.500</td>"
             "<td class=\"num\">0.000</td><td class=\"num\">0</td></tr>"),
            ("<tr><td>grid average (fallback: no supplier rate or residual mix)</td><td class=\"num\">1.000</td>"
             "<td class=\"num\">1.500</td><td class=\"num\">2</td></tr>"),
        ]
        for row in rows:
            assert row in page.text, row
        for part in ("upstream of fuels (A)", "upstream of generation of purchased power (B)", "T&amp;D losses (C)"):
            assert f"of which {part}" in page.text
        assert 'format=text" download' in page.text and 'format=pdf" download' in page.text
        pdf = await client.get(f"/esg/cycles/{seeded.cycle_id}/tenants/{own}/statement", params={"format": "pdf"},
                               headers=headers)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:200]

        # Only the tenant's own cycles on its bound campuses; the other tenant has no certificates.
        elsewhere = seed_cycle(engine, DEFAULT_LINES)
        assert (await client.get(f"/tenant/emissions/{elsewhere.cycle_id}", headers=headers)).status_code == 404
        theirs = await client.get(f"/tenant/emissions/{seeded.cycle_id}", headers=_as(app, other, seeded.campus_id))
        assert theirs.status_code == 200 and "certificates (contractual instruments)" not in theirs.text
        staff = await client.get(f"/tenant/emissions/{seeded.cycle_id}",
                                 headers=_as(app, "ops", seeded.campus_id, ("operator",)))
        assert staff.status_code == 403
