"""`wattledger market shadow` end to end on files: the fake ISO's three statement runs, the body we submitted and
a price Parquet file in; the per-run differences and both planted corrections out, posted to the ledger."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from devtools.fake_iso.state import FakeIsoState, PlantedCorrections, StoredMeterValue
from devtools.fake_iso.statements import plant_price_correction, statement_runs
from market_adapters.prices import PriceRow, price_table, write_prices_parquet
from wattledger_cli.market import app

DAY = date(2025, 7, 15)
EASTERN = ZoneInfo("America/New_York")
DAY_START = datetime(2025, 7, 15, 4, tzinfo=UTC)


def _fake_with_accepted_day() -> FakeIsoState:
    prices = [PriceRow("NYISO", "DA", "N.Y.C.", DAY_START + timedelta(hours=h), 60, Decimal("20.25") + h, None, None,
                       None, None, 1) for h in range(24)]
    state = FakeIsoState(users={}, metering_users=set(), generator_ptids={323999}, tie_ptids=set(), subzone_ptids=set(),
                         ptid_nodes={323999: "N.Y.C."}, prices=prices,
                         planted=PlantedCorrections(DAY_START + timedelta(hours=10), Decimal("99.50"), 323999,
                                                    DAY_START + timedelta(hours=14), Decimal("0.5")))
    plant_price_correction(state)
    for hour in range(24):
        state.metering[("generators", 323999, DAY_START + timedelta(hours=hour))] = [
            StoredMeterValue(1, {"meterInjectionEnergyMwh": Decimal(10)}, "r", DAY_START)]
    return state


def test_shadow_command_reports_runs_and_disputes(engine, database_url, nyiso_campus, tmp_path):
    """Same figures as the HTTP end-to-end test: -692.50 / +692.50 / +17.12 posted; price resolved, quantity open."""
    state = _fake_with_accepted_day()
    statements = tmp_path / "runs.json"
    statements.write_text(json.dumps(statement_runs(state, DAY)))
    document = tmp_path / "doc.json"
    records = [{"genPtid": 323999, "dateHour": (DAY_START + timedelta(hours=h)).astimezone(EASTERN).isoformat(),
                "meterInjectionEnergyMwh": 10.0} for h in range(24)]
    document.write_text(json.dumps({"generators": records}))
    prices = tmp_path / "prices.parquet"
    write_prices_parquet(price_table(state.prices), str(prices))
    env = {"WATTLEDGER_DATABASE_URL": database_url, "WATTLEDGER_LEDGER_ORIGIN": "wattledger.test/shadow-cli"}
    result = CliRunner().invoke(app, ["shadow", nyiso_campus.campus_id, "nyiso", "2025-07-15", "--statements",
                                      str(statements), "--document", str(document), "--prices", str(prices)], env=env)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    lines = result.output.splitlines()
    assert lines[:3] == [
        "INITIAL  RT_ENERGY_GEN    difference_usd_micros=-692500000 posted_delta_usd_micros=-692500000",
        "FINAL    RT_ENERGY_GEN    difference_usd_micros=0 posted_delta_usd_micros=692500000",
        "TRUEUP   RT_ENERGY_GEN    difference_usd_micros=17120000 posted_delta_usd_micros=17120000"]
    assert lines[3].split()[:4] == ["dispute", "open", "quantity", "323999"]
    assert lines[4].split()[:4] == ["dispute", "resolved_by_later_run", "price", "323999"]
