"""Fixtures for ESG integration tests: a campus with meters in the core tables, and interval Parquet files."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, text

from meterdata.schema import INTERVAL_SCHEMA

CAMPUS_METERS = (
    ("FUEL1", "fuel", "MMBtu", None),
    ("GEN1", "generation", "Wh", None),
    ("GRID1", "grid_import", "Wh", None),
    ("TA", "tenant_consumption", "Wh", "alpha"),
    ("TB", "tenant_consumption", "Wh", "beta"),
)


@pytest.fixture
def campus_id(engine: Engine) -> str:
    """A fresh campus (ERCOT) with tenants alpha and beta and the meters of CAMPUS_METERS."""
    campus = f"esg-{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO campus (campus_id, name, time_zone, iso) VALUES (:c, 'ESG test', 'America/Chicago', 'ERCOT')"
            ),
            {"c": campus},
        )
        for tenant_id in ("alpha", "beta"):
            conn.execute(
                text("INSERT INTO tenant (campus_id, tenant_id, name) VALUES (:c, :t, :t)"),
                {"c": campus, "t": tenant_id},
            )
        for meter_id, role, unit, tenant_id in CAMPUS_METERS:
            conn.execute(
                text(
                    "INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes, tenant_id)"
                    " VALUES (:c, :m, :r, :u, 60, :t)"
                ),
                {"c": campus, "m": meter_id, "r": role, "u": unit, "t": tenant_id},
            )
    return campus


@pytest.fixture
def intervals_file(tmp_path: Path) -> Callable[[Sequence[tuple[str, datetime, int]]], str]:
    """Write hourly rows (meter_id, interval_start_utc, energy_wh), all measured, to a new Parquet file."""
    counter = iter(range(1_000_000))

    def write(rows: Sequence[tuple[str, datetime, int]]) -> str:
        table = pa.Table.from_pylist(
            [
                {
                    "meter_id": m,
                    "channel": "main",
                    "interval_start_utc": start,
                    "interval_minutes": 60,
                    "energy_wh": wh,
                    "quality": 0,
                    "source_sha256": "cd" * 32,
                    "source_row": i + 2,
                }
                for i, (m, start, wh) in enumerate(rows)
            ],
            schema=INTERVAL_SCHEMA,
        )
        path = tmp_path / f"intervals_{next(counter)}.parquet"
        pq.write_table(table, path)
        return str(path)

    return write
