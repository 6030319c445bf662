"""Emissions benchmark: `compute_cycle_emissions` over a generated campus-month, from its interval Parquet.

The campus has a gas turbine with its fuel meter, a solar array (carbon-free), a grid import, an export meter,
shared cooling and `--tenants` tenants of `--meters-per-tenant` meters each (default 100 x 10: 1,008 meters),
at `--minutes` (5 or 15) for July 2025 (744 UTC hours). Tenants hold certificates for part of their load, so the
market-based rules and the hourly CFE score run too. Each run reads the file afresh (as the settle step does
once per cycle: `read_s`) and computes the whole `CycleEmissions` from it (`compute_s`); `cycle_s` is the median
of `--runs` runs of both, and `result_sha256` names the result, so two commits can be compared figure for figure.

Run: `.venv/bin/python bench/emissions.py` (no database needed). The last line is
`BENCH emissions cycle_s=... read_s=... compute_s=... meters=... tenants=... readings=... hours=... result_sha256=...`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The script's own directory comes first on sys.path, and bench/ledger.py would shadow the ledger package.
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from esg.certificates import CertificateClaim, CertificateLot
from esg.scopes import EmissionOptions, MeterRef, compute_cycle_emissions
from intervals import read_intervals
from meterdata.schema import INTERVAL_SCHEMA

PERIOD_START_UTC = datetime(2025, 7, 1, tzinfo=UTC)
PERIOD_END_UTC = datetime(2025, 8, 1, tzinfo=UTC)
SUBREGION = "ERCT"
ENERGY_WH_PER_HOUR_RANGE = {
    "tenant_consumption": (40_000, 160_000),
    "shared_consumption": (300_000, 600_000),
    "generation": (2_000_000, 4_000_000),
    "fuel": (20_000_000, 30_000_000),
    "grid_import": (0, 8_000_000),
    "export": (0, 400_000),
}


def campus_meters(tenant_count: int, meters_per_tenant: int) -> list[MeterRef]:
    meters = [
        MeterRef("GT1-FUEL", "fuel"),
        MeterRef("GT1", "generation"),
        MeterRef("PV1", "generation"),
        MeterRef("GRID1", "grid_import"),
        MeterRef("EXP1", "export"),
        MeterRef("COOL1", "shared_consumption"),
        MeterRef("COOL2", "shared_consumption"),
        MeterRef("COOL3", "shared_consumption"),
    ]
    meters += [
        MeterRef(f"T{t:04d}-M{m:02d}", "tenant_consumption", f"t{t:04d}")
        for t in range(tenant_count)
        for m in range(meters_per_tenant)
    ]
    return meters


def write_intervals(path: Path, meters: list[MeterRef], minutes: int, seed: int) -> int:
    """Every meter x every interval of the period, meter-major, one row group per 100 meters."""
    step = timedelta(minutes=minutes)
    interval_count = (PERIOD_END_UTC - PERIOD_START_UTC) // step
    start_us = int(PERIOD_START_UTC.timestamp() * 1_000_000)
    starts = start_us + np.arange(interval_count, dtype=np.int64) * minutes * 60_000_000
    rng = np.random.default_rng(seed)
    writer = pq.ParquetWriter(path, INTERVAL_SCHEMA)
    chunk = 100
    for first in range(0, len(meters), chunk):
        group = meters[first:first + chunk]
        rows = len(group) * interval_count
        energy = np.concatenate([
            rng.integers(*ENERGY_WH_PER_HOUR_RANGE[meter.role], size=interval_count) * minutes // 60
            for meter in group
        ])
        writer.write_table(pa.table({
            "meter_id": pa.array(np.repeat([meter.meter_id for meter in group], interval_count)),
            "channel": pa.array(["kwh_delivered"] * rows),
            "interval_start_utc": pa.array(np.tile(starts, len(group)), pa.timestamp("us", tz="UTC")),
            "interval_minutes": pa.array(np.full(rows, minutes, dtype=np.int16)),
            "energy_wh": pa.array(energy.astype(np.int64)),
            "quality": pa.array(np.zeros(rows, dtype=np.uint8)),
            "source_sha256": pa.array(["0" * 64] * rows),
            "source_row": pa.array(np.arange(rows, dtype=np.int32) + 2),
        }, schema=INTERVAL_SCHEMA))
    writer.close()
    return len(meters) * interval_count


def emission_options(tenant_count: int) -> EmissionOptions:
    """Solar counts as carbon-free; every tenth tenant claims hourly certificates of its first day."""
    claims = []
    for t in range(0, tenant_count, 10):
        tenant = f"t{t:04d}"
        for hour in range(24):
            start = PERIOD_START_UTC + timedelta(hours=hour)
            lot = CertificateLot(f"lot-{tenant}-{hour}", "GC", "solar", SUBREGION, start,
                                 start + timedelta(hours=1), 500_000, 0, "bench")
            claims.append((lot, CertificateClaim(f"claim-{tenant}-{hour}", lot.lot_id, f"tenant:{tenant}",
                                                 500_000, start, start + timedelta(hours=1))))
    return EmissionOptions(carbon_free_generation_meter_ids=frozenset({"PV1"}), claims=claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--meters-per-tenant", type=int, default=10)
    parser.add_argument("--minutes", type=int, choices=(5, 15), default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    meters = campus_meters(args.tenants, args.meters_per_tenant)
    options = emission_options(args.tenants)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "intervals.parquet"
        readings = write_intervals(path, meters, args.minutes, args.seed)
        read_seconds: list[float] = []
        compute_seconds: list[float] = []
        cycle_seconds: list[float] = []
        result_sha256 = ""
        for _ in range(args.runs):
            began = time.perf_counter()
            intervals = read_intervals(str(path))
            read_at = time.perf_counter()
            read_seconds.append(read_at - began)
            result = compute_cycle_emissions(intervals, meters, SUBREGION, PERIOD_START_UTC, PERIOD_END_UTC,
                                             options=options)
            compute_seconds.append(time.perf_counter() - read_at)
            cycle_seconds.append(time.perf_counter() - began)
            result_sha256 = result.sha256()
    hours = (PERIOD_END_UTC - PERIOD_START_UTC) // timedelta(hours=1)
    print(f"campus scope 1 {result.campus_scope1_g_co2e} g, scope 2 location {result.campus_scope2_location_g_co2e}"
          f" g, market {result.campus_scope2_market_g_co2e} g, hourly {result.campus_scope2_market_hourly_g_co2e} g")
    print(f"BENCH emissions cycle_s={statistics.median(cycle_seconds):.2f} "
          f"read_s={statistics.median(read_seconds):.2f} compute_s={statistics.median(compute_seconds):.2f} meters={len(meters)} tenants={args.tenants} "
          f"readings={readings} hours={hours} result_sha256={result_sha256[:16]}")


if __name__ == "__main__":
    main()
