"""ERCOT LSE-format export: file-name rules, 92/96/100 quarter hours per Central day, blank for missing,
and every DST day round-trips back to the same UTC intervals and Wh."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common.errors import BadInput
from market_adapters.ercot.lse_format import build_lse_file, lse_file_name
from market_adapters.ercot.lse_parse import parse_lse
from market_adapters.model import IsoMeterRef
from meterdata.schema import QUALITY_MISSING
from tests.market_adapters.market_rows import quarter_hour_rows

METER = IsoMeterRef("GT1", "10443720001234567", "generation")
CREATED = datetime(2025, 11, 4, 17, 30, 1, tzinfo=UTC)


def _export(write_intervals, rows, first: date, last: date):
    uri = write_intervals(rows, 15)
    return build_lse_file(uri, METER, "delivered", first, last, "999999999", CREATED, 1)


def test_name_and_headers_follow_the_lse_definition(write_intervals):
    """Created 11:30:01 CST -> 999999999IntervalData20251104113001001.lse; header 1 as in iso-formats.md §2.3."""
    start = datetime(2025, 7, 15, 5, tzinfo=UTC)
    lse = _export(write_intervals, quarter_hour_rows("GT1", "delivered", start, 96, 1_250), date(2025, 7, 15),
                  date(2025, 7, 15))
    assert lse.file_name == "999999999IntervalData20251104113001001.lse"
    lines = lse.text.split("\r\n")
    assert lines[0] == "00000001,10443720001234567,1,20250715000000,20250716000000,Y,N"
    assert lines[1] == "00000002,15,KWH,1"
    assert lines[2] == "00000003,20250715,96," + ",".join(["1.250"] * 96)


def test_dst_days_have_92_and_100_values_and_round_trip(write_intervals):
    """2025-03-09 (92) and 2025-11-02 (100) in Central time; each value comes back at its UTC start."""
    spring_start = datetime(2025, 3, 9, 6, tzinfo=UTC)
    fall_start = datetime(2025, 11, 2, 5, tzinfo=UTC)
    rows = [("GT1", "delivered", spring_start + i * timedelta(minutes=15), 1000 + i, 0) for i in range(92)]
    rows += [("GT1", "delivered", fall_start + i * timedelta(minutes=15), 5000 + i, 0) for i in range(100)]
    spring = _export(write_intervals, rows[:92], date(2025, 3, 9), date(2025, 3, 9))
    fall = _export(write_intervals, rows[92:], date(2025, 11, 2), date(2025, 11, 2))
    assert spring.text.split("\r\n")[2].startswith("00000003,20250309,92,1.000,")
    assert fall.text.split("\r\n")[2].count(",") == 3 + 99
    back = parse_lse(spring.file_name, spring.text).intervals + parse_lse(fall.file_name, fall.text).intervals
    assert [(i.interval_start_utc, i.energy_wh) for i in back] == [(row[2], row[3]) for row in rows]


def test_missing_intervals_are_blank_not_zero(write_intervals):
    """An absent quarter hour and one flagged missing both export as empty cells; a real 0 stays 0.000."""
    start = datetime(2025, 7, 15, 5, tzinfo=UTC)
    rows = quarter_hour_rows("GT1", "delivered", start, 96, 0)
    rows[1] = ("GT1", "delivered", rows[1][2], 7, QUALITY_MISSING)
    del rows[2]
    lse = _export(write_intervals, rows, date(2025, 7, 15), date(2025, 7, 15))
    assert lse.text.split("\r\n")[2].startswith("00000003,20250715,96,0.000,,,0.000,")
    values = [i.energy_wh for i in parse_lse(lse.file_name, lse.text).intervals]
    assert values[:4] == [0, None, None, 0]


def test_name_rules_and_row_shape_are_enforced():
    """A 10-digit DUNS, a .csv name and a fall-back row with 96 values are rejected with their field."""
    with pytest.raises(BadInput, match="DUNS"):
        lse_file_name("1234567890", CREATED, 1)
    with pytest.raises(BadInput, match="no .csv"):
        parse_lse("999999999IntervalData20251104113001001.lse.csv", "")
    text = ("00000001,1,1,20251102000000,20251103000000,Y,N\r\n00000002,15,KWH,1\r\n"
            "00000003,20251102,96," + ",".join(["1.000"] * 96) + "\r\n")
    with pytest.raises(BadInput) as caught:
        parse_lse("999999999IntervalData20251104113001001.lse", text)
    assert (caught.value.line, caught.value.field) == (3, "interval count")


def test_five_minute_meters_are_summed_into_quarter_hours(write_intervals):
    """Three 5-minute readings make one quarter hour; a quarter with a missing or absent 5 minutes is blank;
    hourly meters cannot be split and are refused with the field named."""
    start = datetime(2025, 7, 15, 5, tzinfo=UTC)
    rows = [("GT1", "delivered", start + i * timedelta(minutes=5), 100 + i, 0) for i in range(3 * 96)]
    rows[4] = (*rows[4][:4], QUALITY_MISSING)  # second quarter hour
    del rows[7]  # third quarter hour
    lse = build_lse_file(write_intervals(rows, 5), METER, "delivered", date(2025, 7, 15), date(2025, 7, 15),
                         "999999999", CREATED, 1)
    cells = lse.text.split("\r\n")[2].split(",")[3:]
    assert len(cells) == 96
    assert cells[:4] == ["0.303", "", "", "0.330"]  # 100+101+102 Wh; 109+110+111 Wh
    assert cells[95] == f"{(3 * 100 + 3 * 285 + 3) / 1000:.3f}"
    hourly = write_intervals([("GT1", "delivered", start, 4_000, 0)], 60)
    with pytest.raises(BadInput) as caught:
        build_lse_file(hourly, METER, "delivered", date(2025, 7, 15), date(2025, 7, 15), "999999999", CREATED, 1)
    assert caught.value.field == "interval_minutes"
