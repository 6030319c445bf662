"""Settlement benchmark: a campus-month of 2,000 meters x 5-minute intervals through the full engine.

Every tenant is billed under a URDB tariff (TOU energy, TOU and flat demand, fixed charge); shared cooling is split
by energy share, turbine fuel by energy share, and the campus's own utility bill on its grid import by coincident
peak. The baseline is a straightforward per-interval Python implementation of the same rules (one Python iteration
per row, zoneinfo per row, dicts, Decimal). It runs on a sub-campus (a fraction of the tenants plus all campus
meters) written to its own file; both implementations settle that file and must agree to the micro-dollar, and the
baseline's time is scaled to the full row count (it is linear in rows). `--python-fraction 1` runs it in full.

Run: `.venv/bin/python bench/settle.py` (no database needed). The last line is
`BENCH settle campus_month_s=... vs_python=... rows=... first_run_s=... python_sample_rows=... python_sample_s=...`
(`campus_month_s` is the median of three runs in one process, the first of which is `first_run_s`).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from common.canonical_json import sha256_hex
from meterdata.schema import INTERVAL_SCHEMA
from settlement.contracts import ContractVersion
from settlement.engine import CampusSetup, MeterRef, aggregate_rows, settle_campus_files

TIME_ZONE = ZoneInfo("America/Chicago")
PERIOD_START_UTC = datetime(2026, 3, 1, 6, tzinfo=UTC)  # March 2026 in Chicago (DST starts on the 8th)
PERIOD_END_UTC = datetime(2026, 4, 1, 5, tzinfo=UTC)
STEP = timedelta(minutes=5)
ON_PEAK = [[1 if 13 <= hour < 19 else 0 for hour in range(24)] for _ in range(12)]
OFF_PEAK = [[0] * 24 for _ in range(12)]
RATE_ENERGY = (Decimal("0.06"), Decimal("0.11"))      # $/kWh off-peak, on-peak
RATE_DEMAND_TOU = (Decimal(0), Decimal(9))            # $/kW
RATE_DEMAND_FLAT = Decimal("4.5")                     # $/kW
FIXED_USD = Decimal(250)                              # $/month
SHARED_PRICE = Decimal(45)                            # $/MWh
FUEL_PRICE = Decimal("3.5")                           # $/MMBtu
URDB = {"name": "Bench TOU", "energyratestructure": [[{"rate": "0.06"}], [{"rate": "0.11"}]],
        "energyweekdayschedule": ON_PEAK, "energyweekendschedule": OFF_PEAK,
        "demandratestructure": [[{"rate": 0}], [{"rate": 9}]],
        "demandweekdayschedule": ON_PEAK, "demandweekendschedule": OFF_PEAK,
        "flatdemandstructure": [[{"rate": "4.5"}]], "flatdemandmonths": [0] * 12,
        "fixedchargefirstmeter": 250, "fixedchargeunits": "$/month"}


def campus_meters(meter_count: int, tenant_count: int) -> list[MeterRef]:
    """10 campus meters (2 gas turbines + fuel, 2 solar, 2 grid, 2 export... see below), 30 cooling, rest tenants."""
    meters = [MeterRef("GT1", "generation", None, 5), MeterRef("GT2", "generation", None, 5),
              MeterRef("GT1-FUEL", "fuel", None, 5), MeterRef("GT2-FUEL", "fuel", None, 5),
              MeterRef("PV1", "generation", None, 5), MeterRef("PV2", "generation", None, 5),
              MeterRef("GRID1", "grid_import", None, 5), MeterRef("GRID2", "grid_import", None, 5),
              MeterRef("EXP1", "export", None, 5), MeterRef("EXP2", "export", None, 5)]
    meters += [MeterRef(f"COOL{i:02d}", "shared_consumption", None, 5) for i in range(30)]
    tenant_meter_count = meter_count - len(meters)
    meters += [MeterRef(f"T{i % tenant_count:02d}-M{i:04d}", "tenant_consumption", f"t{i % tenant_count:02d}", 5)
               for i in range(tenant_meter_count)]
    return meters


def write_intervals(path: Path, meters: list[MeterRef], seed: int) -> int:
    """All meters x every 5-minute interval of the period, written row group by row group (meter-major)."""
    interval_count = (PERIOD_END_UTC - PERIOD_START_UTC) // STEP
    start_us = int(PERIOD_START_UTC.timestamp() * 1_000_000)
    starts = start_us + np.arange(interval_count, dtype=np.int64) * 300_000_000
    rng = np.random.default_rng(seed)
    dictionary = pa.array([meter.meter_id for meter in meters])
    writer = pq.ParquetWriter(path, _file_schema())
    chunk = 200
    for first in range(0, len(meters), chunk):
        group = meters[first:first + chunk]
        codes = np.repeat(np.arange(first, first + len(group), dtype=np.int32), interval_count)
        energy = np.concatenate([_energy(rng, meter, interval_count) for meter in group])
        writer.write_table(_table(dictionary, codes, np.tile(starts, len(group)), energy))
    writer.close()
    return len(meters) * interval_count


def _energy(rng: np.random.Generator, meter: MeterRef, count: int) -> np.ndarray:
    low, high = {"tenant_consumption": (20_000, 80_000), "shared_consumption": (30_000, 60_000),
                 "generation": (1_500_000, 2_500_000), "fuel": (15_000_000, 20_000_000),
                 "grid_import": (0, 400_000), "export": (0, 100_000)}[meter.role]
    return rng.integers(low, high, size=count, dtype=np.int64)


def _file_schema() -> pa.Schema:
    fields = [pa.field(f.name, pa.dictionary(pa.int32(), pa.string()), nullable=False)
              if f.name in ("meter_id", "channel", "source_sha256") else f for f in INTERVAL_SCHEMA]
    return pa.schema(fields)


def _table(dictionary: pa.Array, codes: np.ndarray, starts: np.ndarray, energy: np.ndarray) -> pa.Table:
    rows = codes.size
    one = np.zeros(rows, dtype=np.int32)
    return pa.table({
        "meter_id": pa.DictionaryArray.from_arrays(codes, dictionary),
        "channel": pa.DictionaryArray.from_arrays(one, pa.array(["kwh_delivered"])),
        "interval_start_utc": pa.array(starts, pa.timestamp("us", tz="UTC")),
        "interval_minutes": pa.array(np.full(rows, 5, dtype=np.int16)),
        "energy_wh": pa.array(energy),
        "quality": pa.array(np.zeros(rows, dtype=np.uint8)),
        "source_sha256": pa.DictionaryArray.from_arrays(one, pa.array(["0" * 64])),
        "source_row": pa.array(np.arange(rows, dtype=np.int32) % 100_000 + 2),
    }, schema=_file_schema())


def contracts(tenant_ids: list[str]) -> list[ContractVersion]:
    def version(key: str, kind: str, tenant: str | None, terms: dict[str, Any]) -> ContractVersion:
        return ContractVersion(next(ids), key, 1, kind, tenant, date(2026, 1, 1), terms, sha256_hex(terms))
    ids = itertools.count(1)
    found = [version(f"tariff-{t}", "urdb_tariff", t, {"urdb": URDB}) for t in tenant_ids]
    found += [version("campus-tariff", "urdb_tariff", None, {"urdb": URDB}),
              version("alloc-cooling", "allocation", None, {"pool": "shared_consumption", "method": "energy",
                                                            "price_usd_per_mwh": str(SHARED_PRICE)}),
              version("alloc-fuel", "allocation", None, {"pool": "turbine_fuel", "method": "energy",
                                                         "fuel_price_usd_per_mmbtu": str(FUEL_PRICE)}),
              version("alloc-grid", "allocation", None, {"pool": "grid_tariff", "method": "coincident_peak"})]
    return found


def engine_totals(path: Path, meters: list[MeterRef]) -> tuple[dict[str, int], float]:
    """Tenant totals and seconds from the interval file to the settlement result (contracts come ready, as the
    service reads them from the database before this point)."""
    tenant_ids = sorted({m.tenant_id for m in meters if m.tenant_id})
    setup = CampusSetup("bench", TIME_ZONE, meters, tenant_ids, contracts(tenant_ids), {})
    began = time.perf_counter()
    result = settle_campus_files(setup, PERIOD_START_UTC, PERIOD_END_UTC, str(path), ())
    return result.tenant_totals_usd_micros, time.perf_counter() - began


def python_totals(path: Path, meters: list[MeterRef]) -> tuple[dict[str, int], float]:
    """The baseline: one Python iteration per row, then Decimal charges (same rules, written plainly)."""
    began = time.perf_counter()
    by_id = {meter.meter_id: meter for meter in meters}
    tenant_period_kwh: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    tenant_load: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    grid_load: dict[datetime, int] = defaultdict(int)
    shared_wh = heat_wh = 0
    for batch in pq.ParquetFile(path).iter_batches(columns=["meter_id", "interval_start_utc", "energy_wh"]):
        for meter_id, start, energy_wh in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(),
                                              batch.column(2).to_pylist(), strict=True):
            if not PERIOD_START_UTC <= start < PERIOD_END_UTC:
                continue
            meter = by_id[meter_id]
            if meter.role == "tenant_consumption":
                period = _tou_period(start)
                tenant_period_kwh[(str(meter.tenant_id), period)] += Decimal(energy_wh) / 1000
                tenant_load[str(meter.tenant_id)][start] += energy_wh
            elif meter.role == "shared_consumption":
                shared_wh += energy_wh
            elif meter.role == "fuel":
                heat_wh += energy_wh
            elif meter.role == "grid_import":
                grid_load[start] += energy_wh
    return _python_charges(tenant_period_kwh, tenant_load, grid_load, shared_wh, heat_wh), \
        time.perf_counter() - began


def _tou_period(start: datetime) -> int:
    local = start.astimezone(TIME_ZONE)
    return ON_PEAK[local.month - 1][local.hour] if local.weekday() < 5 else 0


def _python_tariff_usd_micros(period_kwh: dict[int, Decimal], load: dict[datetime, int]) -> int:
    energy = sum((kwh * RATE_ENERGY[p] for p, kwh in period_kwh.items()), Decimal(0))
    peaks: dict[int, Decimal] = defaultdict(Decimal)
    for start, wh in load.items():
        period = _tou_period(start)
        peaks[period] = max(peaks[period], Decimal(wh * 12) / 1000)
    tou = sum((kw * RATE_DEMAND_TOU[p] for p, kw in peaks.items()), Decimal(0))
    flat = max(peaks.values(), default=Decimal(0)) * RATE_DEMAND_FLAT
    return sum(_micros(amount) for amount in (energy, tou, flat, FIXED_USD))


def _python_charges(tenant_period_kwh: dict[tuple[str, int], Decimal], tenant_load: dict[str, dict[datetime, int]],
                    grid_load: dict[datetime, int], shared_wh: int, heat_wh: int) -> dict[str, int]:
    tenants = sorted(tenant_load)
    energy_wh = {t: sum(tenant_load[t].values()) for t in tenants}
    totals = {t: _python_tariff_usd_micros({p: tenant_period_kwh[(t, p)] for p in (0, 1) if (t, p) in
                                            tenant_period_kwh}, tenant_load[t]) for t in tenants}
    shared = _largest_remainder(shared_wh, [energy_wh[t] for t in tenants])
    fuel_micros = _micros(Decimal(heat_wh) / Decimal("293071.07") * FUEL_PRICE)
    fuel = _largest_remainder(fuel_micros, [energy_wh[t] for t in tenants])
    grid_micros = _python_tariff_usd_micros(
        {p: sum((Decimal(wh) / 1000 for s, wh in grid_load.items() if _tou_period(s) == p), Decimal(0))
         for p in (0, 1)}, grid_load)
    campus: defaultdict[datetime, int] = defaultdict(int)
    for t in tenants:
        for start, wh in tenant_load[t].items():
            campus[start] += wh
    peak_start = min(campus, key=lambda s: (-campus[s], s))
    grid = _largest_remainder(grid_micros, [tenant_load[t].get(peak_start, 0) for t in tenants])
    for index, t in enumerate(tenants):
        totals[t] += _micros(Decimal(shared[index]) * SHARED_PRICE / 1_000_000) + fuel[index] + grid[index]
    return totals


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    weight_total = sum(weights)
    parts = [total * w // weight_total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_total), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def _micros(amount_usd: Decimal) -> int:
    return int((amount_usd * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _warm_up_kernel() -> None:
    """Compile (or load from cache) the numba kernel outside the timed run, as a running worker would have."""
    one = np.zeros(1, dtype=np.int64)
    aggregate_rows(np.zeros(1, np.int32), one, one, np.zeros(1, np.int32), np.ones(1, np.int64), np.ones(1, np.int64),
                   np.array([0, 1], np.int64), np.int64(0), np.zeros(1, np.int64), np.zeros(1, np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--python-fraction", type=float, default=0.1, help="share of tenants in the baseline run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    meters = campus_meters(args.meters, args.tenants)
    sample_tenants = {f"t{i:02d}" for i in range(max(1, round(args.tenants * args.python_fraction)))}
    sample = [m for m in meters if m.tenant_id is None or m.tenant_id in sample_tenants]
    _warm_up_kernel()
    with tempfile.TemporaryDirectory() as folder:
        full_path, sample_path = Path(folder) / "campus.parquet", Path(folder) / "sample.parquet"
        rows = write_intervals(full_path, meters, args.seed)
        sample_rows = write_intervals(sample_path, sample, args.seed + 1)
        print(f"campus-month: {len(meters)} meters, {rows:,} rows ({full_path.stat().st_size / 1e6:.0f} MB Parquet)")
        runs_s = [engine_totals(full_path, meters)[1] for _ in range(3)]
        engine_s = sorted(runs_s)[1]  # median of three; the first (cold) run is reported too
        sample_engine, sample_engine_s = engine_totals(sample_path, sample)
        sample_python, python_s = python_totals(sample_path, sample)
    assert sample_engine == sample_python, "engine and per-interval Python disagree on the sample campus"
    python_full_s = python_s * rows / sample_rows
    print(f"engine: {engine_s:.2f} s for the campus-month (median of 3 runs: "
          f"{', '.join(f'{run:.2f}' for run in runs_s)} s); sample ({sample_rows:,} rows): engine "
          f"{sample_engine_s:.2f} s, Python {python_s:.1f} s (scaled to the full month: {python_full_s:.0f} s); "
          f"tenant totals agree to the micro-dollar")
    print(f"BENCH settle campus_month_s={engine_s:.2f} vs_python={python_full_s / engine_s:.0f} rows={rows} "
          f"first_run_s={runs_s[0]:.2f} python_sample_rows={sample_rows} python_sample_s={python_s:.1f}")


if __name__ == "__main__":
    main()
