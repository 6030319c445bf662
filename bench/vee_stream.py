"""Child process of bench/vee.py: write a large interval Parquet file, then run `run_vee` over it streaming.

Its peak RSS is read by the parent from the OS (RUSAGE_CHILDREN), so nothing here measures itself.
Files go under `--folder` and are removed afterwards unless `--keep`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from meterdata import MeterSpec, run_vee
from meterdata.grid import VALIDATED_WRITE_SCHEMA

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 92
INTERVAL_MINUTES = 5
METERS_PER_ROW_GROUP = 40
SHA = "0" * 64


def write_input(path: Path, meters: int) -> None:
    slots = DAYS * 1440 // INTERVAL_MINUTES
    start_us = int(START.timestamp()) * 1_000_000
    slot = np.arange(slots, dtype=np.int64)
    ts_one = start_us + slot * INTERVAL_MINUTES * 60_000_000
    rng = np.random.default_rng(11)
    # Dictionary strings written without the Arrow schema read back as INTERVAL_SCHEMA (see meterdata.grid).
    with pq.ParquetWriter(path, VALIDATED_WRITE_SCHEMA, compression="zstd", store_schema=False) as writer:
        for lo in range(0, meters, METERS_PER_ROW_GROUP):
            count = min(METERS_PER_ROW_GROUP, meters - lo)
            rows = count * slots
            names = pa.array([f"M{m:06d}" for m in range(lo, lo + count)], pa.string())
            zeros = pa.array(np.zeros(rows, np.int32))
            energy = 20_000 + rng.integers(0, 2_000, rows)
            energy[rng.integers(0, rows, rows // 1000)] = -5  # a few negatives to estimate
            table = pa.Table.from_arrays([
                pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(count, dtype=np.int32), slots)), names),
                pa.DictionaryArray.from_arrays(zeros, pa.array(["main"])),
                pa.array(np.tile(ts_one, count), pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                pa.array(np.full(rows, INTERVAL_MINUTES, np.int16)),
                pa.array(energy, pa.int64()),
                pa.array(np.zeros(rows, np.uint8)),
                pa.DictionaryArray.from_arrays(zeros, pa.array([SHA])),
                pa.array(np.tile(slot.astype(np.int32) + 2, count)),
            ], schema=VALIDATED_WRITE_SCHEMA)
            writer.write_table(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    slots = DAYS * 1440 // INTERVAL_MINUTES
    meters = max(1, args.readings // slots)
    args.folder.mkdir(parents=True, exist_ok=True)
    source = args.folder / "intervals.parquet"
    began = time.perf_counter()
    write_input(source, meters)
    written_s = time.perf_counter() - began
    specs = {f"M{m:06d}": MeterSpec(f"M{m:06d}", "shared_consumption", "kWh", INTERVAL_MINUTES) for m in range(meters)}
    began = time.perf_counter()
    result = run_vee(str(source), specs, START, START + timedelta(days=DAYS), str(args.folder / "validated.parquet"))
    vee_s = time.perf_counter() - began
    print(f"stream: {result.reading_count:,} readings ({meters} meters) written in {written_s:.0f} s, "
          f"run_vee {vee_s:.0f} s ({result.reading_count / vee_s / 1e6:.1f} M readings/s), "
          f"estimated {result.estimated_count:,}, score {result.report['score']}")
    assert result.reading_count == meters * slots, "every written reading is validated"
    print(f"STREAM readings={result.reading_count} meters={meters}")
    if not args.keep:
        shutil.rmtree(args.folder)


if __name__ == "__main__":
    main()
