"""The `esg` CLI end to end on the test database: list factors, compute and record a cycle, restate it with
another edition, print a statement, write reports and exports, load certificates (and refuse a double claim)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from typer.testing import CliRunner

from wattledger_cli.esg import app

START = datetime(2025, 7, 1, tzinfo=UTC)
runner = CliRunner()


def test_factors_lists_editions_with_hashes():
    """Both editions are listed with the table each kind uses."""
    result = runner.invoke(app, ["factors"])
    assert result.exit_code == 0, result.output
    assert "wl-2025.1" in result.output and "epa-hub-2024/table6" in result.output


def test_compute_record_restate_statement_report_export(
    database_url, campus_id, intervals_file, tmp_path, monkeypatch
):
    """Version 1 from the read, version 2 from a corrected read with its delta; an edition not valid for the
    period is refused naming it; then the read commands on version 2."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    uri = intervals_file([("GRID1", START, 1_000_000), ("TA", START, 1_000_000)])
    corrected_uri = intervals_file([("GRID1", START, 1_100_000), ("TA", START, 1_100_000)])
    options = [
        "--campus",
        campus_id,
        "--subregion",
        "ERCT",
        "--start",
        "2025-07-01T00:00:00Z",
        "--end",
        "2025-07-01T01:00:00Z",
        "--cycle-key",
        f"k:{campus_id}",
    ]
    refused = runner.invoke(app, ["compute", uri, *options, "--edition", "wl-2024.1"])
    assert refused.exit_code == 1 and "wl-2024.1" in refused.output and "nothing was stored" in refused.output
    first = runner.invoke(app, ["compute", uri, *options, "--edition", "wl-2025.1"])
    second = runner.invoke(app, ["compute", corrected_uri, *options, "--reason", "meter corrected"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert json.loads(first.output)["recorded"] == {"status": "recorded", "version": 1}
    restated = json.loads(second.output)["recorded"]
    # 1 MWh ERCT: eGRID2023 740.832 lb x 453.59237 g/lb = 336,035.74 g -> 336,036; 1.1 MWh: 369,639.32 -> 369,639.
    # T&D losses (cat. 3 C) use the 4.2 % grid gross loss: rate x 0.042 / 0.958.
    loss_ratio = Decimal("0.042") / Decimal("0.958")
    losses_g = int((Decimal("336035.74265184") * loss_ratio).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    losses_corrected_g = int(
        (Decimal("336035.74265184") * Decimal("1.1") * loss_ratio).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    )
    assert (losses_g, losses_corrected_g) == (14_732, 16_205)
    assert restated == {
        "status": "restated",
        "version": 2,
        "delta_campus_g_co2e": {
            "campus_scope2_location_g_co2e": 369_639 - 336_036,
            "campus_scope2_market_g_co2e": 369_639 - 336_036,
            "campus_scope2_market_hourly_g_co2e": 369_639 - 336_036,
            "campus_scope3_cat3_g_co2e": losses_corrected_g - losses_g,
        },
    }
    statement = runner.invoke(app, ["statement", f"k:{campus_id}", "alpha"])
    assert "0.370 t CO2e  [measured]" in statement.output
    for name in ("report.html", "report.pdf", "parties.csv", "hourly.parquet"):
        command = (
            ["report", f"k:{campus_id}", str(tmp_path / name)]
            if name.startswith("report")
            else ["export", f"k:{campus_id}", name.split(".")[0], str(tmp_path / name)]
        )
        outcome = runner.invoke(app, command)
        assert outcome.exit_code == 0, outcome.output
        assert (tmp_path / name).stat().st_size > 100
    evidence = runner.invoke(app, ["evidence", f"k:{campus_id}", str(tmp_path / "evidence")])
    assert evidence.exit_code == 0, evidence.output
    assert (tmp_path / "evidence" / "SHA256SUMS").exists()


def test_certificates_load_refuses_a_double_claim(database_url, campus_id, tmp_path, monkeypatch):
    """The file's second claim on the same Wh fails the command with CertificateOverclaimed."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    window = {"start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat()}
    lot = {
        "lot_id": f"{campus_id}-cli",
        "instrument": "GC",
        "technology": "solar",
        "zone": "ERCT",
        "vintage_start_utc": window["start"],
        "vintage_end_utc": window["end"],
        "energy_wh": 500,
        "emission_rate_g_co2e_per_mwh": 0,
        "registry": f"test-{campus_id}",
        "serial_start": 1,
        "serial_end": 500,
        "certificate_wh": 1,
        "location": "US-TX",
    }
    claims = [
        {
            "claim_id": f"{campus_id}-cli-{i}",
            "lot_id": lot["lot_id"],
            "beneficiary": "tenant:alpha",
            "energy_wh": 300,
            "consumption_start_utc": window["start"],
            "consumption_end_utc": window["end"],
        }
        for i in range(2)
    ]
    path = tmp_path / "certificates.json"
    path.write_text(json.dumps({"lots": [lot], "claims": claims}))
    monkeypatch.setenv("WATTLEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WATTLEDGER_LEDGER_ORIGIN", f"test.esg/{campus_id}")
    outcome = runner.invoke(app, ["certificates", str(path), "--campus", campus_id])
    assert outcome.exit_code == 1
    assert f"certificate lot {lot['lot_id']}: claim of 300 Wh exceeds the 200 Wh still unclaimed" in outcome.output
    assert "nothing was stored" in outcome.output
