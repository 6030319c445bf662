"""Applying campus files on PostgreSQL: versions, idempotence, amendments, refusals that store nothing, and the
same through `PUT /campuses/{id}`."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import tomli_w
from sqlalchemy import Engine, text

from api.app import create_app
from api.principal import Principal
from campus import load_meters, load_tenants
from campus.errors import CampusChangeRefused
from campus.file import parse_campus_text, read_campus_file
from campus.service import apply, export_toml, history, show
from settings import Settings
from settlement.campus_contracts import list_contracts

ROOT = Path(__file__).resolve().parents[3]
ERCOT_FILE = ROOT / "demo" / "ercot" / "campus.toml"


def _ercot(campus_id: str, edit=None):  # type: ignore[no-untyped-def]
    """The ERCOT sample with its own id (and an optional edit of the parsed file), as a checked document."""
    raw = tomllib.loads(ERCOT_FILE.read_text(), parse_float=Decimal)
    raw["campus"]["id"] = campus_id
    if edit is not None:
        edit(raw)
    folder = ERCOT_FILE.parent
    return parse_campus_text(f"{campus_id}.toml", tomli_w.dumps(raw).encode(),
                             lambda name: (folder / name).read_text())


def _count(engine: Engine, table: str, campus_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE campus_id = :c"), {"c": campus_id})
                   .scalar_one())


def test_apply_stores_a_version_and_projects_every_fact(engine: Engine) -> None:
    """Tenants with occupancy, meters with devices and windows, URDB/PPA/VPPA/allocation contracts, fixed prices."""
    result = apply(engine, _ercot("apply-ercot"), "tester")
    assert (result.version, result.applied) == (1, True)
    with engine.connect() as conn:
        tenants = {t.tenant_id: t for t in load_tenants(conn, "apply-ercot")}
        meters = {m.meter_id: m for m in load_meters(conn, "apply-ercot")}
        contracts = {c.contract_key: c for c in list_contracts(conn, "apply-ercot")}
    assert str(tenants["bluebonnet-compute"].move_in) == "2026-09-16"
    hall2 = meters["LH-HALL2"]
    assert [(d.serial, d.multiplier) for d in hall2.devices] == [("SEL735-1001", 80), ("SEL735-2002", 120)]
    assert hall2.devices[0].removed_utc == hall2.devices[1].installed_utc
    assert hall2.devices[1].installed_utc.isoformat() == "2026-09-17T19:00:00+00:00"
    assert meters["PV1-GEN"].carbon_free and meters["BB-HALL3"].active_from_utc is not None
    assert sorted(contracts) == ["bluebonnet-compute-tariff", "cooling-allocation", "longhorn-ai-tariff",
                                 "pv1-solar-ppa", "pv2-vppa"]
    assert contracts["longhorn-ai-tariff"].terms["urdb"]["label"] == "577ebfe65457a32f453068f0"
    assert _count(engine, "contract", "apply-ercot") == 1  # mesquite's fixed price


def test_the_same_file_again_changes_nothing_and_export_round_trips(engine: Engine) -> None:
    apply(engine, _ercot("idem-ercot"), "tester")
    again = apply(engine, _ercot("idem-ercot"), "someone else")
    assert (again.version, again.applied) == (1, False)
    with engine.connect() as conn:
        exported = export_toml(conn, "idem-ercot")
    from_export = parse_campus_text("exported.toml", exported.encode(), None)
    assert apply(engine, from_export, "tester").applied is False
    with engine.connect() as conn:
        assert [h["version"] for h in history(conn, "idem-ercot")] == [1]


def test_an_amendment_adds_a_version_and_keeps_the_old_one(engine: Engine) -> None:
    """A fixed-price amendment and a move-out: version 2; the contract gains a version, v1 is unchanged."""
    apply(engine, _ercot("amend-ercot"), "tester")

    def amend(raw: dict) -> None:
        mesquite = next(c for c in raw["contracts"] if c["key"] == "mesquite-cloud-supply")
        mesquite["versions"].append({"effective_from": "2026-10-15", "terms": {"price_usd_per_mwh": "73.00"}})
        raw["tenants"][2]["move_out"] = "2026-12-01"

    result = apply(engine, _ercot("amend-ercot", amend), "tester")
    assert result.version == 2
    assert result.changes == ["~ tenant mesquite-cloud: move_out (unset) -> 2026-12-01",
                              "+ contract mesquite-cloud-supply v2: from 2026-10-15"]
    with engine.connect() as conn:
        prices = conn.execute(text("SELECT version, supply_price_usd_per_mwh FROM contract WHERE campus_id ="
                                   " 'amend-ercot' ORDER BY version")).all()
        assert [(v, str(p)) for v, p in prices] == [(1, "71.250000"), (2, "73.000000")]
        assert show(conn, "amend-ercot", 1)["document"]["tenants"][2].get("move_out") is None


def test_a_history_rewrite_is_refused_and_stores_nothing(engine: Engine) -> None:
    apply(engine, _ercot("refuse-ercot"), "tester")

    def rewrite(raw: dict) -> None:
        raw["meters"] = [m for m in raw["meters"] if m["id"] != "COOL-SHARED"]
        raw["tenants"].append({"id": "newcomer", "name": "New", "invoice_prefix": "NW"})
        raw["meters"].append({"id": "NW-HALL", "role": "tenant_consumption", "tenant": "newcomer", "unit": "kWh"})
        raw["contracts"].append({"key": "newcomer-supply", "kind": "fixed_price", "tenant": "newcomer",
                                 "versions": [{"effective_from": "2026-01-01", "terms": {"price_usd_per_mwh": 1}}]})

    with pytest.raises(CampusChangeRefused, match="meter COOL-SHARED cannot be removed"):
        apply(engine, _ercot("refuse-ercot", rewrite), "tester")
    assert _count(engine, "tenant", "refuse-ercot") == 3
    assert _count(engine, "campus_version", "refuse-ercot") == 1


async def test_put_campus_over_http_plans_applies_and_names_bad_input(engine: Engine, tmp_path: Path) -> None:
    """dry_run changes nothing; a bad file is 422 with file, line and field; the id must match the URL."""
    settings = Settings(home=tmp_path, database_url="postgresql://unused")
    app = create_app(settings, engine, None, authenticate=lambda request: Principal("ops", frozenset({"operator"})))
    text_body = ERCOT_FILE.read_text().replace('id = "lonestar-campus"', 'id = "http-ercot"')
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        headers = {"Content-Type": "application/toml"}
        named_file = await http.put("/campuses/http-ercot", content=text_body, headers=headers)
        assert named_file.status_code == 422
        assert "urdb_file" in named_file.text and "inline" in named_file.text
        inline = tomli_w.dumps(read_campus_file(ERCOT_FILE).document).replace(
            'id = "lonestar-campus"', 'id = "http-ercot"')
        planned = await http.put("/campuses/http-ercot?dry_run=true", content=inline, headers=headers)
        assert planned.status_code == 200 and planned.json()["changes"][0] == "+ campus http-ercot: Lone Star AI Campus"
        assert _count(engine, "campus_version", "http-ercot") == 0
        applied = await http.put("/campuses/http-ercot", content=inline, headers=headers)
        assert applied.status_code == 200 and applied.json()["version"] == 1
        wrong = await http.put("/campuses/other-id", content=inline, headers=headers)
        assert wrong.status_code == 422 and "campus.id" in wrong.text
        broken = await http.put("/campuses/http-ercot", content=inline.replace('role = "shared_consumption"', 'role = "shared"')
                                .replace('rated_kw = 60000', 'rated_kw = "lots"'), headers=headers)
        assert broken.status_code == 422
        assert {p["field"] for p in broken.json()["problems"]} == {"meters[0].rated_kw", "meters[3].role"}
        listed = await http.get("/campuses")
        assert {"campus_id": "http-ercot", "name": "Lone Star AI Campus", "iso": "ERCOT",
                "time_zone": "America/Chicago", "version": 1} in listed.json()
        meters = await http.get("/campuses/http-ercot/meters")
        assert {m["meter_id"] for m in meters.json()} >= {"LH-HALL2", "BB-HALL3"}
