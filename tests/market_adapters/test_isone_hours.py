"""ISO-NE hour-ending labels, one home for every ISO-NE reader: spring-forward day 01, 02, 04..24 (no 03),
fall-back day 01, 02, 02X, 03..24; the hourly LMP report and the SR_RTLOCSUM statement agree on the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from market_adapters.isone import UnknownHourLabel, hour_labels, hour_start_utc, parse_hourly_lmp_csv
from market_adapters.reconciliation import parse_rtlocsum

FIXTURES = Path(__file__).parent / "fixtures" / "isone"


def test_spring_forward_day_skips_03():
    """2026-03-08: 01 = 00:00 EST (05:00 UTC), 02 = 01:00 EST (06:00 UTC), 04 = 03:00 EDT (07:00 UTC), 24 =
    23:00 EDT (03:00 UTC on the 9th): 23 labels."""
    labels = hour_labels(date(2026, 3, 8))
    assert list(labels)[:4] == ["01", "02", "04", "05"] and len(labels) == 23 and "03" not in labels
    assert (labels["01"], labels["02"], labels["04"], labels["24"]) == (
        datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 6, tzinfo=UTC),
        datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 9, 3, tzinfo=UTC))
    with pytest.raises(UnknownHourLabel, match="spring-forward"):
        hour_start_utc(date(2026, 3, 8), "03")


def test_fall_back_and_ordinary_days():
    """2025-11-02: 02 = 01:00 EDT (05:00 UTC), 02X = 01:00 EST (06:00 UTC), 03 = 02:00 EST (07:00 UTC); an
    ordinary July day has 24 labels and no 02X."""
    fall = hour_labels(date(2025, 11, 2))
    assert len(fall) == 25 and [fall[label].hour for label in ("02", "02X", "03")] == [5, 6, 7]
    assert hour_start_utc(date(2025, 11, 2), "02x") == datetime(2025, 11, 2, 6, tzinfo=UTC)
    assert len(hour_labels(date(2025, 7, 15))) == 24
    with pytest.raises(UnknownHourLabel):
        hour_start_utc(date(2025, 7, 15), "02X")


def test_price_report_and_statement_agree_on_the_spring_forward_day():
    """The same labels of 03/08/2026 give the same UTC starts in the day-ahead LMP report and in SR_RTLOCSUM."""
    prices = parse_hourly_lmp_csv((FIXTURES / "WW_DALMP_ISO_20260308.csv").read_text(), "WW_DALMP_ISO_20260308.csv",
                                  market="DA", publish_time_utc=None)
    hub_starts = [row.interval_start_utc for row in prices if row.node == ".H.INTERNAL_HUB"]
    labels = list(hour_labels(date(2026, 3, 8)))
    rows = "\n".join(f'"D","{label}","4000",".H.INTERNAL_HUB","1","20","0","0","20.00","0.00","0.00"'
                     for label in labels)
    statement = parse_rtlocsum("s.csv", '"C","SR_RTLOCSUM"\n"C","Date: 03/08/2026 and Version: 03/15/2026 10:00:00 GMT"\n'
                               '"H","Trading Interval","Location ID","Location Name","Adjusted Net Interchange Deviation",'
                               '"Real Time Energy Component","Real Time Congestion Component",'
                               '"Real Time Marginal Loss Component","Real Time Energy Charge/Credit",'
                               '"Real Time Congestion Charge/Credit","Real Time Loss Charge/Credit"\n' + rows + "\n")
    expected = [datetime(2026, 3, 8, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(23)]
    assert hub_starts == expected
    assert [hour.interval_start_utc for hour in statement.hours] == expected
