"""`wattledger market prices` reads the SPP, MISO, ISO-NE and PJM CSV formats into PRICE_SCHEMA Parquet, and a
bad file ends in one line naming file, line and field (exit 1), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from market_adapters.prices import price_rows, read_prices_parquet
from wattledger_cli.market import app

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("file_format", "name", "count", "iso"), [
    ("spp-da", "spp/DA-LMP-SL-202511020100.csv", 56, "SPP"),
    ("spp-rt", "spp/RTBM-LMP-DAILY-SL-20251102-excerpt.csv", 10, "SPP"),
    ("miso-da-expost", "miso/20251102_da_expost_lmp.csv", 72, "MISO"),
    ("miso-rt-final", "miso/miso-data-exchange-real-time-lmp-expost.json", 1, "MISO"),
    ("isone-da-hourly", "isone/WW_DALMP_ISO_20260308.csv", 46, "ISONE"),
    ("isone-rt-hourly", "isone/lmp_rt_final_20251102.csv", 50, "ISONE"),
    ("pjm-csv", "pjm/da_hrl_lmps-20250309.csv", 23, "PJM"),
])
def test_each_new_format_becomes_price_parquet(file_format, name, count, iso, tmp_path):
    """Row counts: 25 or 23 hours per node on the DST days (24 for MISO, which keeps EST), one JSON item; SPP's
    fall-back excerpt has its two hubs' 25 hours and three hours of two other locations (50 + 6)."""
    out = tmp_path / "p.parquet"
    result = CliRunner().invoke(app, ["prices", file_format, str(FIXTURES / name), str(out)])
    assert result.exit_code == 0, result.output
    rows = price_rows(read_prices_parquet(str(out)))
    assert len(rows) == count and {row.iso for row in rows} == {iso}
    assert f"{count} prices" in result.output


def test_bad_file_is_one_line_naming_file_line_and_field(tmp_path):
    """An ISO-NE "02X" on an ordinary day: exit 1, `Error: <file>, line 3, field 'Hour Ending': ...`."""
    bad = tmp_path / "WW_DALMP_ISO_20250715.csv"
    bad.write_text('"C","Day-Ahead Energy Market Hourly LMP Report"\n'
                   '"H","Date","Hour Ending","Location ID","Location Name","Location Type",'
                   '"Locational Marginal Price","Energy Component","Congestion Component","Marginal Loss Component"\n'
                   '"D","07/15/2025","02X","4000",".H.INTERNAL_HUB","HUB",1,1,0,0\n')
    result = CliRunner().invoke(app, ["prices", "isone-da-hourly", str(bad), str(tmp_path / "p.parquet")])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"Error: {bad}, line 3, field 'Hour Ending': ") and "not a fall-back day" in line
    assert result.exception is None or isinstance(result.exception, SystemExit)
