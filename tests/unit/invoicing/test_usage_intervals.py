"""Daily tenant energy from intervals: local calendar days of the campus, tenants' meters only, exact sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.usage_intervals import tenant_daily_usage


def _intervals(rows: list[tuple[str, datetime, int]]) -> pa.Table:
    return pa.table({
        "meter_id": pa.array([row[0] for row in rows], pa.string()),
        "interval_start_utc": pa.array([row[1] for row in rows], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([row[2] for row in rows], pa.int64()),
    })


def test_intervals_count_toward_the_local_day_they_begin_in() -> None:
    """04:45 UTC on 1 March is 23:45 on 28 February in New York; 05:00 UTC is midnight, 1 March."""
    table = _intervals([("M1", datetime(2026, 3, 1, 4, 45, tzinfo=UTC), 10),
                        ("M1", datetime(2026, 3, 1, 5, 0, tzinfo=UTC), 7),
                        ("M2", datetime(2026, 3, 1, 5, 15, tzinfo=UTC), 5),
                        ("GEN", datetime(2026, 3, 1, 5, 15, tzinfo=UTC), 1_000)])
    usage = tenant_daily_usage(table, {"M1": "acme", "M2": "acme"}, "America/New_York")
    assert usage == {"acme": {"daily_energy_wh": {"2026-02-28": 10, "2026-03-01": 12}}}


def test_the_spring_forward_day_has_23_hours_of_intervals() -> None:
    """Hourly 1 Wh intervals across 8 March 2026 (New York springs forward): that local day sums to 23 Wh."""
    start_utc = datetime(2026, 3, 8, 5, tzinfo=UTC)  # local midnight, EST
    rows = [("M1", start_utc + timedelta(hours=hour), 1) for hour in range(30)]
    daily = tenant_daily_usage(_intervals(rows), {"M1": "acme"}, "America/New_York")["acme"]["daily_energy_wh"]
    assert daily["2026-03-08"] == 23
    assert daily["2026-03-09"] == 7


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["M1", "M2", "M3", "GEN", "OTHER"]),
                          st.integers(min_value=0, max_value=24 * 4 * 3),
                          st.integers(min_value=0, max_value=10**9)), max_size=60))
def test_daily_usage_equals_a_row_by_row_reference(rows: list[tuple[str, int, int]]) -> None:
    """Tenants, days and Wh equal a dictionary summed row by row (meters without a tenant or unlisted left out)."""
    tenant_of = {"M1": "acme", "M2": "acme", "M3": "borealis", "GEN": None}
    start_utc = datetime(2026, 3, 7, tzinfo=UTC)
    table = _intervals([(meter_id, start_utc + step * timedelta(minutes=15), wh) for meter_id, step, wh in rows])
    expected: dict[str, dict[str, int]] = {}
    for meter_id, step, energy_wh in rows:
        tenant_id = tenant_of.get(meter_id)
        if tenant_id is not None:
            day = (start_utc + step * timedelta(minutes=15)).astimezone(ZoneInfo("America/New_York")).date()
            daily = expected.setdefault(tenant_id, {})
            daily[day.isoformat()] = daily.get(day.isoformat(), 0) + energy_wh
    usage = tenant_daily_usage(table, tenant_of, "America/New_York")
    assert usage == {tenant_id: {"daily_energy_wh": daily} for tenant_id, daily in expected.items()}
