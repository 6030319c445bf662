"""Generated meter data and South Hub prices for the ERCOT sample campus (demo/ercot/campus.toml), one month.

The meter files are what the campus's SCADA would export (SITE_EXPORT_V1: `meter_id,interval_start,value,unit`,
15-minute kWh, local time with offset). Hall 2's rows name the device that read them: `SEL735-1001` (CT 80)
until the exchange, `SEL735-2002` (CT 120) after, each reporting its raw register value. Hall 3 reports from its
energization on the 16th. The battery charges at 1 200 kW from 10:00 to 14:00 local and discharges at 1 020 kW
from 18:00 to 22:00 (85 % of the charge), each charging interval `20 x (seed % 50)` Wh more and each discharging one
85 % of that more, so two seeds never send the same bytes (the raw store refuses another campus's file); the grid
meter answers for it. Its discharge meter's file has a `channel`
column: the energy on `main` (blank) and the stored energy at each interval end on `soc`, from the declared 1 000 kWh,
85 % of each charge kept and each discharge taken out, so it is back at 1 000 kWh every night. The price file is ERCOT's real-time settlement point price report (NP6-905-CD) for
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
BATTERY_CHARGE_KWH = Decimal(300)  # 1 200 kW for 15 minutes
BATTERY_DISCHARGE_KWH = Decimal(255)  # 1 020 kW for 15 minutes
BATTERY_CHARGE_HOURS = (10, 14)
BATTERY_DISCHARGE_HOURS = (18, 22)
BATTERY_KEPT = Decimal("0.85")
BATTERY_STORED_KWH_INITIAL = Decimal(1000)
STATE_OF_CHARGE_CHANNEL = "soc"


def month_starts_utc(year: int, month: int) -> list[datetime]:
    start = datetime(year, month, 1, tzinfo=CENTRAL).astimezone(UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CENTRAL).astimezone(UTC)
    return [start + index * INTERVAL for index in range((end - start) // INTERVAL)]


def _solar_fraction(local: datetime, clouds: float) -> float:
    hour = local.hour + local.minute / 60
    return max(0.0, math.sin(math.pi * (hour - 7.0) / 12.5)) * clouds if 7.0 < hour < 19.5 else 0.0


def _kwh(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(KWH_PLACES, rounding=ROUND_HALF_EVEN)


def battery_kwh(local: datetime, seed: int) -> tuple[Decimal, Decimal]:
    """(charge, discharge) kWh of the interval starting at `local`: a multiple of 20 Wh more charge keeps 85 % of it
    a whole Wh, and the discharge takes out that 85 % too."""
    extra_kwh = Decimal(20 * (seed % 50)) / 1000
    if BATTERY_CHARGE_HOURS[0] <= local.hour < BATTERY_CHARGE_HOURS[1]:
        return BATTERY_CHARGE_KWH + extra_kwh, Decimal(0)
    if BATTERY_DISCHARGE_HOURS[0] <= local.hour < BATTERY_DISCHARGE_HOURS[1]:
        return Decimal(0), BATTERY_DISCHARGE_KWH + extra_kwh * BATTERY_KEPT
    return Decimal(0), Decimal(0)


def meter_rows(year: int, month: int, seed: int) -> dict[str, list[tuple[str, datetime, Decimal]]]:
    """(name in the file, interval start UTC, value) per metering point; Hall 2's values are raw register
    values of the device named; `soc` is the battery's stored energy at each interval end (kWh)."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple[str, datetime, Decimal]]] = {m: [] for m in [*(load.meter_id for load in LOADS),
                                                                             *SOLAR_KW, "GRID-IMP", "BESS-CHG",
                                                                             "BESS-DIS", STATE_OF_CHARGE_CHANNEL]}
    stored_kwh = BATTERY_STORED_KWH_INITIAL
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
        # The battery follows a fixed schedule outside the random sequence, so every other meter is as it was before
        # the campus had one; the grid answers for it.
        charge_kwh, discharge_kwh = battery_kwh(local, seed)
        stored_kwh += charge_kwh * BATTERY_KEPT - discharge_kwh
        rows["BESS-CHG"].append(("BESS-CHG", start_utc, charge_kwh))
        rows["BESS-DIS"].append(("BESS-DIS", start_utc, discharge_kwh))
        rows[STATE_OF_CHARGE_CHANNEL].append(("BESS-DIS", start_utc, stored_kwh))
        grid = max(Decimal(0), _kwh(float(total_load_kwh) * (1 + LOSS_FRACTION)) - solar_kwh)
        rows["GRID-IMP"].append(("GRID-IMP", start_utc, grid + charge_kwh - discharge_kwh))
    return rows


def _hall2_row(start_utc: datetime, energy_kwh: Decimal) -> tuple[str, datetime, Decimal]:
    serial, multiplier = HALL2_DEVICES[0] if start_utc < EXCHANGE_UTC else HALL2_DEVICES[1]
    return serial, start_utc, (energy_kwh / multiplier).quantize(KWH_PLACES, rounding=ROUND_HALF_EVEN)


def write_meter_files(folder: Path, year: int, month: int, seed: int = 11) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    by_meter = meter_rows(year, month, seed)
    levels = by_meter.pop(STATE_OF_CHARGE_CHANNEL)
    for meter_id, rows in by_meter.items():
        path = folder / f"{meter_id}_{year:04d}-{month:02d}.csv"
        if meter_id == "BESS-DIS":
            # Energy (channel blank: main) and the stored level (channel soc) of each interval, side by side.
            lines = ["meter_id,interval_start,value,unit,channel"]
            for (name, start, value), (_, _, level) in zip(rows, levels, strict=True):
                stamp = start.astimezone(CENTRAL).isoformat()
                lines += [f"{name},{stamp},{value},kWh,", f"{name},{stamp},{level},kWh,{STATE_OF_CHARGE_CHANNEL}"]
        else:
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
