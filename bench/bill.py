"""Tariff bill benchmark: one meter-year in a running process, the whole `wattledger tariff bill` command,
`wattledger --help`, and a portfolio of meter-years billed in one `tariff bill` call.

The tariff is a real URDB record from the repository's fixtures: SCE TOU-8 Option D (six TOU energy periods, TOU
and flat demand, a fixed charge; tests/unit/settlement/data), with its 0.66 $/kVAR reactive power charge set to 0
(the engine refuses a charge it cannot bill, and a load file carries no kVAR). The load is a 20 MW data center in
America/Los_Angeles at 15 minutes for 2026: 35,040 intervals, about 5,000 kWh each.

Each figure has a naive baseline of the same work, run in the same process or the same run:
- one bill: the same call with the load read row by row (csv.DictReader, Decimal per value: the reader this
  project used before the columnar one, still its fallback); both bills must agree to the micro-dollar;
- the command and `--help`: the same command in a Python process that first imports every area's commands and
  the packages they imported at their top, as the CLI did before its commands loaded on demand, and reads the
  load row by row;
- the portfolio: one naive command per meter (a few meters timed, scaled to the portfolio), against one
  `tariff bill` call on a Parquet file of every meter; the sampled meters' totals must agree.

Run: `nice -n 0 .venv/bin/python bench/bill.py` (no database needed; `--meters` sets the portfolio, 1,000 by
default, written to a temporary Parquet file of about 0.4 GB). The last line is
`BENCH bill one_bill_ms=... command_s=... help_s=... portfolio_meter_years_per_s=...` with the baselines beside.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from settlement.tariffs import bill_tariff_json, load_file, zone_named

FIXTURE = ROOT / "tests" / "unit" / "settlement" / "data" / "urdb_sce_tou8_option_d.json"
TIME_ZONE = "America/Los_Angeles"
YEAR_START_UTC = datetime(2026, 1, 1, 8, tzinfo=UTC)  # local midnight, PST
INTERVALS = 35_040
US_PER_QUARTER = 15 * 60 * 1_000_000
AREAS = ("campus", "cycle", "schedule", "ledger", "witness", "meterdata", "tariff", "market", "esg", "invoice", "tls")
# What those areas' modules imported at their top before their commands loaded on demand (git 8afe964^).
EAGER = ("asyncio", "httpx", "rich.console", "rich.table", "sqlalchemy", "settings", "ledger", "esg.certificates",
         "esg.factors", "esg.reporting", "esg.scopes", "settlement.campus_contracts", "settlement.service",
         "settlement.tariffs", "market_adapters.price_files")
# The CLI before on-demand loading: every area and what it imported, then the command; the load read row by row.
NAIVE = ("import sys; sys.path.insert(0, {root!r}); "
         + "; ".join(f"import {module}" for module in (*EAGER, *(f"wattledger_cli.{area}" for area in AREAS)))
         + "; from settlement.tariffs import load_file; load_file.read_load_columnar = lambda *_: None"
         + "; from wattledger_cli.main import app; sys.argv[0] = 'wattledger'; app()")
# The first bill in a fresh process, its imports done: what it pays on top of a warm bill (the local calendar of
# its year; no numba kernel is compiled on this path).
FIRST_BILL = ("import sys, time; sys.path.insert(0, {root!r}); "
              "from settlement.tariffs import bill_tariff_json, zone_named; "
              "urdb = open({urdb!r}).read(); load = open({load!r}).read(); zone = zone_named({zone!r}); "
              "started = time.perf_counter(); bill_tariff_json('sce.json', urdb, 'load.csv', load, zone); "
              "print((time.perf_counter() - started) * 1000)")


def tariff_text() -> str:
    record = json.loads(FIXTURE.read_text())
    rate = record["items"][0] if "items" in record else record
    rate["demandreactivepowercharge"] = 0  # see the module docstring
    return json.dumps({"items": [rate]})


def data_center_wh(seed: int, scale: float = 1.0) -> np.ndarray:
    """A year of 15-minute energy (Wh) of a ~20 MW data center: flat IT load, a cooling swing by hour and season,
    noise."""
    rng = np.random.default_rng(seed)
    quarter = np.arange(INTERVALS)
    hour = (quarter // 4) % 24
    day = quarter // 96
    cooling_kw = 1500 * np.sin(np.pi * (hour - 6) / 24) ** 2 + 1000 * np.sin(np.pi * day / 365) ** 2
    power_kw = (18_000 + cooling_kw + rng.normal(0, 200, INTERVALS)) * scale
    energy_wh: np.ndarray = np.round(power_kw * 250).astype(np.int64)  # kW x 0.25 h x 1000 Wh/kWh
    return energy_wh


def load_csv_text(energy_wh: np.ndarray) -> str:
    starts = YEAR_START_UTC.timestamp() + np.arange(energy_wh.size) * 900
    lines = ["interval_start,energy_kwh"]
    lines += [f"{datetime.fromtimestamp(start, UTC).isoformat()},{wh // 1000}.{wh % 1000:03d}"
              for start, wh in zip(starts.tolist(), energy_wh.tolist(), strict=True)]
    return "\n".join(lines) + "\n"


def row_reader() -> Any:
    """The load read row by row (the columnar path switched off)."""
    return mock.patch.object(load_file, "read_load_columnar", lambda *_: None)


def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, float, float, Any]:
    """Median and fastest wall time (ms) of `runs` calls after a warm-up call, the median CPU time of this
    process (ms: what a call costs when other work shares the cores), and the last result."""
    action()  # warm: modules imported, the calendar of the year cached
    result = None
    times, cpu_times = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu_times), result


def run(arguments: list[str], runs: int) -> tuple[float, str]:
    """Median wall time (s) of a process over `runs`, and what it printed."""
    times, out = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, check=False,
                              env={**os.environ, "COLUMNS": "120"})
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr
        out = done.stdout
    return statistics.median(times), out


def rss_mib(arguments: list[str]) -> float:
    """Peak RSS (MiB) of one run, as /usr/bin/time reports it (the process forked from a small one: a child of
    this large process would count the pages it shared at the fork)."""
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *arguments], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def write_portfolio(path: Path, meters: int) -> None:
    """`meters` data centers of different sizes, one after the other, in the interval schema's columns."""
    starts = pa.array(YEAR_START_UTC.timestamp() * 1_000_000 + np.arange(INTERVALS, dtype=np.int64) * US_PER_QUARTER,
                      pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    schema = pa.schema([("meter_id", pa.string()), ("interval_start_utc", pa.timestamp("us", tz="UTC")),
                        ("energy_wh", pa.int64())])
    with pq.ParquetWriter(path, schema) as writer:
        for meter in range(meters):
            energy = data_center_wh(1000 + meter, scale=0.05 + (meter % 20) / 20)
            writer.write_table(pa.table({"meter_id": pa.array([f"m{meter:04d}"] * INTERVALS, pa.string()),
                                         "interval_start_utc": starts, "energy_wh": pa.array(energy)},
                                        schema=schema))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1000, help="meter-years in the portfolio call")
    parser.add_argument("--naive-meters", type=int, default=3, help="meters timed one command each (baseline)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (median)")
    args = parser.parse_args()
    wattledger = [sys.executable, "-m", "wattledger_cli.main"]
    naive = [sys.executable, "-c", NAIVE.format(root=str(ROOT))]
    urdb = tariff_text()
    load = load_csv_text(data_center_wh(7))
    zone = zone_named(TIME_ZONE)

    def one_bill() -> dict[str, Any]:
        return bill_tariff_json("sce.json", urdb, "load.csv", load, zone)

    bill_ms, best_bill_ms, bill_cpu_ms, result = median_ms(one_bill, 50)
    with row_reader():
        naive_bill_ms, _, naive_bill_cpu_ms, naive_result = median_ms(one_bill, 3)
    assert result == naive_result, "the columnar and the row-by-row reading bill differently"
    print(f"one meter-year ({INTERVALS:,} intervals, {len(load) / 1e6:.1f} MB CSV, total {result['total_usd']} USD), "
          f"warm, CSV parse included: {bill_ms:.1f} ms (median of 50; fastest {best_bill_ms:.1f} ms; CPU time "
          f"{bill_cpu_ms:.1f} ms); row by row: {naive_bill_ms:.0f} ms (CPU time {naive_bill_cpu_ms:.0f} ms)")

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "sce.json").write_text(urdb)
        (work / "load.csv").write_text(load)
        bill_args = ["tariff", "bill", "--urdb", str(work / "sce.json"), "--load", str(work / "load.csv"),
                     "--tz", TIME_ZONE]
        first_bill_ms = statistics.median(
            float(run([sys.executable, "-c", FIRST_BILL.format(root=str(ROOT), urdb=str(work / "sce.json"),
                                                                 load=str(work / "load.csv"), zone=TIME_ZONE)], 1)[1])
            for _ in range(args.runs))
        print(f"first bill in a fresh process (imports done, CSV parse included): {first_bill_ms:.1f} ms")
        command_s, printed = run([*wattledger, *bill_args], args.runs)
        assert json.loads(printed)["total_usd"] == result["total_usd"]
        naive_command_s, _ = run([*naive, *bill_args], max(1, args.runs // 2))
        command_mib, naive_command_mib = rss_mib([*wattledger, *bill_args]), rss_mib([*naive, *bill_args])
        help_s, _ = run([*wattledger, "--help"], args.runs)
        naive_help_s, _ = run([*naive, "--help"], max(1, args.runs // 2))
        help_mib, naive_help_mib = rss_mib([*wattledger, "--help"]), rss_mib([*naive, "--help"])
        print(f"tariff bill command: {command_s:.2f} s, {command_mib:.0f} MiB; every area imported and the load "
              f"read row by row: {naive_command_s:.2f} s, {naive_command_mib:.0f} MiB")
        print(f"wattledger --help: {help_s:.2f} s, {help_mib:.0f} MiB; every area imported: {naive_help_s:.2f} s, "
              f"{naive_help_mib:.0f} MiB")

        portfolio = work / "portfolio.parquet"
        write_portfolio(portfolio, args.meters)
        portfolio_s, table = run([*wattledger, "tariff", "bill", "--urdb", str(work / "sce.json"),
                                                 "--load", str(portfolio), "--tz", TIME_ZONE, "--csv"], 1)
        rows = {row["meter"]: row for row in csv.DictReader(io.StringIO(table))}
        assert len(rows) == args.meters
        started = time.perf_counter()
        for meter in range(args.naive_meters):
            (work / "one.csv").write_text(load_csv_text(data_center_wh(1000 + meter, scale=0.05 + meter % 20 / 20)))
            _, alone = run([*naive, "tariff", "bill", "--urdb", str(work / "sce.json"), "--load",
                               str(work / "one.csv"), "--tz", TIME_ZONE], 1)
            assert json.loads(alone)["total_usd"] == rows[f"m{meter:04d}"]["total_usd"], meter
        naive_per_meter_s = (time.perf_counter() - started) / args.naive_meters
        size_mb = portfolio.stat().st_size / 1e6
    per_s = args.meters / portfolio_s
    print(f"portfolio: {args.meters} meter-years ({args.meters * INTERVALS:,} intervals, {size_mb:.0f} MB Parquet) "
          f"in one call: {portfolio_s:.1f} s ({per_s:.0f} meter-years/s); one naive "
          f"command per meter: {naive_per_meter_s:.2f} s each ({1 / naive_per_meter_s:.2f} meter-years/s); "
          f"the {args.naive_meters} sampled meters agree to the micro-dollar")
    print(f"BENCH bill one_bill_ms={bill_ms:.1f} command_s={command_s:.2f} help_s={help_s:.2f} "
          f"portfolio_meter_years_per_s={per_s:.0f} one_bill_cpu_ms={bill_cpu_ms:.1f} "
          f"first_bill_ms={first_bill_ms:.1f} naive_bill_ms={naive_bill_ms:.0f} "
          f"naive_command_s={naive_command_s:.2f} naive_help_s={naive_help_s:.2f} "
          f"naive_portfolio_meter_years_per_s={1 / naive_per_meter_s:.2f} meters={args.meters}")


if __name__ == "__main__":
    main()
