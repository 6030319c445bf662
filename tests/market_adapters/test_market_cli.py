"""`wattledger market` commands that need no database: price files to Parquet and NYISO document checks."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from devtools.fake_iso.demo import demo_state
from market_adapters.prices import price_rows, read_prices_parquet
from wattledger_cli.market import app


def test_nyiso_sample_becomes_price_parquet(shared_dir, tmp_path):
    """The real NYISO sample (15-minute real-time stamps) gives 45 rows in the Parquet file."""
    out = tmp_path / "p.parquet"
    result = CliRunner().invoke(app, ["prices", "nyiso-rt", str(shared_dir / "iso_samples" /
                                                                "nyiso_realtime_zone_lbmp_sample.csv"), str(out),
                                      "--interval-minutes", "15"])
    assert result.exit_code == 0, result.output
    rows = price_rows(read_prices_parquet(str(out)))
    assert len(rows) == 45 and {row.interval_minutes for row in rows} == {15}
    assert "45 prices" in result.output


def test_check_nyiso_reports_errors_and_exit_code(tmp_path):
    """A five-decimal MWh exits 1 and prints the record; a valid body prints OK."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"generators": [{"genPtid": 1, "dateHour": "2025-07-15T14:00:00-04:00",
                                               "meterInjectionEnergyMwh": 1.00001}]}))
    result = CliRunner().invoke(app, ["check-nyiso", str(bad)])
    assert result.exit_code == 1 and "more than 4 decimals" in result.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"generators": [{"genPtid": 1, "dateHour": "2025-07-15T14:00:00-04:00",
                                                "meterInjectionEnergyMwh": 1.5}]}))
    assert CliRunner().invoke(app, ["check-nyiso", str(good)]).output.strip() == "OK"


def test_demo_state_prices_follow_the_documented_rule():
    """The demo fake prices hour h at 20.25 + h and carries the corrected 99.50 as version 2."""
    state = demo_state(date(2025, 7, 15), 1)
    first = sorted(state.prices, key=lambda row: (row.interval_start_utc, row.version))
    assert first[0].lmp_usd_per_mwh == Decimal("20.25") and len(state.prices) == 25
    assert [row.lmp_usd_per_mwh for row in state.prices if row.version == 2] == [Decimal("99.50")]
