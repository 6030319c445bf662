"""The campus `bench/cycle.py` bills: a campus file built with the campus model and a month of site export for it.

An ERCOT campus in Austin (one UTC offset all October): grid import, a gas turbine with its fuel meter, solar,
four shared-cooling meters and the tenants' meters, every meter at 5 minutes. Every third tenant is billed on a
real URDB tariff (Austin Energy's primary-voltage TOU rate, demo/ercot/urdb_tariff.json), the others at fixed
prices; the first tenant buys the solar output under a PPA; cooling and turbine fuel are shared by allocation.
Loads follow a daily shape with noise; the turbine's fuel follows its output at a 9,500 Btu/kWh heat rate; the grid
import closes the campus balance with 1.5 % losses, so VEE's cross-checks pass as on a well-metered campus.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
CAMPUS_ID = "bench-campus"
PERIOD = "2026-10"
TIME_ZONE = "America/Chicago"
OFFSET_TEXT = "-05:00"  # Central daylight time all of October 2026 (it ends on 1 November)
PERIOD_START_UTC = datetime(2026, 10, 1, 5, tzinfo=UTC)
INTERVAL_MINUTES = 5
CAMPUS_METERS = ("GRID-IMP", "GT1-GEN", "GT1-FUEL", "PV1-GEN", "COOL-1", "COOL-2", "COOL-3", "COOL-4")
TENANT_RATED_KW = 1_000
TURBINE_RATED_KW = 100_000
SOLAR_RATED_KW = 50_000
HEAT_RATE_BTU_PER_KWH = 9_500
LOSS_FRACTION_PER_MILLE = 15


def tenant_meter_ids(meter_count: int) -> list[str]:
    return [f"T-M{index:05d}" for index in range(meter_count - len(CAMPUS_METERS))]


def tenant_of_meter(meter_index: int, tenant_count: int) -> str:
    return f"tenant-{meter_index % tenant_count:04d}"


def campus_document(tenant_count: int, meter_count: int) -> dict[str, Any]:
    """The campus file as JSON (what `PUT /campuses/{id}` takes with URDB rates inline)."""
    tariff = json.loads((ROOT / "demo" / "ercot" / "urdb_tariff.json").read_text())["items"][0]
    tenants = [{"id": f"tenant-{index:04d}", "name": f"Tenant {index:04d}", "billing_address": "1 Data Center Dr",
                "invoice_prefix": f"T{index:04d}"} for index in range(tenant_count)]
    meters: list[dict[str, Any]] = [
        {"id": "GRID-IMP", "role": "grid_import", "unit": "kWh", "rated_kw": 3_000_000, "interval_minutes": 5,
         "iso_meter_id": "1008901023808100001"},
        {"id": "GT1-GEN", "role": "generation", "unit": "kWh", "rated_kw": TURBINE_RATED_KW, "interval_minutes": 5,
         "fuel_type": "natural_gas"},
        {"id": "GT1-FUEL", "role": "fuel", "unit": "MMBtu", "interval_minutes": 5, "fuel_type": "natural_gas",
         "generator": "GT1-GEN"},
        {"id": "PV1-GEN", "role": "generation", "unit": "kWh", "rated_kw": SOLAR_RATED_KW, "interval_minutes": 5,
         "carbon_free": True, "fuel_type": "solar", "iso_meter_id": "1008901023808100002"},
    ]
    meters += [{"id": f"COOL-{n}", "role": "shared_consumption", "unit": "kWh", "rated_kw": 40_000,
                "interval_minutes": 5} for n in range(1, 5)]
    meters += [{"id": meter_id, "role": "tenant_consumption", "tenant": tenant_of_meter(index, tenant_count),
                "unit": "kWh", "rated_kw": TENANT_RATED_KW, "interval_minutes": 5}
               for index, meter_id in enumerate(tenant_meter_ids(meter_count))]
    contracts: list[dict[str, Any]] = []
    for index, tenant in enumerate(tenants):
        if index % 3 == 0:
            terms: dict[str, Any] = {"urdb": tariff}
            kind = "urdb_tariff"
        else:
            terms = {"price_usd_per_mwh": f"{55 + index % 20}.{index % 4 * 25:02d}"}
            kind = "fixed_price"
        contracts.append({"key": f"{tenant['id']}-supply", "kind": kind, "tenant": tenant["id"],
                          "versions": [{"effective_from": "2026-01-01", "terms": terms}]})
    contracts += [
        {"key": "pv1-ppa", "kind": "ppa", "tenant": "tenant-0000", "versions": [{"effective_from": "2026-01-01", "terms": {
            "meter_ids": ["PV1-GEN"], "form": "fixed", "price_usd_per_mwh": "42.50", "recs_bundled": True}}]},
        {"key": "cooling-allocation", "kind": "allocation", "versions": [{"effective_from": "2026-01-01", "terms": {
            "pool": "shared_consumption", "method": "energy", "price_usd_per_mwh": "55.00"}}]},
        {"key": "fuel-allocation", "kind": "allocation", "versions": [{"effective_from": "2026-01-01", "terms": {
            "pool": "turbine_fuel", "method": "energy", "fuel_price_usd_per_mmbtu": "3.10"}}]},
    ]
    return {"schema_version": 1,
            "campus": {"id": CAMPUS_ID, "name": "Bench AI Campus", "legal_entity": "Bench Campus Power LLC",
                       "time_zone": TIME_ZONE, "iso": "ERCOT", "settlement_point": "LZ_AEN",
                       "egrid_subregion": "ERCT"},
            "tenants": tenants, "meters": meters, "contracts": contracts,
            "iso_submission": {"duns": "123456789"}}


def _interval_count(days: int) -> int:
    return days * 24 * 60 // INTERVAL_MINUTES


def _day_shape(intervals: int) -> npt.NDArray[np.float64]:
    """0..1 through each day, peaking mid-afternoon (local)."""
    hours = (np.arange(intervals) * INTERVAL_MINUTES / 60.0) % 24
    return np.asarray(0.5 + 0.5 * np.cos((hours - 15.0) / 24.0 * 2 * np.pi), dtype=np.float64)


def campus_energy_wh(meter_count: int, days: int, seed: int) -> dict[str, npt.NDArray[np.int64]]:
    """Each meter's energy per interval, Wh; the grid import closes the balance."""
    intervals = _interval_count(days)
    rng = np.random.default_rng(seed)
    shape = _day_shape(intervals)
    kwh_per_kw = INTERVAL_MINUTES / 60.0
    energy: dict[str, npt.NDArray[np.int64]] = {}
    tenants_wh = np.zeros(intervals, dtype=np.int64)
    for meter_id in tenant_meter_ids(meter_count):
        base = rng.uniform(0.35, 0.6)
        load_kw = TENANT_RATED_KW * (base + 0.25 * shape + rng.normal(0, 0.02, intervals))
        energy[meter_id] = np.clip(load_kw * kwh_per_kw * 1000, 0, None).astype(np.int64)
        tenants_wh += energy[meter_id]
    cooling_wh = np.zeros(intervals, dtype=np.int64)
    for n in range(1, 5):
        cooling_kw = 20_000 * (0.6 + 0.3 * shape) + rng.normal(0, 300, intervals)
        energy[f"COOL-{n}"] = (cooling_kw * kwh_per_kw * 1000).astype(np.int64)
        cooling_wh += energy[f"COOL-{n}"]
    hours = (np.arange(intervals) * INTERVAL_MINUTES / 60.0) % 24
    sun = np.clip(np.sin((hours - 6.5) / 13.0 * np.pi), 0, None)
    energy["PV1-GEN"] = (SOLAR_RATED_KW * 0.9 * sun * kwh_per_kw * 1000).astype(np.int64)
    turbine_kw = TURBINE_RATED_KW * 0.85 + rng.normal(0, 500, intervals)
    energy["GT1-GEN"] = (turbine_kw * kwh_per_kw * 1000).astype(np.int64)
    # Fuel in thousandths of an MMBtu (what three decimals carry): Wh x Btu/kWh / 1e6.
    energy["GT1-FUEL"] = energy["GT1-GEN"] * HEAT_RATE_BTU_PER_KWH // 1_000_000
    consumed_wh = tenants_wh + cooling_wh
    grid_wh = consumed_wh + consumed_wh * LOSS_FRACTION_PER_MILLE // 1000 - energy["PV1-GEN"] - energy["GT1-GEN"]
    energy["GRID-IMP"] = np.clip(grid_wh, 0, None)
    return energy


def write_site_export(folder: Path, meter_count: int, days: int, files: int, seed: int) -> tuple[list[Path], int]:
    """SITE_EXPORT_V1 CSV (`meter_id,interval_start,value,unit`, three decimals, local time with offset), the
    meters split over `files` files as a SCADA historian exports them; returns the paths and reading count."""
    intervals = _interval_count(days)
    local_start = PERIOD_START_UTC.replace(tzinfo=None) - timedelta(hours=5)
    stamps = pc.strftime(pa.array([local_start + timedelta(minutes=INTERVAL_MINUTES * i) for i in range(intervals)],
                                  pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
    stamps = pc.binary_join_element_wise(stamps, OFFSET_TEXT, "")
    energy = campus_energy_wh(meter_count, days, seed)
    meter_ids = list(energy)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    for part, chunk in enumerate(np.array_split(np.arange(len(meter_ids)), files)):
        path = folder / f"site-export-{PERIOD}-{part:03d}.csv"
        with path.open("wb") as handle:
            handle.write(b"meter_id,interval_start,value,unit\n")
            for index in chunk.tolist():
                meter_id = meter_ids[index]
                thousandths = energy[meter_id]
                whole = pa.array(thousandths // 1000).cast(pa.string())
                fraction = pc.utf8_lpad(pa.array(thousandths % 1000).cast(pa.string()), 3, "0")
                unit = "MMBtu" if meter_id == "GT1-FUEL" else "kWh"
                table = pa.table({"meter_id": pa.array([meter_id] * intervals), "interval_start": stamps,
                                  "value": pc.binary_join_element_wise(whole, fraction, "."),
                                  "unit": pa.array([unit] * intervals)})
                sink = pa.BufferOutputStream()
                pacsv.write_csv(table, sink, options)
                handle.write(sink.getvalue().to_pybytes())
        paths.append(path)
    return paths, len(meter_ids) * intervals
