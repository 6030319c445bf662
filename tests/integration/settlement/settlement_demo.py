"""Helpers for settlement integration tests: demo campus rows, contract rows and interval Parquet files."""


from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from meterdata.schema import INTERVAL_SCHEMA

DEMO_METERS = [
    ("GT1", "generation", None), ("GT1-FUEL", "fuel", None), ("PV1", "generation", None),
    ("GRID1", "grid_import", None), ("EXP1", "export", None),
    ("ALPHA-1", "tenant_consumption", "alpha"), ("ALPHA-2", "tenant_consumption", "alpha"),
    ("BETA-1", "tenant_consumption", "beta"), ("BETA-2", "tenant_consumption", "beta"),
    ("GAMMA-1", "tenant_consumption", "gamma"), ("GAMMA-2", "tenant_consumption", "gamma"),
    ("COOL1", "shared_consumption", None),
]


@dataclass(frozen=True)
class DemoCampus:
    campus_id: str
    cycle_id: str
    period_start_utc: datetime
    period_end_utc: datetime


def _insert_campus(engine: Engine, campus_id: str, time_zone: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'Demo', :tz, 'ERCOT')"),
                     {"c": campus_id, "tz": time_zone})
        for tenant_id in ("alpha", "beta", "gamma"):
            conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :t)"),
                         {"c": campus_id, "t": tenant_id})
        for meter_id, role, tenant_id in DEMO_METERS:
            unit = "MMBtu" if role == "fuel" else "kWh"
            conn.execute(
                text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id) "
                     "VALUES (:c, :m, :r, :u, 60, :t)"),
                {"c": campus_id, "m": meter_id, "r": role, "u": unit, "t": tenant_id},
            )


def make_demo_campus(engine: Engine) -> DemoCampus:
    """A fresh demo campus (Chicago time) with a March 2026 billing cycle; its id is unique per test."""
    campus_id = f"demo-{uuid.uuid4().hex[:10]}"
    _insert_campus(engine, campus_id, "America/Chicago")
    # March 2026 in Chicago: 06:00 UTC on Mar 1 (CST) to 05:00 UTC on Apr 1 (CDT); DST starts Mar 8.
    start_utc = datetime(2026, 3, 1, 6, tzinfo=UTC)
    end_utc = datetime(2026, 4, 1, 5, tzinfo=UTC)
    cycle_id = f"cycle:{campus_id}:2026-03"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc, period_end_utc, status,"
                 " workflow_id, input_uri) VALUES (:id, :c, '2026-03', :s, :e, 'settling', 'wf', 'file:///x')"),
            {"id": cycle_id, "c": campus_id, "s": start_utc, "e": end_utc},
        )
    return DemoCampus(campus_id, cycle_id, start_utc, end_utc)


def add_fixed_price(engine: Engine, campus_id: str, tenant_id: str, version: int, effective_from: str,
                    supply_price_usd_per_mwh: str, grid_price_usd_per_mwh: str = "30") -> int:
    with engine.begin() as conn:
        return int(conn.execute(
            text("INSERT INTO contract (campus_id, tenant_id, version, effective_from, supply_price_usd_per_mwh,"
                 " grid_price_usd_per_mwh) VALUES (:c, :t, :v, :f, :p, :g) RETURNING contract_id"),
            {"c": campus_id, "t": tenant_id, "v": version, "f": effective_from,
             "p": Decimal(supply_price_usd_per_mwh), "g": Decimal(grid_price_usd_per_mwh)},
        ).scalar_one())


def set_occupancy(engine: Engine, campus_id: str, tenant_id: str, move_in: str | None,
                  move_out: str | None) -> None:
    """Occupancy on the tenant's row, local dates: `move_in` is the first day billed, `move_out` the first
    not."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE tenant SET move_in = :i, move_out = :o"
                          " WHERE campus_id = :c AND tenant_id = :t"),
                     {"c": campus_id, "t": tenant_id, "i": move_in, "o": move_out})


def add_tenant(engine: Engine, campus_id: str, tenant_id: str, move_in: str | None,
               move_out: str | None) -> None:
    """A tenant row without meters, with its occupancy."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tenant (campus_id, tenant_id, name, move_in, move_out)"
                          " VALUES (:c, :t, :t, :i, :o)"),
                     {"c": campus_id, "t": tenant_id, "i": move_in, "o": move_out})


Row = tuple[str, datetime, int]  # meter_id, interval_start_utc, energy_wh


def write_intervals(path: Path, rows: Sequence[Row], interval_minutes: int = 60) -> Path:
    """Write rows as an INTERVAL_SCHEMA Parquet file (one channel per meter)."""
    table = pa.Table.from_pylist(
        [{"meter_id": meter_id, "channel": "kwh_delivered", "interval_start_utc": start,
          "interval_minutes": interval_minutes, "energy_wh": energy_wh, "quality": 0,
          "source_sha256": "0" * 64, "source_row": index + 2}
         for index, (meter_id, start, energy_wh) in enumerate(rows)],
        schema=INTERVAL_SCHEMA,
    )
    pq.write_table(table, path)
    return path


def march_2026_utc(day: int, hour_utc: int) -> datetime:
    return datetime(2026, 3, day, hour_utc, tzinfo=UTC)
