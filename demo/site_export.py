"""A month of 15-minute site-export CSV files for the sample campus, deterministic for a given seed.

The numbers follow the physics of the campus: tenants and cooling draw, the solar array follows the sun,
the turbine follows load, the battery charges late morning and discharges into the evening, the grid covers the
rest or takes the surplus, and losses are about 1.5 %.
Energy is generated as integer Wh, so the files' kWh with three decimals are exact.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.campus import CAMPUS_TIME_ZONE, INTERVAL_MINUTES, METERS, TENANTS

HEAT_RATE_MMBTU_PER_MWH = 9.5
TURBINE_MIN_KW = 10_000
TURBINE_MAX_KW = 28_000
SOLAR_PEAK_KW = 8_000
LOSS_FRACTION = 0.015
BATTERY_CHARGE_KW = 1_500
BATTERY_DISCHARGE_KW = 1_275
BATTERY_CHARGE_HOURS = (10, 14)
BATTERY_DISCHARGE_HOURS = (17, 21)
WH_PER_MMBTU = 293_071.07
# Real site exports have holes: a 45-minute communications drop on a tenant meter (VEE fills it by linear
# interpolation) and a 6-hour outage of the cooling meter's logger (filled from a like-day profile).
DEMO_GAPS = {"ACME-B": (11 * 96 + 40, 3), "COOL-SHARED": (19 * 96 + 32, 24)}


@dataclass(frozen=True)
class Interval:
    start_local: datetime
    energy_wh: dict[str, int]
    fuel_mmbtu_thousandths: int


def _solar_fraction(local: datetime, cloud: float) -> float:
    hour = local.hour + local.minute / 60 + INTERVAL_MINUTES / 120
    if hour < 6 or hour > 19:
        return 0.0
    return max(0.0, math.sin(math.pi * (hour - 6) / 13)) * cloud


def _battery_wh(local: datetime, seed: int) -> tuple[int, int]:
    """(charge, discharge) Wh of the interval: 1 500 kW from 10:00 to 14:00 local (6 000 kWh a day), 1 275 kW from
    17:00 to 21:00 (5 100 kWh: 850 per mille of the charge, inside the asset's 820-920 range), each interval
    `seed % 1000` Wh more, so two seeds never send the same bytes (the raw store refuses another campus's file)."""
    hours = INTERVAL_MINUTES / 60
    if BATTERY_CHARGE_HOURS[0] <= local.hour < BATTERY_CHARGE_HOURS[1]:
        return int(BATTERY_CHARGE_KW * hours * 1000) + seed % 1000, 0
    if BATTERY_DISCHARGE_HOURS[0] <= local.hour < BATTERY_DISCHARGE_HOURS[1]:
        return 0, int(BATTERY_DISCHARGE_KW * hours * 1000) + seed % 1000
    return 0, 0


def _interval(local: datetime, rng: random.Random, cloud: float, seed: int) -> Interval:
    hours = INTERVAL_MINUTES / 60
    energy_wh: dict[str, int] = {}
    diurnal = 1 + 0.05 * math.sin(2 * math.pi * (local.hour - 9) / 24)
    for tenant in TENANTS:
        prefix = tenant.tenant_id.split("-")[0].upper()
        for suffix in ("A", "B"):
            kw = tenant.base_load_kw_per_meter * diurnal * rng.uniform(0.97, 1.03)
            energy_wh[f"{prefix}-{suffix}"] = int(kw * hours * 1000)
    tenant_wh = sum(energy_wh.values())
    energy_wh["COOL-SHARED"] = int(tenant_wh * (0.17 + 0.05 * diurnal) * rng.uniform(0.98, 1.02))
    demand_wh = tenant_wh + energy_wh["COOL-SHARED"]
    losses_wh = int(demand_wh * LOSS_FRACTION)
    energy_wh["PV1-GEN"] = int(SOLAR_PEAK_KW * _solar_fraction(local, cloud) * hours * 1000)
    residual_kw = (demand_wh + losses_wh - energy_wh["PV1-GEN"]) / (hours * 1000)
    turbine_kw = min(TURBINE_MAX_KW, max(TURBINE_MIN_KW, residual_kw * rng.uniform(0.9, 1.08)))
    energy_wh["GT1-GEN"] = int(turbine_kw * hours * 1000)
    # The battery follows a fixed daily schedule and only the grid meters answer for it, so every other meter (and
    # the random sequence) is what it was before the campus had one.
    energy_wh["BESS1-CHG"], energy_wh["BESS1-DIS"] = _battery_wh(local, seed)
    supply_wh = energy_wh["PV1-GEN"] + energy_wh["GT1-GEN"] + energy_wh["BESS1-DIS"]
    uses_wh = demand_wh + losses_wh + energy_wh["BESS1-CHG"]
    energy_wh["GRID-IMP"] = max(0, uses_wh - supply_wh)
    energy_wh["GRID-EXP"] = max(0, supply_wh - uses_wh)
    fuel = round(energy_wh["GT1-GEN"] / 1_000_000 * HEAT_RATE_MMBTU_PER_MWH * rng.uniform(0.99, 1.01) * 1000)
    return Interval(local, energy_wh, fuel)


def month_intervals(year: int, month: int, seed: int) -> list[Interval]:
    """Every 15-minute interval of the local month, walking in UTC so DST days get 92 or 100."""
    zone = ZoneInfo(CAMPUS_TIME_ZONE)
    start = datetime(year, month, 1, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    rng = random.Random(seed)
    intervals: list[Interval] = []
    cloud = 1.0
    cursor = start
    while cursor < end:
        local = cursor.astimezone(zone)
        if local.hour == 0 and local.minute == 0:
            cloud = rng.uniform(0.3, 1.0)
        intervals.append(_interval(local, rng, cloud, seed))
        cursor += timedelta(minutes=INTERVAL_MINUTES)
    return intervals


def _kwh_text(energy_wh: int) -> str:
    return f"{energy_wh // 1000}.{energy_wh % 1000:03d}"


def write_site_export(folder: Path, year: int, month: int, seed: int,
                      gaps: dict[str, tuple[int, int]] | None = None) -> list[Path]:
    """Write one CSV per meter (`meter_id,interval_start,value,unit`) and return their paths.

    `gaps` maps a meter to (first interval index, interval count) left out of its file; default DEMO_GAPS.
    """
    gaps = DEMO_GAPS if gaps is None else gaps
    folder.mkdir(parents=True, exist_ok=True)
    intervals = month_intervals(year, month, seed)
    paths: list[Path] = []
    for meter in METERS:
        path = folder / f"{meter.meter_id}_{year:04d}-{month:02d}.csv"
        lines = ["meter_id,interval_start,value,unit"]
        gap_start, gap_count = gaps.get(meter.meter_id, (0, 0))
        for index, interval in enumerate(intervals):
            if gap_start <= index < gap_start + gap_count:
                continue
            stamp = interval.start_local.isoformat()
            if meter.role == "fuel":
                value = f"{interval.fuel_mmbtu_thousandths // 1000}.{interval.fuel_mmbtu_thousandths % 1000:03d}"
            else:
                value = _kwh_text(interval.energy_wh[meter.meter_id])
            lines.append(f"{meter.meter_id},{stamp},{value},{meter.unit}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def corrupt_one_value(path: Path, line_number: int, bad_value: str) -> None:
    """Replace the `value` field on one 1-based line, as a broken site export would."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[line_number - 1].split(",")
    fields[2] = bad_value
    lines[line_number - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
