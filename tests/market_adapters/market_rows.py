"""Row builders shared by the market adapter tests (imported by module name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from datetime import datetime, timedelta

from meterdata.schema import QUALITY_MEASURED

IntervalRow = tuple[str, str, datetime, int, int]  # meter_id, channel, interval_start_utc, energy_wh, quality


def quarter_hour_rows(meter_id: str, channel: str, start_utc: datetime, count: int, energy_wh: int,
                      quality: int = QUALITY_MEASURED) -> list[IntervalRow]:
    """`count` consecutive 15-minute rows of the same energy."""
    return [(meter_id, channel, start_utc + index * timedelta(minutes=15), energy_wh, quality)
            for index in range(count)]
