"""Generated meter data and South Hub prices for the ERCOT sample campus (demo/ercot/campus.toml), one month.

The meter files are what the campus's SCADA would export (SITE_EXPORT_V1: `meter_id,interval_start,value,unit`,
15-minute kWh, local time with offset). Hall 2's rows name the device that read them: `SEL735-1001` (CT 80)
until the exchange, `SEL735-2002` (CT 120) after, each reporting its raw register value. Hall 3 reports from its
energization on the 16th. The price file is ERCOT's real-time settlement point price report (NP6-905-CD) for
HB_SOUTH. Values are made up but shaped like the real thing; the same seed gives the same files.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

CENTRAL = ZoneInfo("America/Chicago")
INTERVAL = timedelta(minutes=15)
EXCHANGE_UTC = datetime(2026, 9, 17, 19, 0, tzinfo=UTC)  # 14:00 CDT
MOVE_IN_LOCAL = (9, 16)
HUB = "HB_SOUTH"
KWH_PLACES = Decimal("0.0001")
NP6_905_COLUMNS = ("DeliveryDate", "DeliveryHour", "DeliveryInterval", "SettlementPointName", "SettlementPointType",
                   "SettlementPointPrice", "DSTFlag")


@dataclass(frozen=True)
class Load:
    meter_id: str
    base_kw: float
    swing_kw: float


LOADS = (Load("LH-HALL1", 7_000, 900), Load("LH-HALL2", 4_500, 600), Load("BB-HALL3", 2_600, 300),
         Load("MQ-HALL4", 1_800, 250), Load("COOL-SHARED", 1_000, 900))
SOLAR_KW = {"PV1-GEN": 10_000, "PV2-GEN": 5_000}
LOSS_FRACTION = 0.015
HALL2_DEVICES = (("SEL735-1001", Decimal(80)), ("SEL735-2002", Decimal(120)))


def month_starts_utc(year: int, month: int) -> list[datetime]:
    start = datetime(year, month, 1, tzinfo=CENTRAL).astimezone(UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CENTRAL).astimezone(UTC)
    return [start + index * INTERVAL for index in range((end - start) // INTERVAL)]


def _solar_fraction(local: datetime, clouds: float) -> float:
    hour = local.hour + local.minute / 60
    return max(0.0, math.sin(math.pi * (hour - 7.0) / 12.5)) * clouds if 7.0 < hour < 19.5 else 0.0


def _kwh(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(KWH_PLACES, rounding=ROUND_HALF_EVEN)


def meter_rows(year: int, month: int, seed: int) -> dict[str, list[tuple[str, datetime, Decimal]]]:
    """(name in the file, interval start UTC, value) per metering point; Hall 2's values are raw register
    values of the device named."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple[str, datetime, Decimal]]] = {m: [] for m in [*(load.meter_id for load in LOADS),
                                                                             *SOLAR_KW, "GRID-IMP"]}
    clouds_by_day: dict[int, float] = {}
    for start_utc in month_starts_utc(year, month):
        local = start_utc.astimezone(CENTRAL)
        clouds = clouds_by_day.setdefault(local.day, rng.uniform(0.55, 1.0))
        daily = math.sin(math.pi * (local.hour + local.minute / 60 - 9) / 12)
        total_load_kwh = Decimal(0)
        for load in LOADS:
            if load.meter_id == "BB-HALL3" and (local.month, local.day) < MOVE_IN_LOCAL:
                continue
            energy = _kwh((load.base_kw + load.swing_kw * daily) * rng.uniform(0.98, 1.02) / 4)
            total_load_kwh += energy
            rows[load.meter_id].append(_hall2_row(start_utc, energy) if load.meter_id == "LH-HALL2"
                                       else (load.meter_id, start_utc, energy))
        solar_kwh = Decimal(0)
        for meter_id, rated_kw in SOLAR_KW.items():
            energy = _kwh(rated_kw * _solar_fraction(local, clouds) / 4)
            solar_kwh += energy
            rows[meter_id].append((meter_id, start_utc, energy))
        grid = max(Decimal(0), _kwh(float(total_load_kwh) * (1 + LOSS_FRACTION)) - solar_kwh)
        rows["GRID-IMP"].append(("GRID-IMP", start_utc, grid))
    return rows


def _hall2_row(start_utc: datetime, energy_kwh: Decimal) -> tuple[str, datetime, Decimal]:
    serial, multiplier = HALL2_DEVICES[0] if start_utc < EXCHANGE_UTC else HALL2_DEVICES[1]
    return serial, start_utc, (energy_kwh / multiplier).quantize(KWH_PLACES, rounding=ROUND_HALF_EVEN)


def write_meter_files(folder: Path, year: int, month: int, seed: int = 11) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for meter_id, rows in meter_rows(year, month, seed).items():
        path = folder / f"{meter_id}_{year:04d}-{month:02d}.csv"
        lines = ["meter_id,interval_start,value,unit"]
        lines += [f"{name},{start.astimezone(CENTRAL).isoformat()},{value},kWh" for name, start, value in rows]
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def hub_prices(year: int, month: int, seed: int) -> list[tuple[datetime, Decimal]]:
    """South Hub real-time prices, USD/MWh: an evening peak, cheap (sometimes negative) sunny middays."""
    rng = random.Random(seed * 7 + 1)
    prices = []
    for start_utc in month_starts_utc(year, month):
        local = start_utc.astimezone(CENTRAL)
        hour = local.hour + local.minute / 60
        evening = 45 * math.exp(-((hour - 19) ** 2) / 4)
        midday = -22 * math.exp(-((hour - 13) ** 2) / 6)
        price = 31 + evening + midday + rng.gauss(0, 4)
        prices.append((start_utc, Decimal(repr(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)))
    return prices


def write_price_file(folder: Path, year: int, month: int, seed: int = 11) -> Path:
    """NP6-905-CD layout: DeliveryDate, hour-ending DeliveryHour, DeliveryInterval 1..4, DSTFlag."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [",".join(NP6_905_COLUMNS)]
    for start_utc, price in hub_prices(year, month, seed):
        local = start_utc.astimezone(CENTRAL)
        flag = "Y" if local.fold else "N"
        lines.append(f"{local:%m/%d/%Y},{local.hour + 1},{local.minute // 15 + 1},{HUB},HU,{price},{flag}")
    path = folder / f"cdr.00012301.0000000000000000.{year:04d}{month:02d}01.000000.SPPHLZNP6905_{HUB}.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path
