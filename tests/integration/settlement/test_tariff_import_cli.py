"""`wattledger tariff import` stores a real URDB response as a versioned contract: the first import is version 1,
a second one of the same key is version 2, and the stored terms keep the file's exact rates."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from settlement.contracts import contract_history, tariff_terms
from tests.integration.settlement.settlement_demo import DemoCampus
from wattledger_cli.tariff import app

XCEL = Path(__file__).resolve().parents[2] / "unit" / "settlement" / "data" / "urdb_xcel_re_tou_response.json"


def test_import_twice_gives_two_versions_with_exact_rates(engine: Engine, database_url: str, demo_campus: DemoCampus,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Period 4 of the Xcel rate is 0.17246 + 0.047412 = 0.219872 $/kWh, read back exactly from the database."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    args = ["import", "--urdb", str(XCEL), "--campus", demo_campus.campus_id, "--key", "alpha-tariff",
            "--tenant", "alpha", "--effective-from", "2026-01-01"]
    first = CliRunner().invoke(app, args)
    second = CliRunner().invoke(app, [*args[:-1], "2026-07-01"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert (json.loads(first.stdout)["version"], json.loads(second.stdout)["version"]) == (1, 2)
    with engine.connect() as conn:
        stored = contract_history(conn, demo_campus.campus_id, "alpha-tariff")
    assert [(c.version, c.effective_from.isoformat()) for c in stored] == [(1, "2026-01-01"), (2, "2026-07-01")]
    assert tariff_terms(stored[0]).tariff.energy_periods[4][0].rate_usd == Decimal("0.219872")


def test_import_for_an_unknown_campus_exits_2(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A campus that does not exist is reported, with exit code 2, and nothing is stored."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    outcome = CliRunner().invoke(app, ["import", "--urdb", str(XCEL), "--campus", "nowhere", "--key", "k",
                                       "--effective-from", "2026-01-01"])
    assert outcome.exit_code == 2
    assert "nowhere" in outcome.output
