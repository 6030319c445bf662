"""Tenant occupancy within a settlement segment (pure): who is billed, over which part, for how many days.

`campus.Tenant.move_in` is the first local day billed and `move_out` the first local day not billed. A tenant
that occupies no day of a segment is not billed in it at all (no lines, no share of any pool); one that
occupies part of it is billed over that part: its metered energy, and monthly charges prorated by its days
(README, "Partial periods"). Its meters are in service only while it occupies the campus, so energy metered
outside its occupancy is a data error and is refused rather than billed to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from campus import MeterRole, Tenant
from common.errors import BadInput
from settlement.engine.inputs import Series, TenantWindow, tenant_series_key
from settlement.engine.meters import MeterRef
from settlement.engine.segments import local_days, local_midnight_utc
from settlement.tariffs import datetime_to_utc_us


@dataclass(frozen=True)
class SegmentOccupancy:
    """`tenant_ids`: billed (occupying at least one day), sorted; `windows`: those of them occupying only part
    of the segment; `absent_tenant_ids`: campus tenants occupying no day of it."""

    tenant_ids: list[str]
    windows: dict[str, TenantWindow]
    absent_tenant_ids: tuple[str, ...]


def segment_occupancy(tenant_ids: Sequence[str], tenants: Sequence[Tenant], start_utc: datetime,
                      end_utc: datetime, time_zone: ZoneInfo) -> SegmentOccupancy:
    """Occupancy of each of `tenant_ids` over [start_utc, end_utc) (an id without a `Tenant`: every day)."""
    days = local_days(start_utc, end_utc, time_zone)
    by_id = {tenant.tenant_id: tenant for tenant in tenants}
    billed: list[str] = []
    windows: dict[str, TenantWindow] = {}
    absent: list[str] = []
    for tenant_id in sorted(tenant_ids):
        tenant = by_id.get(tenant_id)
        occupied = [day for day in days if tenant is None or tenant.occupies(day)]
        if not occupied:
            absent.append(tenant_id)
            continue
        billed.append(tenant_id)
        if len(occupied) < len(days):  # occupancy is one run of days: [move_in, move_out)
            window_start_utc = start_utc if occupied[0] == days[0] else \
                local_midnight_utc(occupied[0], time_zone)
            window_end_utc = end_utc if occupied[-1] == days[-1] else \
                local_midnight_utc(occupied[-1] + timedelta(days=1), time_zone)
            windows[tenant_id] = TenantWindow(window_start_utc, window_end_utc, len(occupied))
    return SegmentOccupancy(billed, windows, tuple(absent))


def check_energy_within_occupancy(source: str, occupancy: SegmentOccupancy, series: Mapping[str, Series],
                                  meters: Sequence[MeterRef], meter_totals_wh: Mapping[str, int]) -> None:
    """Refuse energy metered for a tenant on a day it does not occupy (BadInput naming meter or instant)."""
    for meter in meters:
        if meter.role == MeterRole.TENANT and meter.tenant_id in occupancy.absent_tenant_ids and \
                meter_totals_wh.get(meter.meter_id, 0):
            raise BadInput(source, None, "meter_id", f"meter {meter.meter_id} has"
                           f" {meter_totals_wh[meter.meter_id]} Wh while tenant {meter.tenant_id} occupies no"
                           " day of the period")
    for tenant_id, window in sorted(occupancy.windows.items()):
        load = series.get(tenant_series_key(tenant_id))
        if load is None:
            continue  # a tenant without meters has no energy anywhere
        outside = (load.starts_utc_us < datetime_to_utc_us(window.start_utc)) | \
            (load.starts_utc_us >= datetime_to_utc_us(window.end_utc))
        metered = np.flatnonzero(outside & (load.energy_wh != 0))
        if metered.size:
            instant = np.datetime64(int(load.starts_utc_us[metered[0]]), "us")
            raise BadInput(source, None, "interval_start_utc", f"tenant {tenant_id} has energy at {instant}Z,"
                           f" outside its occupancy [{window.start_utc.isoformat()},"
                           f" {window.end_utc.isoformat()})")


def occupied_part(series: Series, window: TenantWindow | None) -> Series:
    """The cells of `series` inside the tenant's window (all of them when it occupies the whole segment)."""
    if window is None:
        return series
    inside = (series.starts_utc_us >= datetime_to_utc_us(window.start_utc)) & \
        (series.starts_utc_us < datetime_to_utc_us(window.end_utc))
    return Series(series.starts_utc_us[inside], series.energy_wh[inside], series.interval_minutes)
