"""Daily tenant energy from intervals: local calendar days of the campus, tenants' meters only, exact sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

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
