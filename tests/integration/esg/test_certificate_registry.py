"""The certificate registry through the API and the real ledger: a serial range is registered once (an overlap is
refused naming both lots), each retirement for a tenant and period is a ledger entry moving its Wh, and no path,
the calculation's direct list of claims included, takes more Wh of a lot than it holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Request

from api.principal import Principal
from common.errors import Conflict
from esg.certificates import CertificateClaim, CertificateLot
from esg.errors import CertificateOverclaimed
from esg.scopes import EmissionOptions, MeterRef, compute_campus_cycle, compute_cycle_emissions

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(hours=2)
OPERATOR = {"x-role": "operator"}


def header_principal(request: Request) -> Principal:
    role = request.headers.get("x-role", "")
    return Principal("test", frozenset({role}) if role else frozenset(), request.headers.get("x-tenant"))


@pytest.fixture
def stack(engine, tmp_path):
    """(HTTP client, settings) over the session database with a ledger and signing key of this test's own."""
    from api.app import create_app
    from runtime.keys import ensure_signing_key
    from settings import Settings

    settings = Settings(home=tmp_path, data_uri=str(tmp_path / "data"),
                        ledger_origin=f"test.esg.certificates/{uuid.uuid4().hex[:10]}")
    ensure_signing_key(settings)
    app = create_app(settings, engine, None, authenticate=header_principal)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"), settings


def rec_lot(lot_id: str, registry: str, first: int, last: int) -> dict[str, object]:
    """Wind RECs, 1 MWh per serial, vintage July 2025."""
    return {
        "lot_id": lot_id, "instrument": "REC", "technology": "wind", "zone": "ERCT",
        "vintage_start_utc": "2025-07-01T00:00:00Z", "vintage_end_utc": "2025-08-01T00:00:00Z",
        "energy_wh": (last - first + 1) * 1_000_000, "emission_rate_g_co2e_per_mwh": 0, "registry": registry,
        "serial_prefix": "TX-WIND-7", "serial_start": first, "serial_end": last, "location": "US-TX",
        "facility": "Sweetwater Wind 4",
    }


async def test_a_serial_range_is_registered_once(stack, campus_id):
    """Serials 101-105 registered; 105-108 of the same registry is a 409 naming both lots; another registry's
    105-108 and the same lot again are accepted; a lot without serials or whose serials do not hold its Wh is 422."""
    client, _ = stack
    registry = f"ERCOT REC Program {campus_id}"
    async with client:
        first = await client.post("/esg/certificates/lots", json=rec_lot(f"{campus_id}-a", registry, 101, 105),
                                  headers=OPERATOR)
        again = await client.post("/esg/certificates/lots", json=rec_lot(f"{campus_id}-a", registry, 101, 105),
                                  headers=OPERATOR)
        overlap = await client.post("/esg/certificates/lots", json=rec_lot(f"{campus_id}-b", registry, 105, 108),
                                    headers=OPERATOR)
        elsewhere = await client.post("/esg/certificates/lots",
                                      json=rec_lot(f"{campus_id}-c", f"M-RETS {campus_id}", 105, 108),
                                      headers=OPERATOR)
        no_serials = {k: v for k, v in rec_lot(f"{campus_id}-d", registry, 200, 201).items()
                      if k not in ("serial_start", "serial_end")}
        missing = await client.post("/esg/certificates/lots", json=no_serials, headers=OPERATOR)
        short = await client.post("/esg/certificates/lots",
                                  json={**rec_lot(f"{campus_id}-e", registry, 300, 301), "energy_wh": 3_000_000},
                                  headers=OPERATOR)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (201, False)
    assert overlap.status_code == 409, overlap.text
    detail = overlap.json()["detail"]
    assert overlap.json()["type"] == "CertificateSerialsOverlap"
    assert f"{campus_id}-b" in detail and f"{campus_id}-a" in detail
    assert "TX-WIND-7-105 to TX-WIND-7-108" in detail and "TX-WIND-7-101 to TX-WIND-7-105" in detail
    assert elsewhere.status_code == 201, elsewhere.text
    assert missing.status_code == 422 and "serial_start" in missing.text
    assert short.status_code == 422 and "energy_wh" in short.text and "2 x 1000000 Wh" in short.text


async def test_a_retirement_is_a_ledger_entry_and_is_exclusive(stack, campus_id, engine):
    """3 of 5 MWh retired for alpha in July: the ledger moves 3,000,000 Wh to alpha's retired certificates and
    names the lot, registry and serials; 3 MWh more for beta is refused (2 MWh left) and posts nothing."""
    from ledger import list_entries
    from ledger.balances import balances

    client, settings = stack
    registry = f"ERCOT REC Program {campus_id}"
    lot = rec_lot(f"{campus_id}-lot", registry, 1, 5)
    claim = {"lot_id": lot["lot_id"], "campus_id": campus_id, "consumption_start_utc": "2025-07-01T00:00:00Z",
             "consumption_end_utc": "2025-08-01T00:00:00Z"}
    async with client:
        assert (await client.post("/esg/certificates/lots", json=lot, headers=OPERATOR)).status_code == 201
        alpha = await client.post("/esg/certificates/claims", headers=OPERATOR, json={
            **claim, "claim_id": f"{campus_id}-alpha", "beneficiary": "tenant:alpha", "energy_wh": 3_000_000})
        beta = await client.post("/esg/certificates/claims", headers=OPERATOR, json={
            **claim, "claim_id": f"{campus_id}-beta", "beneficiary": "tenant:beta", "energy_wh": 3_000_000})
        alpha_again = await client.post("/esg/certificates/claims", headers=OPERATOR, json={
            **claim, "claim_id": f"{campus_id}-alpha", "beneficiary": "tenant:alpha", "energy_wh": 3_000_000})
    assert alpha.status_code == 201, alpha.text
    assert beta.status_code == 409 and "exceeds the 2000000 Wh still unclaimed" in beta.json()["detail"]
    assert (alpha_again.status_code, alpha_again.json()["created"]) == (201, False)
    with engine.connect() as conn:
        entries = [e for e in list_entries(conn, settings.ledger_origin, 0, 1_000) if e.kind == "posting"]
        held = {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin)}
    assert [e.idempotency_key for e in entries] == [alpha.json()["retirement_ledger_key"]]
    meta = entries[0].document["meta"]
    assert meta["claim_id"] == f"{campus_id}-alpha" and meta["lot_id"] == lot["lot_id"]
    assert meta["serials"] == f"{registry} TX-WIND-7-1 to TX-WIND-7-5"
    assert (meta["location"], meta["technology"], meta["registry"]) == ("US-TX", "wind", registry)
    assert meta["consumption_start_utc"] == "2025-07-01T00:00:00+00:00"
    assert held["tenant:alpha:certificates:retired"] == 3_000_000
    assert held[f"campus:{campus_id}:certificates:claimed"] == -3_000_000
    assert "tenant:beta:certificates:retired" not in held


def test_the_direct_path_cannot_claim_more_than_a_lot_holds(engine, campus_id, intervals_file, tmp_path):
    """Two claims of 0.6 MWh each on a 1 MWh lot, handed straight to the calculation, are refused; so is one claim
    handed twice, and a direct claim on top of what the registry already holds for the same lot."""
    lot = CertificateLot("direct-lot", "REC", "wind", "ERCT", START, END, 1_000_000, 0, "direct", "Wind",
                         serial_start=1, serial_end=1, location="US-TX")
    first = CertificateClaim("d1", "direct-lot", "tenant:alpha", 600_000, START, END)
    second = CertificateClaim("d2", "direct-lot", "tenant:beta", 600_000, START, END)
    uri = intervals_file([("GRID1", START, 2_000_000), ("TA", START, 1_000_000), ("TB", START, 1_000_000)])
    meters = [MeterRef("GRID1", "grid_import"), MeterRef("TA", "tenant_consumption", "alpha"),
              MeterRef("TB", "tenant_consumption", "beta")]
    with pytest.raises(CertificateOverclaimed, match="claim of 1200000 Wh exceeds the 1000000 Wh"):
        compute_cycle_emissions(uri, meters, "ERCT", START, END,
                                options=EmissionOptions(claims=[(lot, first), (lot, second)]))
    with pytest.raises(Conflict, match="claim d1 is given twice"):
        EmissionOptions(claims=[(lot, first), (lot, first)])
    within = compute_cycle_emissions(uri, meters, "ERCT", START, END, options=EmissionOptions(claims=[(lot, first)]))
    assert within.tenant_g_co2e["alpha"]["scope2_market"] < within.tenant_g_co2e["alpha"]["scope2_location"]
    from esg.certificates import claim_certificate, register_certificate_lot
    from ledger import create_signing_key

    key = tmp_path / "key.pem"
    create_signing_key(key)
    with engine.begin() as conn:
        stored_lot = CertificateLot(f"{campus_id}-db", "REC", "wind", "ERCT", START, END, 1_000_000, 0,
                                    f"reg-{campus_id}", serial_start=1, serial_end=1, location="US-TX")
        register_certificate_lot(conn, stored_lot)
        claim_certificate(conn, campus_id, CertificateClaim(f"{campus_id}-d3", stored_lot.lot_id, "tenant:alpha",
                                                            600_000, START, END), f"test.esg/{campus_id}", key)
        extra = CertificateClaim(f"{campus_id}-d4", stored_lot.lot_id, "tenant:beta", 600_000, START, END)
        with pytest.raises(CertificateOverclaimed):
            compute_campus_cycle(conn, campus_id, uri, "ERCT", START, END,
                                 options=EmissionOptions(claims=[(stored_lot, extra)]))
