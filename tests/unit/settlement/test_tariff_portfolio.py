"""`wattledger tariff bill` over many meters in one call: a folder of load CSVs or a Parquet file of meter x
interval, one row per meter (table, --json, --csv) with hand-worked totals; bad Parquet rows are refused naming
the file, the row and the field."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from common.errors import BadInput
from settlement.tariffs import portfolio
from tests.unit.settlement.tariff_fixtures import load_csv, rate_json, two_period_rate, utc
from wattledger_cli.tariff import app

QUARTER = timedelta(minutes=15)
# Meter a: Mon Mar 9 2026 14:00 and 14:15 MDT (on-peak), 10 + 20 kWh: energy 30 x 0.20 = 6; TOU demand
# 20 kWh / 0.25 h = 80 kW x 10 = 800; flat 50 x 5 + 30 x 4 = 370; fixed 1 day x 1 = 1. Total 1177.
# Meter b: Sat Mar 7 2026 10:00 MST (off-peak), one row of 4 kWh (one row reads as an hour): energy
# 4 x (0.08 + 0.02) = 0.40; 4 kW: TOU demand at the off-peak rate 0, flat 4 x 5 = 20; fixed 1. Total 21.40.
METER_A = [(utc(2026, 3, 9, 20), "10"), (utc(2026, 3, 9, 20) + QUARTER, "20")]
METER_B = [(utc(2026, 3, 7, 17), "4")]
EXPECTED = {"a": {"meter": "a", "months": 1, "energy_kwh": "30", "peak_kw": "80",
                  "energy_charge_usd": "6.000000", "demand_charge_usd": "1170.000000", "fixed_charge_usd": "1.000000",
                  "minimum_charge_usd": "0.000000", "total_usd": "1177.000000"},
            "b": {"meter": "b", "months": 1, "energy_kwh": "4", "peak_kw": "4",
                  "energy_charge_usd": "0.400000", "demand_charge_usd": "20.000000", "fixed_charge_usd": "1.000000",
                  "minimum_charge_usd": "0.000000", "total_usd": "21.400000"}}


def _bill(tmp_path: Path, load: Path, *extra: str) -> Any:
    (tmp_path / "rate.json").write_text(rate_json(two_period_rate()))
    return CliRunner().invoke(app, ["bill", "--urdb", str(tmp_path / "rate.json"), "--load", str(load),
                                    "--tz", "America/Denver", *extra])


def _parquet(path: Path, rows: list[tuple[str, datetime, int]], **types: pa.DataType) -> Path:
    table = pa.table({"meter_id": pa.array([row[0] for row in rows], types.get("meter_id", pa.string())),
                      "interval_start_utc": pa.array([row[1] for row in rows], pa.timestamp("us", tz="UTC")),
                      "energy_wh": pa.array([row[2] for row in rows], types.get("energy_wh", pa.int64())),
                      "quality": pa.array([0] * len(rows), pa.uint8())})
    pq.write_table(table, path)
    return path


def _wh_rows(meter: str, rows: list[tuple[datetime, str]]) -> list[tuple[str, datetime, int]]:
    return [(meter, start, int(kwh) * 1000) for start, kwh in rows]


def test_a_folder_of_load_files_is_billed_one_row_per_meter(tmp_path: Path) -> None:
    folder = tmp_path / "loads"
    folder.mkdir()
    (folder / "b.csv").write_text(load_csv(METER_B))
    (folder / "a.csv").write_text(load_csv(METER_A))
    (folder / "notes.txt").write_text("not a load")
    outcome = _bill(tmp_path, folder, "--json")
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.stdout) == [EXPECTED["a"], EXPECTED["b"]]
    table = _bill(tmp_path, folder)
    assert table.exit_code == 0 and "1177.000000" in table.stdout and "21.400000" in table.stdout


def test_a_parquet_file_of_meter_by_interval_bills_the_same(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "loads.parquet", _wh_rows("a", METER_A) + _wh_rows("b", METER_B))
    outcome = _bill(tmp_path, path, "--csv")
    assert outcome.exit_code == 0, outcome.output
    assert list(csv.DictReader(io.StringIO(outcome.stdout))) == [
        {key: str(value) for key, value in EXPECTED[meter].items()} for meter in ("a", "b")]


def test_one_load_file_as_one_csv_row(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(load_csv(METER_A))
    outcome = _bill(tmp_path, tmp_path / "a.csv", "--csv")
    assert outcome.exit_code == 0, outcome.output
    assert [row["total_usd"] for row in csv.DictReader(io.StringIO(outcome.stdout))] == ["1177.000000"]


def test_export_needs_one_load_file(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "loads.parquet", _wh_rows("a", METER_A))
    (tmp_path / "export.csv").write_text(load_csv(METER_A))
    outcome = _bill(tmp_path, path, "--export", str(tmp_path / "export.csv"))
    assert outcome.exit_code == 2
    assert "give one load file, without --csv, with --export" in outcome.output


def test_a_bad_load_file_in_the_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "loads"
    folder.mkdir()
    (folder / "a.csv").write_text(load_csv(METER_A))
    (folder / "b.csv").write_text(load_csv(METER_B) + "2026-03-07T16:00:00+00:00,1\n")
    outcome = _bill(tmp_path, folder)
    assert outcome.exit_code == 2
    assert "b.csv, line 3, field 'interval_start'" in outcome.output


A_ROWS = _wh_rows("a", METER_A)


@pytest.mark.parametrize(("rows", "row", "field", "reason"), [
    (A_ROWS + _wh_rows("b", METER_B) + A_ROWS[:1], 4, "meter_id", "not together"),
    ([A_ROWS[1], A_ROWS[0]], 2, "interval_start_utc", "duplicate or disorder"),
    ([A_ROWS[0], ("a", A_ROWS[0][1] + timedelta(seconds=90), 1)], 2, "interval_start_utc", "whole number of minutes"),
    ([A_ROWS[0], ("a", A_ROWS[1][1], -1)], 2, "energy_wh", "not an energy"),
    ([("a", utc(2026, 1, 1, 0), 10**9 + 1)], 1, "energy_wh", "not an energy"),
])
def test_a_bad_parquet_row_is_refused_by_row_and_field(tmp_path: Path, rows: list[tuple[str, datetime, int]],
                                                        row: int, field: str, reason: str) -> None:
    path = _parquet(tmp_path / "loads.parquet", rows)
    with pytest.raises(BadInput) as refused:
        list(portfolio.meter_loads(path))
    assert (refused.value.source, refused.value.line, refused.value.field) == (str(path), row, field)
    assert reason in refused.value.reason


def test_a_parquet_file_without_a_column_or_with_an_empty_value_is_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"meter_id": ["a"], "energy_wh": [1]}), tmp_path / "no_start.parquet")
    with pytest.raises(BadInput) as missing:
        list(portfolio.meter_loads(tmp_path / "no_start.parquet"))
    assert (missing.value.field, missing.value.reason) == ("interval_start_utc", "column missing")
    pq.write_table(pa.table({"meter_id": ["a", None], "interval_start_utc": pa.array(
        [utc(2026, 1, 1, 0), utc(2026, 1, 1, 1)], pa.timestamp("us", tz="UTC")), "energy_wh": [1, 2]}),
        tmp_path / "null.parquet")
    with pytest.raises(BadInput) as empty:
        list(portfolio.meter_loads(tmp_path / "null.parquet"))
    assert (empty.value.line, empty.value.field, empty.value.reason) == (2, "meter_id", "empty")


def test_a_file_that_is_not_parquet_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "loads.parquet").write_text(load_csv(METER_A))
    with pytest.raises(BadInput) as refused:
        list(portfolio.meter_loads(tmp_path / "loads.parquet"))
    assert refused.value.source == str(tmp_path / "loads.parquet")
    assert refused.value.reason.startswith("not readable as Parquet")
