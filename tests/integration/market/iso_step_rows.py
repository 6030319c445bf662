"""Set-up shared by the ISO-step tests: a campus in a given ISO with its meters and cycle, inserted with SQL,
and a month of validated 15-minute intervals as INTERVAL_SCHEMA Parquet."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from billing.periods import period_bounds_utc
from meterdata.schema import INTERVAL_SCHEMA
from settings import Settings

QUARTER_HOUR = timedelta(minutes=15)


@dataclass(frozen=True)
class IsoMeterRow:
    meter_id: str
    role: str
    iso_meter_id: str | None


@dataclass(frozen=True)
class CycleRefs:
    campus_id: str
    cycle_id: str
    period: str
    bounds_utc: tuple[datetime, datetime]


def insert_campus_cycle(engine: Engine, iso: str, time_zone: str, period: str,
                        meters: Sequence[IsoMeterRow]) -> CycleRefs:
    """A fresh campus (unique id) in `iso` with `meters` and one billing cycle for `period`."""
    campus_id = f"c-{uuid.uuid4().hex[:10]}"
    cycle_id = f"cycle:{campus_id}:{period}"
    bounds_utc = period_bounds_utc(period, time_zone)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO campus (campus_id, name, time_zone, iso)"
                          " VALUES (:c, 'Test', :tz, :iso)"), {"c": campus_id, "tz": time_zone, "iso": iso})
        for meter in meters:
            conn.execute(text("INSERT INTO meter (campus_id, meter_id, role, unit, interval_minutes,"
                              " iso_meter_id) VALUES (:c, :m, :role, 'Wh', 15, :iso_id)"),
                         {"c": campus_id, "m": meter.meter_id, "role": meter.role,
                          "iso_id": meter.iso_meter_id})
        conn.execute(text("INSERT INTO billing_cycle (cycle_id, campus_id, period, period_start_utc,"
                          " period_end_utc, status, workflow_id, input_uri) VALUES (:id, :c, :p, :s, :e,"
                          " 'running', 'wf', 'file:///none')"),
                     {"id": cycle_id, "c": campus_id, "p": period, "s": bounds_utc[0], "e": bounds_utc[1]})
    return CycleRefs(campus_id, cycle_id, period, bounds_utc)


def quarter_hours_utc(bounds_utc: tuple[datetime, datetime]) -> list[datetime]:
    count = (bounds_utc[1] - bounds_utc[0]) // QUARTER_HOUR
    return [bounds_utc[0] + index * QUARTER_HOUR for index in range(count)]


def write_month(path: Path, bounds_utc: tuple[datetime, datetime],
                energy_wh_of: dict[str, Callable[[int], int | None]],
                quality_of: dict[tuple[str, int], int]) -> str:
    """Every quarter hour of the period for each meter; `energy_wh_of[meter](index)` None leaves it absent."""
    columns: dict[str, list] = {name: [] for name in INTERVAL_SCHEMA.names}
    for meter_id, energy_of in energy_wh_of.items():
        for index, start_utc in enumerate(quarter_hours_utc(bounds_utc)):
            energy_wh = energy_of(index)
            if energy_wh is None:
                continue
            row = {"meter_id": meter_id, "channel": "main", "interval_start_utc": start_utc,
                   "interval_minutes": 15, "energy_wh": energy_wh,
                   "quality": quality_of.get((meter_id, index), 0), "source_sha256": "0" * 64,
                   "source_row": index + 2}
            for name, value in row.items():
                columns[name].append(value)
    pq.write_table(pa.table(columns, schema=INTERVAL_SCHEMA), path)
    return str(path)


def step_for(refs: CycleRefs, intervals_uri: str, settlement_version: int = 1) -> dict[str, object]:
    """The ISO step's arguments for the cycle's validated intervals (`submit_to_iso(engine, settings, **step)`)."""
    return {"cycle_id": refs.cycle_id, "campus_id": refs.campus_id, "period": refs.period,
            "settlement_version": settlement_version, "validated_uri": intervals_uri}


def settings_for(home: Path) -> Settings:
    return Settings(home=home, database_url="postgresql://unused/none", iso_base_url=None)
