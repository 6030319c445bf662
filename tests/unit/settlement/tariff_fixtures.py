"""Small hand-made URDB rates and load builders for the tariff tests (shapes as the URDB API returns them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

ON_PEAK_HOURS = range(14, 18)  # 14:00-18:00 local, weekdays


def _schedule(on_peak: bool) -> list[list[int]]:
    row = [1 if on_peak and hour in ON_PEAK_HOURS else 0 for hour in range(24)]
    return [list(row) for _ in range(12)]


def two_period_rate(**extra: Any) -> dict[str, Any]:
    """Off-peak 0.10 then 0.12 $/kWh above 100 kWh; on-peak 0.20 then 0.25; on-peak demand 10 $/kW;
    flat demand 5 $/kW up to 50 kW then 4 $/kW; fixed 1 $/day."""
    rate: dict[str, Any] = {
        "label": "test-two-period", "name": "Two period TOU", "utility": "Test Utility",
        "energyratestructure": [
            [{"max": 100, "rate": 0.08, "adj": 0.02, "unit": "kWh"}, {"max": 1e38, "rate": 0.12, "unit": "kWh"}],
            [{"max": 100, "rate": 0.20, "unit": "kWh"}, {"rate": 0.25, "unit": "kWh"}],
        ],
        "energyweekdayschedule": _schedule(True), "energyweekendschedule": _schedule(False),
        "demandratestructure": [[{"rate": 0}], [{"rate": 10}]],
        "demandweekdayschedule": _schedule(True), "demandweekendschedule": _schedule(False),
        "flatdemandstructure": [[{"max": 50, "rate": 5}, {"rate": 4}]], "flatdemandmonths": [0] * 12,
        "fixedchargefirstmeter": 1, "fixedchargeunits": "$/day",
    }
    rate.update(extra)
    return rate


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def load_csv(rows: list[tuple[datetime, str]]) -> str:
    return "interval_start,energy_kwh\n" + "".join(f"{start.isoformat()},{kwh}\n" for start, kwh in rows)


def rate_json(rate: dict[str, Any]) -> str:
    return json.dumps(rate)
