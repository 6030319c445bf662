"""Per-tenant daily energy from the validated interval file, for the invoices' daily load chart.

The settle step can store the result as `result_json["tenant_usage"]` (shape in `invoicing.usage`). An
interval counts toward the local calendar day (campus time zone) in which it begins, so a day has 23 or
25 hours of intervals across daylight-saving changes. Meter-day sums come from `intervals` as arrays and are
summed per tenant with numpy; only the result (tenants x days) is built as dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from intervals import meter_local_day_sums, read_intervals

USAGE_COLUMNS = ("meter_id", "interval_start_utc", "energy_wh")


def tenant_daily_usage(intervals: pa.Table, tenant_of_meter: Mapping[str, str | None], time_zone: str
                       ) -> dict[str, dict[str, Any]]:
    """`{tenant_id: {"daily_energy_wh": {"YYYY-MM-DD": Wh}}}` summed over each tenant's meters (tenants with
    rows only, sorted; each tenant's days with rows, in order)."""
    meter_ids = sorted(meter_id for meter_id, tenant_id in tenant_of_meter.items() if tenant_id is not None)
    sums = meter_local_day_sums(intervals, time_zone, meter_ids)
    tenant_ids = sorted({str(tenant_of_meter[meter_id]) for meter_id in meter_ids})
    tenant_position = {tenant_id: index for index, tenant_id in enumerate(tenant_ids)}
    tenant_of_row = np.array([tenant_position[str(tenant_of_meter[m])] for m in sums.meter_ids], dtype=np.int64)
    tenant_of_entry = tenant_of_row[sums.meter_index] if sums.meter_index.size else sums.meter_index
    shape = (len(tenant_ids), len(sums.period_numbers))
    energy_wh = np.zeros(shape, dtype=np.int64)
    np.add.at(energy_wh, (tenant_of_entry, sums.period_index), sums.energy_wh)
    entries = np.zeros(shape, dtype=np.int64)
    np.add.at(entries, (tenant_of_entry, sums.period_index), 1)
    days = [day.isoformat() for day in sums.days()]
    usage: dict[str, dict[str, Any]] = {}
    for index, tenant_id in enumerate(tenant_ids):
        with_rows = np.flatnonzero(entries[index]).tolist()
        if with_rows:
            wh = energy_wh[index].tolist()
            usage[tenant_id] = {"daily_energy_wh": {days[day]: wh[day] for day in with_rows}}
    return usage


def tenant_daily_usage_from_file(intervals_uri: str, tenant_of_meter: Mapping[str, str | None], time_zone: str
                                 ) -> dict[str, dict[str, Any]]:
    """Read only the three needed columns of the interval Parquet file and summarise them."""
    return tenant_daily_usage(read_intervals(intervals_uri, USAGE_COLUMNS).table, tenant_of_meter, time_zone)
