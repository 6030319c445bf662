"""Per-tenant daily energy from the validated interval file, for the invoices' daily load chart.

The settle step can store the result as `result_json["tenant_usage"]` (shape in `invoicing.usage`). An
interval counts toward the local calendar day (campus time zone) in which it begins, so a day has 23 or
25 hours of intervals across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from intervals import energy_wh_by_meter_local_day, read_intervals

USAGE_COLUMNS = ("meter_id", "interval_start_utc", "energy_wh")


def tenant_daily_usage(intervals: pa.Table, tenant_of_meter: Mapping[str, str | None], time_zone: str
                       ) -> dict[str, dict[str, Any]]:
    """`{tenant_id: {"daily_energy_wh": {"YYYY-MM-DD": Wh}}}` summed over each tenant's meters."""
    usage: dict[str, dict[str, Any]] = {}
    for meter_id, by_day in energy_wh_by_meter_local_day(intervals, time_zone).items():
        tenant_id = tenant_of_meter.get(meter_id)
        if tenant_id is None:
            continue
        daily = usage.setdefault(tenant_id, {"daily_energy_wh": {}})["daily_energy_wh"]
        for day, energy_wh in by_day.items():
            daily[day.isoformat()] = daily.get(day.isoformat(), 0) + energy_wh
    for tenant in usage.values():
        tenant["daily_energy_wh"] = dict(sorted(tenant["daily_energy_wh"].items()))
    return usage


def tenant_daily_usage_from_file(intervals_uri: str, tenant_of_meter: Mapping[str, str | None], time_zone: str
                                 ) -> dict[str, dict[str, Any]]:
    """Read only the three needed columns of the interval Parquet file and summarise them."""
    return tenant_daily_usage(read_intervals(intervals_uri, USAGE_COLUMNS).table, tenant_of_meter, time_zone)
