"""The ISO node registry on PostgreSQL through the CLI (`wattledger market nodes`, `wattledger campus plan|apply`)
and the API: lists load once, a newer list closes what disappeared, and a campus's settlement point is checked
against the registry of its ISO. Counts are read off the fixtures in tests/market_adapters/node_lists by hand."""

from __future__ import annotations

import json
import uuid
import zipfile
from datetime import date
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.app import create_app
from api.principal import Principal
from common.errors import Conflict
from market_adapters.caiso import OasisRequestFailed
from market_adapters.nodes import load_node_list
from settings import Settings
from wattledger_cli.campus import app as campus_app
from wattledger_cli.market import app as market_app

LISTS = Path(__file__).resolve().parents[2] / "market_adapters" / "node_lists"


def _env(database_url: str) -> dict[str, str]:
    return {"WATTLEDGER_DATABASE_URL": database_url}


def test_ercot_lists_load_once_and_a_newer_one_closes_what_disappeared(database_url, tmp_path):
    """June: 16 nodes all opened. July: 16 nodes, QUEENSOL_RN opened, AJAXWIND_RN closed on 2026-07-01 (kept).
    June again: a no-op. A list dated before July: refused."""
    runner, env = CliRunner(), _env(database_url)

    def load(path: Path):  # type: ignore[no-untyped-def]
        return runner.invoke(market_app, ["nodes", "load", "ercot-settlement-points", str(path)], env=env)

    june, july = LISTS / "Settlement_Points_06112026_093011.csv", LISTS / "Settlement_Points_07012026_091502.csv"
    assert load(june).output == "ERCOT ercot-settlement-points as of 2026-06-11: 16 nodes, 16 opened, 0 closed\n"
    assert load(july).output == "ERCOT ercot-settlement-points as of 2026-07-01: 16 nodes, 1 opened, 1 closed\n"
    assert load(june).output.endswith("as of 2026-06-11: 16 nodes, 16 opened, 0 closed (already loaded)\n")
    older = tmp_path / "Settlement_Points_06302026_120000.csv"
    older.write_text(june.read_text() + "\n")
    assert isinstance(load(older).exception, Conflict)

    # ERCOT publishes the mapping as a ZIP of several CSVs: the Settlement_Points member is the list (the same
    # bytes as June's, so already loaded); a ZIP without it names the problem.
    archive = tmp_path / "settlement_points_list.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Resource_Node_to_Unit_06112026_093011.csv", "RESOURCE_NODE,UNIT_SUBSTATION,UNIT_NAME\n")
        zipped.writestr(june.name, june.read_bytes())
    assert load(archive).output.endswith("as of 2026-06-11: 16 nodes, 16 opened, 0 closed (already loaded)\n")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zipped:
        zipped.writestr("Hub_Name_AND_DC_Ties_06112026_093011.csv", "HUB,BUS\n")
    assert "expected one ercot-settlement-points list in the ZIP, found 0" in str(load(empty).exception)

    # The lists loaded, newest first: July after June (the ZIP and the repeat loaded nothing new).
    listed = runner.invoke(market_app, ["nodes", "lists", "--iso", "ercot", "--json"], env=env)
    mine = [row for row in json.loads(listed.output) if row["source_name"] in (june.name, july.name)]
    assert [(row["source_name"], row["as_of"], row["node_count"], row["opened_count"], row["closed_count"])
            for row in mine] == [(july.name, "2026-07-01", 16, 1, 1), (june.name, "2026-06-11", 16, 16, 0)]
    assert {row["iso"] for row in json.loads(listed.output)} == {"ERCOT"}
    table = runner.invoke(market_app, ["nodes", "lists"], env=env)
    assert table.exit_code == 0 and "node lists loaded" in table.output

    shown = runner.invoke(market_app, ["nodes", "show", "ercot", "AJAXWIND_RN"], env=env)
    node = json.loads(shown.output)
    assert (node["node_type"], node["zone"], node["valid_from"], node["valid_to"]) == ("RN", "LZ_WEST", None,
                                                                                       "2026-07-01")
    assert (node["first_list"], node["last_list"]) == (june.name, june.name)
    listed = runner.invoke(market_app, ["nodes", "list", "ERCOT", "--type", "RN", "--on", "2026-07-15", "--json"],
                           env=env)
    assert [row["node_id"] for row in json.loads(listed.output)] == [
        "DECKER_DPG1", "QUEENSOL_RN", "STP_STP_G1", "STP_STP_G2", "WAP_WAP_G8"]


def _campus_file(folder: Path, iso: str, point: str, active_from: str = "2026-01-01T00:00:00-05:00") -> Path:
    campus_id = f"n-{uuid.uuid4().hex[:10]}"
    path = folder / f"{campus_id}.toml"
    path.write_text(f'schema_version = 1\n\n[campus]\nid = "{campus_id}"\nname = "Node check"\n'
                    f'time_zone = "America/New_York"\niso = "{iso}"\nsettlement_point = "{point}"\n\n'
                    f'[[meters]]\nid = "GI1"\nrole = "grid_import"\nunit = "kWh"\nactive_from = {active_from}\n')
    return path


def test_campus_settlement_point_is_checked_against_its_iso_registry(engine, database_url, tmp_path):
    """NYISO zones loaded: HUD VL applies; a name NYISO does not list is refused at plan and at apply, naming the
    file, line 8 and the field. PJM: a load bus terminated on 2026-03-01 cannot carry a campus open from
    2026-01-01. SPP has no registry loaded: a warning, and the file applies."""
    load_node_list(engine, "nyiso-zones", "nyiso_realtime_zone_lbmp.csv",
                   (LISTS / "nyiso_realtime_zone_lbmp.csv").read_bytes(), as_of=date(2016, 2, 18), loaded_by="test")
    load_node_list(engine, "pjm-pnodes", "pjm_pnodes.json", (LISTS / "pjm_pnodes.json").read_bytes(),
                   as_of=date(2026, 6, 1), loaded_by="test")
    runner, env = CliRunner(), _env(database_url)

    good = _campus_file(tmp_path, "NYISO", "HUD VL")
    applied = runner.invoke(campus_app, ["apply", str(good)], env=env)
    assert applied.exit_code == 0, applied.output
    assert "Warning" not in applied.output

    unknown = _campus_file(tmp_path, "NYISO", "HUDSON VALLEY")
    for command in ("plan", "apply"):
        refused = runner.invoke(campus_app, [command, str(unknown)], env=env)
        assert refused.exit_code == 1
        assert ("line 8, field 'campus.settlement_point': 'HUDSON VALLEY' is not a node of the loaded NYISO "
                "registry") in refused.output
        assert unknown.name in refused.output

    retired = _campus_file(tmp_path, "PJM", "1124361945")
    refused = runner.invoke(campus_app, ["apply", str(retired)], env=env)
    assert refused.exit_code == 1
    assert ("PJM LOAD '1124361945' is in force from 2005-05-01 to 2026-03-01, not over the campus's active period "
            "from 2026-01-01 to open end") in refused.output

    unchecked = _campus_file(tmp_path, "SPP", "SPPNORTH_HUB")
    applied = runner.invoke(campus_app, ["apply", str(unchecked)], env=env)
    assert applied.exit_code == 0, applied.output
    assert (f"Warning: {unchecked.name}: no SPP node registry is loaded, so settlement point 'SPPNORTH_HUB' was not "
            "checked") in applied.output


def _caller(request):  # type: ignore[no-untyped-def]
    role = request.headers["Authorization"].split()[-1]  # tests send "Bearer <role>"
    return Principal(role, frozenset({role}))


async def test_registry_over_http(engine, tmp_path):
    """An operator uploads the ISO-NE location list (201, then 200 for the same bytes); staff search it."""
    app = create_app(Settings(home=tmp_path, database_url="postgresql://unused"), engine, None, authenticate=_caller)
    transport = httpx.ASGITransport(app=app)
    name = "isone_rt_hourly_lmp_20250715.csv"
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        def upload():  # type: ignore[no-untyped-def]
            return client.post("/market/node-lists", headers={"Authorization": "Bearer operator"},
                               data={"list_kind": "isone-locations", "as_of": "2025-07-15"},
                               files={"file": (name, (LISTS / name).read_bytes(), "text/csv")})
        first, again = await upload(), await upload()
        assert (first.status_code, first.json()["node_count"], again.status_code) == (201, 4, 200)
        auditor = {"Authorization": "Bearer auditor"}
        zones = await client.get("/market/nodes/isone", params={"type": "load zone"}, headers=auditor)
        assert [row["name"] for row in zones.json()["nodes"]] == [".Z.MAINE", ".Z.NEMASSBOST"]
        hub = await client.get("/market/nodes/ISONE/4000", headers=auditor)
        assert (hub.json()["name"], hub.json()["node_type"]) == (".H.INTERNAL_HUB", "HUB")
        missing = await client.get("/market/nodes/ISONE/9", headers=auditor)
        assert missing.status_code == 404
        lists = await client.get("/market/node-lists", params={"iso": "isone"}, headers=auditor)
        [loaded] = [row for row in lists.json()["lists"] if row["source_name"] == name]
        assert (loaded["list_kind"], loaded["as_of"], loaded["node_count"], loaded["loaded_by"]) == (
            "isone-locations", "2025-07-15", 4, "operator")
        assert (await client.get("/market/node-lists", params={"iso": "is-ne"}, headers=auditor)).status_code == 422
        forbidden = await client.post("/market/node-lists", headers=auditor, data={"list_kind": "isone-locations"})
        assert forbidden.status_code == 403


async def test_put_campus_checks_the_settlement_point_too(engine, tmp_path):
    """Over HTTP: an unknown NYISO zone is a 422 naming the field and line; SPP (no registry) applies with a
    warning in the answer."""
    load_node_list(engine, "nyiso-zones", "nyiso_realtime_zone_lbmp.csv",
                   (LISTS / "nyiso_realtime_zone_lbmp.csv").read_bytes(), as_of=date(2016, 2, 18), loaded_by="test")
    app = create_app(Settings(home=tmp_path, database_url="postgresql://unused"), engine, None, authenticate=_caller)
    headers = {"Authorization": "Bearer operator", "Content-Type": "application/toml"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        unknown = _campus_file(tmp_path, "NYISO", "HUDSON VALLEY")
        refused = await client.put(f"/campuses/{unknown.stem}", content=unknown.read_bytes(), headers=headers)
        assert refused.status_code == 422
        [problem] = refused.json()["problems"]
        assert (problem["line"], problem["field"]) == (8, "campus.settlement_point")
        spp = _campus_file(tmp_path, "SPP", "SPPNORTH_HUB")
        applied = await client.put(f"/campuses/{spp.stem}", content=spp.read_bytes(), headers=headers)
        assert applied.status_code == 200 and applied.json()["version"] == 1
        assert applied.json()["warnings"] == [(f"PUT /campuses/{spp.stem}: no SPP node registry is loaded, so "
                                              "settlement point 'SPPNORTH_HUB' was not checked "
                                              "(wattledger market nodes load)")]


def test_caiso_apnode_list_from_an_oasis_answer_checks_a_caiso_campus(database_url, tmp_path, shared_dir):
    """The OASIS ATL_APNODE answer is a ZIP with one CSV: 9 APNodes (tests/market_adapters/node_lists, SOURCES.md);
    an OASIS error answer is refused with CAISO's code and text, nothing loaded.
    A CAISO campus at TH_SP15_GEN-APND applies with no warning; DLAP_PGAE (without -APND) is not an APNode; the
    AG node AGRICO_6_PL3N5_APND, in force to 2026-03-01, cannot carry a campus open from 2026-01-01 (Pacific)."""
    runner, env = CliRunner(), _env(database_url)
    answer = tmp_path / "ATL_APNODE.zip"
    with zipfile.ZipFile(answer, "w") as zipped:
        zipped.writestr("20260601_20260602_ATL_APNODE_N_20260601_09_15_00_v1.csv",
                        (LISTS / "caiso_ATL_APNODE_20260601.csv").read_bytes())
    loaded = runner.invoke(market_app, ["nodes", "load", "caiso-apnodes", str(answer), "--as-of", "2026-06-01"],
                           env=env)
    assert loaded.output == "CAISO caiso-apnodes as of 2026-06-01: 9 nodes, 9 opened, 0 closed\n", loaded.output
    # OASIS answers a bad query with a ZIP holding an error XML (/work/shared/iso_samples): CAISO's code and text.
    refusal = tmp_path / "INVALID_REQUEST.zip"
    with zipfile.ZipFile(refusal, "w") as zipped:
        zipped.writestr("INVALID_REQUEST.xml", (shared_dir / "iso_samples" / "caiso_oasis_error_response_sample.xml").read_bytes())
    refused_list = runner.invoke(market_app, ["nodes", "load", "caiso-apnodes", str(refusal), "--as-of", "2026-06-02"],
                                 env=env)
    assert isinstance(refused_list.exception, OasisRequestFailed)  # the CLI's main prints it as one Error line
    assert str(refused_list.exception) == "OASIS error 1001: Invalid Parameters of the given report name"
    listed = runner.invoke(market_app, ["nodes", "lists", "--iso", "caiso", "--json"], env=env)
    assert [row["as_of"] for row in json.loads(listed.output)] == ["2026-06-01"]
    pacific_new_year = "2026-01-01T00:00:00-08:00"

    hub = _campus_file(tmp_path, "CAISO", "TH_SP15_GEN-APND", pacific_new_year)
    applied = runner.invoke(campus_app, ["apply", str(hub)], env=env)
    assert applied.exit_code == 0, applied.output
    assert "Warning" not in applied.output

    unknown = _campus_file(tmp_path, "CAISO", "DLAP_PGAE", pacific_new_year)
    refused = runner.invoke(campus_app, ["plan", str(unknown)], env=env)
    assert refused.exit_code == 1
    assert "line 8, field 'campus.settlement_point': 'DLAP_PGAE' is not a node of the loaded CAISO registry" in (
        refused.output)

    closed = _campus_file(tmp_path, "CAISO", "AGRICO_6_PL3N5_APND", pacific_new_year)
    refused = runner.invoke(campus_app, ["apply", str(closed)], env=env)
    assert refused.exit_code == 1
    assert ("CAISO AG 'AGRICO_6_PL3N5_APND' is in force from 2009-04-01 to 2026-03-01, not over the campus's active "
            "period from 2026-01-01 to open end") in refused.output
