"""`wattledger tariff bill` end to end on files: JSON with the documented keys and hand-worked totals; bad input
exits with code 2 and a message naming the file and line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tests.unit.settlement.tariff_fixtures import load_csv, rate_json, two_period_rate, utc
from wattledger_cli.tariff import app

MONTH_KEYS = {"energy_kwh", "peak_kw", "energy_charge_usd", "demand_tou_charge_usd", "demand_flat_charge_usd",
              "fixed_charge_usd", "minimum_charge_usd", "total_usd"}


def test_bill_prints_monthly_json_with_holidays_file(tmp_path: Path) -> None:
    """15-minute load on Mon Mar 9 2026 (a holiday from the file) 14:00-14:30 MDT: 10 + 20 kWh, so off-peak at
    0.10 $/kWh (30 kWh, first tier) = 3.00; peak 20 kWh / 0.25 h = 80 kW -> flat 50 x 5 + 30 x 4 = 370;
    TOU demand off-peak rate 0; fixed 1 day x 1 = 1. Total 374."""
    (tmp_path / "rate.json").write_text(rate_json(two_period_rate()))
    start = utc(2026, 3, 9, 20)
    rows = [(start, "10"), (start.replace(minute=15), "20")]
    (tmp_path / "load.csv").write_text(load_csv(rows))
    (tmp_path / "holidays.txt").write_text("# observed\n2026-03-09\n")
    outcome = CliRunner().invoke(app, ["bill", "--urdb", str(tmp_path / "rate.json"), "--load",
                                       str(tmp_path / "load.csv"), "--tz", "America/Denver", "--holidays",
                                       str(tmp_path / "holidays.txt")])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    month = result["months"][0]
    assert MONTH_KEYS <= set(month)
    assert (Decimal(month["energy_kwh"]), Decimal(month["peak_kw"])) == (Decimal(30), Decimal(80))
    assert Decimal(month["energy_charge_usd"]) == Decimal("3.00")
    assert Decimal(month["demand_flat_charge_usd"]) == Decimal(370)
    assert Decimal(result["total_usd"]) == Decimal(374)


def test_bad_holiday_line_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    """A holiday file line that is not a date stops the run with exit code 2 and says where."""
    (tmp_path / "rate.json").write_text(rate_json(two_period_rate()))
    (tmp_path / "load.csv").write_text(load_csv([(utc(2026, 3, 9, 20), "1")]))
    (tmp_path / "h.txt").write_text("2026-01-01\nJuly 4\n")
    outcome = CliRunner().invoke(app, ["bill", "--urdb", str(tmp_path / "rate.json"), "--load",
                                       str(tmp_path / "load.csv"), "--tz", "America/Denver", "--holidays",
                                       str(tmp_path / "h.txt")])
    assert outcome.exit_code == 2
    assert "h.txt, line 2" in outcome.output


def test_compare_ranks_tariffs_cheapest_first(tmp_path: Path) -> None:
    """The same 30 kWh (Mar 9 2026, holiday-free, on-peak hour 14:00 MDT) under the two-period rate costs
    30 x 0.20 = 6 energy + 30 kW x 10 TOU demand + 30 x 5 flat + 1 fixed = 457; under a flat 0.30 $/kWh rate
    it costs 9. The flat rate is listed first."""
    (tmp_path / "tou.json").write_text(rate_json(two_period_rate()))
    flat = {"name": "Flat", "energyratestructure": [[{"rate": 0.30}]], "energyweekdayschedule": [[0] * 24] * 12,
            "energyweekendschedule": [[0] * 24] * 12}
    (tmp_path / "flat.json").write_text(rate_json(flat))
    (tmp_path / "load.csv").write_text(load_csv([(utc(2026, 3, 9, 20), "30")]))
    outcome = CliRunner().invoke(app, ["compare", "--urdb", str(tmp_path / "tou.json"), "--urdb",
                                       str(tmp_path / "flat.json"), "--load", str(tmp_path / "load.csv"),
                                       "--tz", "America/Denver"])
    assert outcome.exit_code == 0, outcome.output
    ranked = json.loads(outcome.stdout)
    assert [(Path(r["urdb"]).name, Decimal(r["total_usd"])) for r in ranked] == [
        ("flat.json", Decimal(9)), ("tou.json", Decimal(457))]


def test_bill_takes_an_export_file_and_credits_it_under_the_tariffs_dgrules(tmp_path: Path) -> None:
    """Net billing, instantaneous: Tue Mar 10 2026 02:00 MDT (off-peak) imports 30 kWh at 0.10 = 3.00; 03:00 MDT
    exports 20 kWh, an hour missing from the load file, credited at off-peak sell 0.03 = 0.60. Peak 30 kW -> flat
    demand 150, fixed 1: total 3.00 + 150 + 1 - 0.60 = 153.40."""
    rate = two_period_rate(dgrules="Net Billing Instantaneous")
    rate["energyratestructure"][0] = [{"rate": "0.10", "sell": "0.03"}]
    (tmp_path / "rate.json").write_text(rate_json(rate))
    (tmp_path / "load.csv").write_text(load_csv([(utc(2026, 3, 10, 8), "30")]))
    (tmp_path / "export.csv").write_text(load_csv([(utc(2026, 3, 10, 9), "20")]))
    outcome = CliRunner().invoke(app, ["bill", "--urdb", str(tmp_path / "rate.json"), "--load",
                                       str(tmp_path / "load.csv"), "--export", str(tmp_path / "export.csv"),
                                       "--tz", "America/Denver"])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    month = result["months"][0]
    assert result["metering"] == "net_billing_instantaneous"
    assert (Decimal(month["energy_kwh"]), Decimal(month["export_kwh"])) == (Decimal(30), Decimal(20))
    assert Decimal(month["export_credit_usd"]) == Decimal("-0.60")
    assert Decimal(result["total_usd"]) == Decimal("153.40")


def test_a_malformed_tier_table_exits_2_naming_file_field_and_row(tmp_path: Path) -> None:
    """Decreasing tier bounds (100 then 50 kWh) are refused: exit code 2, the file, the field and the tier row."""
    rate = two_period_rate()
    rate["energyratestructure"][0] = [{"max": 100, "rate": 0.1}, {"max": 50, "rate": 0.12}, {"rate": 0.14}]
    (tmp_path / "rate.json").write_text(rate_json(rate))
    (tmp_path / "load.csv").write_text(load_csv([(utc(2026, 3, 9, 20), "1")]))
    for command in (["bill"], ["compare", "--urdb", str(tmp_path / "rate.json")]):
        outcome = CliRunner().invoke(app, [*command, "--urdb", str(tmp_path / "rate.json"), "--load",
                                           str(tmp_path / "load.csv"), "--tz", "America/Denver"])
        assert outcome.exit_code == 2, outcome.output
        assert "rate.json, field 'energyratestructure[0][1].max'" in outcome.output
        assert "tier row 1" in outcome.output and "Traceback" not in outcome.output


def test_demand_window_option_measures_rolling_windows(tmp_path: Path) -> None:
    """30-minute window, 15-minute rows Tue Mar 10 2026 14:00-15:00 MDT of 10, 30, 20, 4 kWh: block peak 80 kW,
    rolling peak (14:15-14:45) 100 kW; an unknown kind exits 2."""
    (tmp_path / "rate.json").write_text(rate_json(two_period_rate(demandwindow=30)))
    start = utc(2026, 3, 10, 20)
    rows = [(start.replace(minute=15 * index), kwh) for index, kwh in enumerate(["10", "30", "20", "4"])]
    (tmp_path / "load.csv").write_text(load_csv(rows))
    peaks = {}
    for kind in ("block", "rolling", "sliding"):
        outcome = CliRunner().invoke(app, ["bill", "--urdb", str(tmp_path / "rate.json"), "--load",
                                           str(tmp_path / "load.csv"), "--tz", "America/Denver",
                                           "--demand-window", kind])
        peaks[kind] = Decimal(json.loads(outcome.stdout)["months"][0]["peak_kw"]) if outcome.exit_code == 0 \
            else outcome.exit_code
    assert peaks == {"block": Decimal(80), "rolling": Decimal(100), "sliding": 2}
