"""Ingest benchmark: a campus month of site-export CSV through the cycle's ingest step.

Writes `--meters` meters x `--days` days of 5-minute readings (default 2,000 x 31 = 17.86 M readings, about
0.85 GB) as SITE_EXPORT_V1 (`meter_id,interval_start,value,unit`, kWh with three decimals, local time with its
offset), split into `--files` files by meter, then runs `meterdata.ingest_files` over them in a child process,
as the cycle's ingest does (files from the store: readings outside the period skipped), and reads that
process's peak RSS from the OS. Readings per second are over the whole step: parse, check, convert, spill,
sort, keep the latest of each interval and write `intervals.parquet`.

Rerun: `.venv/bin/python bench/ingest.py` (full) or `.venv/bin/python bench/ingest.py --meters 200 --days 7`
(quick). The last line is `BENCH ingest readings=... readings_per_s=... peak_rss_gb=...`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from meterdata import SITE_EXPORT_V1, MeterSpec, ingest_files

PERIOD_START_UTC = datetime(2026, 10, 1, 4, tzinfo=UTC)  # October in New York: one offset, -04:00, all month
OFFSET_TEXT = "-04:00"
INTERVAL_MINUTES = 5


def meter_ids(meters: int) -> list[str]:
    return [f"M{index:05d}" for index in range(meters)]


def write_files(folder: Path, meters: int, days: int, files: int, seed: int) -> tuple[list[Path], int]:
    """The site export, one file per run of meters; returns the paths and the reading count."""
    intervals = days * 24 * 60 // INTERVAL_MINUTES
    local_start = PERIOD_START_UTC.replace(tzinfo=None) - timedelta(hours=4)
    stamps = pc.strftime(pa.array([local_start + timedelta(minutes=INTERVAL_MINUTES * i) for i in range(intervals)],
                                  pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
    stamps = pc.binary_join_element_wise(stamps, OFFSET_TEXT, "")
    rng = np.random.default_rng(seed)
    ids = meter_ids(meters)
    paths: list[Path] = []
    for part, chunk in enumerate(np.array_split(np.arange(meters), files)):
        path = folder / f"site-export-{part:03d}.csv"
        with path.open("wb") as handle:
            handle.write(b"meter_id,interval_start,value,unit\n")
            for meter in chunk.tolist():
                energy_wh = rng.integers(0, 2_000_000, intervals)
                whole = pa.array(energy_wh // 1000).cast(pa.string())
                thousandths = pc.utf8_lpad(pa.array(energy_wh % 1000).cast(pa.string()), 3, "0")
                table = pa.table({
                    "meter_id": pa.array([ids[meter]] * intervals),
                    "interval_start": stamps,
                    "value": pc.binary_join_element_wise(whole, thousandths, "."),
                    "unit": pa.array(["kWh"] * intervals),
                })
                options = pacsv.WriteOptions(include_header=False, quoting_style="none")
                sink = pa.BufferOutputStream()
                pacsv.write_csv(table, sink, options)
                handle.write(sink.getvalue().to_pybytes())
        paths.append(path)
    return paths, meters * intervals


def run_ingest(paths: list[str], meters: int, days: int, out_uri: str) -> dict[str, float]:
    specs = {meter_id: MeterSpec(meter_id, "shared_consumption", "kWh", INTERVAL_MINUTES)
             for meter_id in meter_ids(meters)}
    end_utc = PERIOD_START_UTC + timedelta(days=days)
    started = time.perf_counter()
    result = ingest_files(paths, specs, SITE_EXPORT_V1, out_uri, PERIOD_START_UTC, end_utc,
                          now_utc=end_utc + timedelta(days=1), outside_period="skip")
    elapsed_s = time.perf_counter() - started
    return {"readings": result.reading_count, "elapsed_s": elapsed_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--child", nargs=2, metavar=("PATHS_JSON", "OUT_URI"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        paths = json.loads(args.child[0])
        print(json.dumps(run_ingest(paths, args.meters, args.days, args.child[1])))
        return
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        started = time.perf_counter()
        paths, readings = write_files(Path(folder), args.meters, args.days, args.files, args.seed)
        size_gb = sum(path.stat().st_size for path in paths) / 1e9
        print(f"wrote {readings:,} readings in {len(paths)} file(s), {size_gb:.2f} GB, "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        command = [sys.executable, __file__, "--meters", str(args.meters), "--days", str(args.days),
                   "--child", json.dumps([str(path) for path in paths]), str(Path(folder) / "intervals.parquet")]
        child = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
    peak_rss_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 2**30
    assert result["readings"] == readings, (result, readings)
    readings_per_s = readings / result["elapsed_s"]
    print(f"ingest {readings:,} readings in {result['elapsed_s']:.2f} s, file {size_gb:.2f} GB", flush=True)
    print(f"BENCH ingest readings={readings} readings_per_s={readings_per_s:.0f} peak_rss_gb={peak_rss_gb:.2f} "
          f"elapsed_s={result['elapsed_s']:.2f} files={args.files} file_gb={size_gb:.2f}")


if __name__ == "__main__":
    main()
