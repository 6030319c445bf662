"""ISO-NE hourly LMP reports: hour-ending Eastern labels become UTC starts; "02X" is the second 01:00 hour of the
fall-back day (25 hours), the spring-forward day has 23 hours without "03"; location type is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.isone import parse_hourly_lmp_csv

FIXTURES = Path(__file__).parent / "fixtures" / "isone"
HEAD = ('"C","Day-Ahead Energy Market Hourly LMP Report"\n"H","Date","Hour Ending","Location ID","Location Name",'
        '"Location Type","Locational Marginal Price","Energy Component","Congestion Component",'
        '"Marginal Loss Component"\n')


def _read(name: str, market: str = "DA") -> list:
    return parse_hourly_lmp_csv((FIXTURES / name).read_text(), name, market=market, publish_time_utc=None)


def test_real_report_head_reads_its_one_row():
    """03/17/2026 HE 01 is 00:00-01:00 EDT = 04:00 UTC; 27.93 = 27.75 + 0.0 + 0.18; type NETWORK NODE."""
    [row] = _read("WW_DALMP_ISO_20260317-head.csv")
    assert (row.iso, row.market, row.node, row.interval_start_utc, row.interval_minutes) == (
        "ISONE", "DA", "UN.FRNKLNSQ13.810CC", datetime(2026, 3, 17, 4, tzinfo=UTC), 60)
    assert (row.lmp_usd_per_mwh, row.energy_usd_per_mwh, row.congestion_usd_per_mwh, row.loss_usd_per_mwh) == (
        Decimal("27.93"), Decimal("27.75"), Decimal("0.0"), Decimal("0.18"))
    assert (row.node_type, row.zone, row.version) == ("NETWORK NODE", None, 1)


def test_fall_back_day_02x_is_the_second_one_oclock_hour():
    """2025-11-02: 25 hub hours from 04:00 UTC; "02" starts 05:00 UTC (01:00 EDT), "02X" 06:00 UTC (01:00 EST).
    The hub's prices are ISO-NE's final day-ahead LMPs of that day (SOURCES.md), which ISO-NE's web services state
    with the offset: 01:00-04:00 at 33.89 $/MWh, then 01:00-05:00 at 31.96 = 31.69 + 0.0 + 0.27."""
    rows = _read("WW_DALMP_ISO_20251102.csv")
    hub = [row for row in rows if row.node == ".H.INTERNAL_HUB"]
    assert [row.interval_start_utc for row in hub] == [
        datetime(2025, 11, 2, 4, tzinfo=UTC) + timedelta(hours=hour) for hour in range(25)]
    assert [row.lmp_usd_per_mwh for row in hub[1:3]] == [Decimal("33.89"), Decimal("31.96")]
    assert (hub[2].energy_usd_per_mwh, hub[2].congestion_usd_per_mwh, hub[2].loss_usd_per_mwh, hub[2].node_type) == (
        Decimal("31.69"), Decimal("0.0"), Decimal("0.27"), "HUB")
    zone = [row for row in rows if row.node == ".Z.MAINE"]
    assert len(zone) == 25 and {row.node_type for row in zone} == {"LOAD ZONE"}


def test_spring_forward_day_has_23_hours():
    """2026-03-08: starts 05:00, 06:00 UTC, then 07:00 UTC = 03:00 EDT (HE 04) ... 03:00 UTC next day. ISO-NE's own
    hub prices of that day: 01:00-05:00 at 28.59 $/MWh, then 03:00-04:00 at 25.14 = 24.92 + 0.0 + 0.22."""
    hub = [row for row in _read("WW_DALMP_ISO_20260308.csv") if row.node == ".H.INTERNAL_HUB"]
    assert [row.interval_start_utc for row in hub] == [
        datetime(2026, 3, 8, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(23)]
    assert [row.lmp_usd_per_mwh for row in hub[1:3]] == [Decimal("28.59"), Decimal("25.14")]
    assert hub[2].energy_usd_per_mwh + hub[2].loss_usd_per_mwh == Decimal("25.14")


def test_real_time_final_report_is_version_2():
    """The final report supersedes the preliminary one: same hours, version 2, market RT."""
    rows = _read("lmp_rt_final_20251102.csv", market="RT")
    assert len(rows) == 50 and {(row.market, row.version) for row in rows} == {("RT", 2)}


@pytest.mark.parametrize(("data", "line", "field"), [
    ('"D","03/08/2026","03","4000",".H.INTERNAL_HUB","HUB",1,1,0,0\n', 3, "Hour Ending"),
    ('"D","07/15/2025","02X","4000",".H.INTERNAL_HUB","HUB",1,1,0,0\n', 3, "Hour Ending"),
    ('"D","07/15/2025","25","4000",".H.INTERNAL_HUB","HUB",1,1,0,0\n', 3, "Hour Ending"),
    ('"D","07/15/2025","01","4000",".H.INTERNAL_HUB","HUB",1,x,0,0\n', 3, "Energy Component"),
    ('"D","07/15/2025","01","4000",".H.INTERNAL_HUB","HUB",1,1,0\n', 3, None),
])
def test_bad_rows_name_line_and_field(data, line, field):
    """HE 03 on the spring-forward day, 02X on an ordinary day, HE 25, a text price, a short row."""
    with pytest.raises(BadInput) as caught:
        parse_hourly_lmp_csv(HEAD + data, "isone.csv", market="DA", publish_time_utc=None)
    assert (caught.value.line, caught.value.field) == (line, field)


def test_unknown_column_is_refused():
    """A column the reader does not know may change what the others mean: refused, named."""
    text = HEAD.replace('"Marginal Loss Component"', '"Marginal Loss Component","GHG Component"')
    with pytest.raises(BadInput) as caught:
        parse_hourly_lmp_csv(text, "isone.csv", market="DA", publish_time_utc=None)
    assert (caught.value.line, caught.value.field) == (2, "GHG Component")
