"""A real billing cycle (HTTP API → Temporal dev server → worker → PostgreSQL) and its emissions afterwards.

Proves: the tenant statements, the campus report (HTML and PDF) and the exports exist the moment the settlement
is recorded, without any restatement; a restatement (a stack-test override on the gas turbine) posts its delta
legs to the ledger as an adjustment of the posted settlement in the same transaction as version 2, and is
refused, storing nothing, while the settlement still waits for approval; and after it the ledger, the tenant
statements, the parties export and the report all carry the same grams.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client

from billing.registration import inbox_folder
from demo.campus import TENANTS
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle

CAMPUS_ID = "it-esg-campus"
PERIOD = "2026-10"
CYCLE_ID = f"cycle:{CAMPUS_ID}:{PERIOD}"


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   CAMPUS_ID, "test.wattledger/esg-cycle") as stack:
        yield stack


def _carbon_balances(engine: Engine, settings: Settings) -> dict[str, int]:
    from ledger.balances import balances

    with engine.connect() as conn:
        return {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin)
                if b.asset_code == "TCO2E/6" and b.posted_minor}


async def _figures_everywhere(http: httpx.AsyncClient) -> dict[str, dict[str, int]]:
    """Each tenant's location-based Scope 2 and Scope 3 cat. 3 grams from the statements and the parties export."""
    export = await http.get(f"/esg/cycles/{CYCLE_ID}/exports/parties.csv")
    assert export.status_code == 200, export.text
    rows = {row["party"]: row for row in csv.DictReader(io.StringIO(export.text)) if row["kind"] == "tenant"}
    figures: dict[str, dict[str, int]] = {"statement": {}, "export": {}}
    for tenant in TENANTS:
        statement = await http.get(f"/esg/cycles/{CYCLE_ID}/tenants/{tenant.tenant_id}/statement")
        assert statement.status_code == 200, statement.text
        lines = {line["label"]: line["g_co2e"] for line in statement.json()["lines"]}
        figures["statement"][tenant.tenant_id] = lines["Scope 2, location-based"]
        figures["statement"][f"{tenant.tenant_id}:scope3_cat3"] = lines[
            "Scope 3 category 3 (fuel- and energy-related)"]
        figures["export"][tenant.tenant_id] = int(rows[tenant.tenant_id]["scope2_location_g_co2e"])
        figures["export"][f"{tenant.tenant_id}:scope3_cat3"] = int(rows[tenant.tenant_id]["scope3_cat3_g_co2e"])
    return figures


async def _sums_agree(http: httpx.AsyncClient, balances: dict[str, int]) -> None:
    """Campus figures: the report's gram column, the campus export and the ledger's sources are equal; the parties
    export's location-based Scope 2 and cat. 3 columns sum to what the ledger's carriers hold."""
    report = (await http.get(f"/esg/cycles/{CYCLE_ID}/report.html")).text
    campus = {row["figure"]: int(row["g_co2e"]) for row in csv.DictReader(io.StringIO(
        (await http.get(f"/esg/cycles/{CYCLE_ID}/exports/campus.csv")).text))}
    parties = list(csv.DictReader(io.StringIO((await http.get(f"/esg/cycles/{CYCLE_ID}/exports/parties.csv")).text)))
    for label, account, figure in (("Scope 1", "scope1", "scope1"),
                                   ("Scope 2 location", "scope2", "scope2_location"),
                                   ("Scope 3 cat. 3", "scope3_cat3", "scope3_cat3")):
        ledger_g = -balances.get(f"campus:{CAMPUS_ID}:emissions:{account}", 0)
        assert campus[figure] == ledger_g, label
        row = re.search(rf"<td>{re.escape(label)}</td><td class=\"num\">[0-9.,]+</td><td class=\"num\">([0-9,]+)</td>",
                        report)
        assert row is not None and int(row.group(1).replace(",", "")) == ledger_g, label
    carriers = {path: grams for path, grams in balances.items() if grams > 0}
    assert sum(int(p["scope2_location_g_co2e"]) for p in parties) == sum(
        g for path, g in carriers.items() if path.endswith(":emissions") or re.search(r":retained:[^:]+$", path))
    assert sum(int(p["scope3_cat3_g_co2e"]) for p in parties) == sum(
        g for path, g in carriers.items() if path.endswith(":scope3_cat3"))


def _ledger_figures(balances: dict[str, int]) -> dict[str, int]:
    out = {}
    for tenant in TENANTS:
        out[tenant.tenant_id] = balances.get(f"tenant:{tenant.tenant_id}:emissions", 0)
        out[f"{tenant.tenant_id}:scope3_cat3"] = balances.get(f"tenant:{tenant.tenant_id}:emissions:scope3_cat3", 0)
    return out


async def test_emissions_exist_at_settlement_and_a_restatement_keeps_ledger_and_reports_equal(
    api, engine: Engine, database_url: str, tmp_path, monkeypatch
) -> None:
    http, settings, _ = api
    write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 10, seed=11)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle = await wait_for_cycle(http, CYCLE_ID, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]

    # The moment the settlement is recorded: statements, report and exports, with no restatement run.
    versions = (await http.get(f"/esg/cycles/{CYCLE_ID}/versions")).json()["versions"]
    assert [(v["version"], v["reason"]) for v in versions] == [(1, "as settled")]
    assert versions[0]["ledger_idempotency_key"] == f"{CYCLE_ID}:settlement:v1"
    report = await http.get(f"/esg/cycles/{CYCLE_ID}/report.html")
    assert report.status_code == 200 and "Greenhouse gas" in report.text
    pdf = await http.get(f"/esg/cycles/{CYCLE_ID}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    settled = await _figures_everywhere(http)
    text_statement = (await http.get(f"/esg/cycles/{CYCLE_ID}/tenants/acme-ai/statement",
                                     params={"format": "text"})).text
    assert "Emissions statement, Acme AI Inc." in text_statement and "Version 1 (as settled)" in text_statement
    assert settled["statement"] == settled["export"]
    assert all(settled["statement"][t.tenant_id] > 0 for t in TENANTS)

    override = {"override_id": f"{CAMPUS_ID}-stack-test", "campus_id": CAMPUS_ID, "meter_id": "GT1-FUEL",
                "kind": "stack_test", "parameter": "co2_kg_per_mmbtu", "value": "58.00",
                "valid_from": "2026-10-01", "reason": "stack test 2026-11-03, report ST-114"}
    assert (await http.post("/esg/overrides", json=override)).status_code == 201, "override recorded"
    early = await http.post(f"/esg/cycles/{CYCLE_ID}/restate", json={"reason": "stack test"})
    assert early.status_code == 409 and "not posted yet" in early.json()["detail"], early.text
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM esg_cycle_emissions WHERE cycle_key = :k"),
                              {"k": CYCLE_ID}).scalar_one()
    assert stored == 0, "a refused restatement stores no version"

    approved = await http.post(f"/cycles/{CYCLE_ID}/approve", json={"approver": "test.staff", "comment": "ok"})
    assert approved.status_code == 200, approved.text
    cycle = await wait_for_cycle(http, CYCLE_ID, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]
    balances = _carbon_balances(engine, settings)
    assert _ledger_figures(balances) == settled["statement"], "ledger = statements"
    await _sums_agree(http, balances)

    # Acme AI retires 50 MWh of New York wind RECs for October: recorded in the ledger, applied by the restatement.
    lot = {"lot_id": f"{CAMPUS_ID}-nyrec-1", "instrument": "REC", "technology": "wind", "zone": "NYUP",
           "vintage_start_utc": "2026-10-01T04:00:00Z", "vintage_end_utc": "2026-11-01T04:00:00Z",
           "energy_wh": 50_000_000, "emission_rate_g_co2e_per_mwh": 0, "registry": "NYGATS",
           "serial_prefix": "NY-WIND-2026-10", "serial_start": 1001, "serial_end": 1050, "location": "US-NY",
           "facility": "Tug Hill Wind"}
    assert (await http.post("/esg/certificates/lots", json=lot)).status_code == 201
    claim = {"claim_id": f"{CAMPUS_ID}-acme-2026-10", "lot_id": lot["lot_id"], "campus_id": CAMPUS_ID,
             "beneficiary": "tenant:acme-ai", "energy_wh": 50_000_000,
             "consumption_start_utc": cycle["period_start_utc"], "consumption_end_utc": cycle["period_end_utc"]}
    claimed = await http.post("/esg/certificates/claims", json=claim)
    assert claimed.status_code == 201, claimed.text

    restated = await http.post(f"/esg/cycles/{CYCLE_ID}/restate", json={"reason": "stack test ST-114"})
    assert restated.status_code == 200, restated.text
    body = restated.json()
    assert (body["status"], body["version"]) == ("restated", 2)
    assert body["ledger_idempotency_key"] == f"{CYCLE_ID}:esg-restatement:v2"
    assert body["delta"]["campus_g_co2e"]["campus_scope1_g_co2e"] > 0, "58 kg/MMBtu is above the 53.06 default"

    after = await _figures_everywhere(http)
    balances = _carbon_balances(engine, settings)
    assert after["statement"] == after["export"] == _ledger_figures(balances)
    await _sums_agree(http, balances)
    assert after["statement"] != settled["statement"]
    emissions = (await http.get(f"/esg/cycles/{CYCLE_ID}/emissions")).json()
    assert -balances[f"campus:{CAMPUS_ID}:emissions:scope1"] == emissions["campus_scope1_g_co2e"]
    assert sum(balances.values()) == 0
    versions = (await http.get(f"/esg/cycles/{CYCLE_ID}/versions")).json()["versions"]
    assert [(v["version"], v["reason"], v["ledger_idempotency_key"]) for v in versions] == [
        (1, "as settled", f"{CYCLE_ID}:settlement:v1"),
        (2, "stack test ST-114", f"{CYCLE_ID}:esg-restatement:v2"),
    ]
    verify = (await http.get("/ledger/verify")).json()
    assert verify["ok"] is True

    # The report of version 2: names, not ids; the restatement note; the same grams as the ledger.
    report = (await http.get(f"/esg/cycles/{CYCLE_ID}/report.html", params={"base_year": 2025})).text
    for tenant in TENANTS:
        assert f"<td>{tenant.tenant_id}</td>" not in report, "tenants are named, not identified"
    assert "Acme AI Inc." in report and "Hudson Valley Power LLC" in report and "Base year: 2025" in report
    assert "version 2 restates" in report and "stack test ST-114" in report
    assert "NYGATS NY-WIND-2026-10-1001 to NY-WIND-2026-10-1050" in report and "Tug Hill Wind" in report
    assert claimed.json()["retirement_ledger_key"] in report, "the report names the retirement's ledger entry"
    acme = (await http.get(f"/esg/cycles/{CYCLE_ID}/tenants/acme-ai/statement")).json()
    acme_lines = {line["label"]: line["g_co2e"] for line in acme["lines"]}
    assert (acme["tenant_name"], acme["version"], acme["version_note"]) == ("Acme AI Inc.", 2, "stack test ST-114")
    assert acme_lines["Scope 2, market-based (annual matching)"] < acme_lines["Scope 2, location-based"]
    scope1 = f"{emissions['campus_scope1_g_co2e']:,}"
    assert f'<td class="num">{scope1}</td>' in report

    # The evidence package through the CLI: interval data, factor rows and the ledger proofs of every entry.
    import hashlib
    import json

    from typer.testing import CliRunner

    from wattledger_cli.esg import app as esg_cli

    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", settings.ledger_origin)
    folder = tmp_path / "evidence"
    written = CliRunner().invoke(esg_cli, ["evidence", CYCLE_ID, str(folder), "--preparer", "Jane Preparer"])
    assert written.exit_code == 0, written.output
    intervals_sha = hashlib.sha256((folder / "intervals.parquet").read_bytes()).hexdigest()
    assert intervals_sha == emissions["inputs"]["intervals_file_sha256"]
    proofs = {p["idempotency_key"]: p for p in json.loads((folder / "ledger/inclusion_proofs.json").read_text())}
    assert set(proofs) == {f"{CYCLE_ID}:settlement:v1", f"{CYCLE_ID}:settlement:v1:post_pending",
                           f"{CYCLE_ID}:esg-restatement:v2", claimed.json()["retirement_ledger_key"]}
    from ledger.merkle import verify_inclusion

    for proof in proofs.values():  # each proof verifies against the root its signed checkpoint commits to
        verify_inclusion(proof["leaf_index"], proof["tree_size"], bytes.fromhex(proof["leaf_hash_hex"]),
                         [bytes.fromhex(node) for node in proof["proof_hex"]], bytes.fromhex(proof["root_hex"]))
        assert proof["root_hex"] and proof["checkpoint_note"].startswith(settings.ledger_origin)
    assert "Jane Preparer" in (folder / "report.html").read_text()
    missing = CliRunner().invoke(esg_cli, ["report", "cycle:nowhere:2026-10", str(tmp_path / "r.html")])
    assert missing.exit_code == 1 and "no emissions recorded for cycle cycle:nowhere:2026-10" in missing.output
