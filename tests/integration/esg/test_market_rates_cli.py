"""`wattledger esg rates add|list` on the test database: rows registered with their provenance, a file with a bad
row refused naming file, item and field with nothing stored, a changed row refused, and the same file again a
no-op. `wattledger esg compute --grid-intensity` with an hourly series file."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from typer.testing import CliRunner

from wattledger_cli.esg import app

runner = CliRunner()


def test_rates_are_registered_listed_and_never_changed(database_url, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    suffix = uuid.uuid4().hex[:8]
    rows = [
        {"rate_id": f"rm-{suffix}", "kind": "residual_mix", "zone": f"Z{suffix}", "g_co2e_per_mwh": "412345.6",
         "source": "Green-e Residual Mix Emission Rates", "edition": "2025", "valid_from": "2025-01-01",
         "valid_to": "2026-01-01"},
        {"rate_id": f"up-{suffix}", "kind": "grid_upstream", "zone": f"Z{suffix}", "g_co2e_per_mwh": "48000",
         "source": "test upstream study", "edition": "v1", "valid_from": "2025-01-01"},
    ]
    good = tmp_path / "rates.json"
    good.write_text(json.dumps({"rates": rows}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rates": [{**rows[0], "rate_id": f"other-{suffix}"}, {**rows[1], "kind": "avg"}]}))

    refused = runner.invoke(app, ["rates", "add", str(bad)])
    assert refused.exit_code == 1
    assert "bad.json, rates[1]" in refused.output and "kind" in refused.output and "nothing was stored" in refused.output
    added = runner.invoke(app, ["rates", "add", str(good)])
    assert added.exit_code == 0, added.output
    assert f"rates 2, new 2: rm-{suffix}, up-{suffix}" in added.output
    again = runner.invoke(app, ["rates", "add", str(good)])
    assert "rates 2, new 0" in again.output
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"rates": [{**rows[0], "g_co2e_per_mwh": "1"}]}))
    conflict = runner.invoke(app, ["rates", "add", str(changed)])
    assert conflict.exit_code == 1 and "already registered with different content" in conflict.output
    listed = runner.invoke(app, ["rates", "list", "--zone", f"Z{suffix}", "--json"])
    assert listed.exit_code == 0, listed.output
    row = next(row for row in json.loads(listed.output) if row["rate_id"] == f"rm-{suffix}")
    assert (row["kind"], row["zone"], row["g_co2e_per_mwh"], row["valid"]) == (
        "residual_mix", f"Z{suffix}", "412345.6", "2025-01-01 to 2026-01-01")
    assert (row["source"], row["edition"]) == ("Green-e Residual Mix Emission Rates", "2025")
    table = runner.invoke(app, ["rates", "list", "--zone", f"Z{suffix}"])
    assert f"rm-{suffix}" in table.output and "412345.6" in table.output and "┃ rate_id" in table.output
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM esg_market_rate WHERE zone = :z"),
                              {"z": f"Z{suffix}"}).scalar_one()
    assert stored == 2, "the refused file stored nothing"


EMAPS_CSV = (
    "Datetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),"
    "Carbon intensity gCO₂eq/kWh (Life cycle),Carbon-free energy percentage (CFE%),"
    "Renewable energy percentage (RE%),Data source,Data estimated,Data estimation method\n"
    "2025-07-01 00:00:00,USA,ERCOT,US-TEX-ERCO,400,450,20,18,eia.gov,false,\n"
)


def test_compute_takes_an_hourly_grid_intensity_file(database_url, campus_id, intervals_file, tmp_path, monkeypatch):
    """1 MWh imported in an hour rated 400 g/kWh (Electricity Maps, direct): 400,000 g location-based; the series
    needs the subregion it is for."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    series = tmp_path / "ercot-2025-07.csv"
    series.write_text(EMAPS_CSV, encoding="utf-8")
    uri = intervals_file([("GRID1", datetime(2025, 7, 1, tzinfo=UTC), 1_000_000),
                          ("TA", datetime(2025, 7, 1, tzinfo=UTC), 1_000_000)])
    base = ["compute", uri, "--campus", campus_id, "--start", "2025-07-01T00:00:00Z", "--end", "2025-07-01T01:00:00Z",
            "--grid-intensity", str(series)]
    refused = runner.invoke(app, base)
    assert refused.exit_code == 1 and "--subregion" in refused.output
    computed = runner.invoke(app, [*base, "--subregion", "ERCT"])
    assert computed.exit_code == 0, computed.output
    assert json.loads(computed.output)["campus_scope2_location_g_co2e"] == 400_000
