"""Made-up hourly real-time prices at the demo campus's zone (HUD VL) for one month, in NYISO's integrated
real-time zonal LBMP layout (`rtlbmp_zone`: hour-beginning stamps, Eastern clock), what
`wattledger market prices nyiso-rt-hourly FILE --campus demo-campus` loads. They give the demo's shadow
participation something to price: evening peaks over GT1's fuel cost (export) and a few hot weekday evenings over
the campus's economic response threshold. Deterministic for a given seed; shaped like the real thing, not real.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.campus import CAMPUS_TIME_ZONE

ZONE, PTID = "HUD VL", 61758
HEADER = '"Time Stamp","Name","PTID","LBMP ($/MWHr)","Marginal Cost Losses ($/MWHr)","Marginal Cost Congestion ($/MWHr)"'


def hourly_prices(year: int, month: int, seed: int) -> list[tuple[datetime, Decimal]]:
    """(local hour start, USD/MWh): 30 overnight, an evening ramp to about 50, and on a few weekdays after the
    14th a heat-driven evening (17:00-19:00) over 100."""
    zone = ZoneInfo(CAMPUS_TIME_ZONE)
    rng = random.Random(seed * 13 + 5)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    hot_days = {day for day in range(15, 32) if rng.random() < 0.3}
    prices = []
    hour = start
    while hour < end:
        evening = 20 * math.exp(-((hour.hour - 18) ** 2) / 6)
        price = 30 + evening + rng.gauss(0, 3)
        if hour.day in hot_days and hour.weekday() < 5 and 17 <= hour.hour < 19:
            price += 70
        prices.append((hour, Decimal(repr(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)))
        hour = (hour.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(zone)
    return prices


def write_price_file(folder: Path, year: int, month: int, seed: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HEADER] + [f'"{local:%m/%d/%Y %H:%M}","{ZONE}",{PTID},{price},0.00,0.00'
                        for local, price in hourly_prices(year, month, seed)]
    path = folder / f"{year:04d}{month:02d}01rtlbmp_zone.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path
