"""NYISO MIS LBMP CSV reader: the real sample parses, labels become UTC starts, congestion sign is normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.nyiso.format import format_lbmp_csv
from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.prices import PriceRow

HEADER = ('"Time Stamp","Name","PTID","LBMP ($/MWHr)","Marginal Cost Losses ($/MWHr)",'
          '"Marginal Cost Congestion ($/MWHr)"')


def test_real_sample_parses_with_end_stamps(shared_dir):
    """The MIS sample (real-time, stamps are interval ends, 15-minute spacing) yields 45 rows; N.Y.C. at
    00:15 EST ends the interval starting 05:00 UTC with LBMP 21.85 and losses 2.00."""
    text = (shared_dir / "iso_samples" / "nyiso_realtime_zone_lbmp_sample.csv").read_text()
    rows = parse_lbmp_csv(text, "sample.csv", market="RT", stamp_is_end=True, interval_minutes=15,
                          publish_time_utc=None, version=1)
    assert len(rows) == 45
    nyc = next(row for row in rows if row.node == "N.Y.C.")
    assert nyc.interval_start_utc == datetime(2016, 2, 18, 5, 0, tzinfo=UTC)
    assert nyc.lmp_usd_per_mwh == Decimal("21.85")
    assert nyc.loss_usd_per_mwh == Decimal("2.00")
    assert nyc.energy_usd_per_mwh == Decimal("19.85")
    assert {row.node for row in rows} >= {"CAPITL", "H Q", "WEST"}


def test_congestion_sign_is_flipped_to_common_convention():
    """Published congestion -12.55 means +12.55 in LMP = energy + congestion + loss: energy = 88.12-3.40-12.55."""
    text = HEADER + '\n"07/15/2025 14:00","N.Y.C.",61761,88.12,3.40,-12.55\n'
    [row] = parse_lbmp_csv(text, "dam.csv", market="DA", stamp_is_end=False, interval_minutes=60,
                           publish_time_utc=None, version=1)
    assert row.interval_start_utc == datetime(2025, 7, 15, 18, tzinfo=UTC)
    assert row.congestion_usd_per_mwh == Decimal("12.55")
    assert row.energy_usd_per_mwh == Decimal("72.17")
    assert row.energy_usd_per_mwh + row.congestion_usd_per_mwh + row.loss_usd_per_mwh == row.lmp_usd_per_mwh


def test_repeated_fall_back_hour_is_told_apart_by_order_or_time_zone_column():
    """Two 01:00 day-ahead rows map to 05:00 and 06:00 UTC, with and without a Time Zone column."""
    plain = HEADER + '\n"11/02/2025 01:00","WEST",61752,20,1,0\n"11/02/2025 01:00","WEST",61752,21,1,0\n'
    rows = parse_lbmp_csv(plain, "f.csv", market="DA", stamp_is_end=False, interval_minutes=60,
                          publish_time_utc=None, version=1)
    assert [row.interval_start_utc.hour for row in rows] == [5, 6]
    zoned = (HEADER + ',"Time Zone"\n"11/02/2025 01:00","WEST",61752,21,1,0,"EST"\n'
             '"11/02/2025 01:00","WEST",61752,20,1,0,"EDT"\n')
    rows = parse_lbmp_csv(zoned, "z.csv", market="DA", stamp_is_end=False, interval_minutes=60,
                          publish_time_utc=None, version=1)
    assert [(row.interval_start_utc.hour, row.lmp_usd_per_mwh) for row in rows] == [(6, 21), (5, 20)]


def test_bad_cells_name_file_line_and_field():
    """A price that is not a number and a stamp in the spring-forward gap are BadInput with their line."""
    with pytest.raises(BadInput) as caught:
        parse_lbmp_csv(HEADER + '\n"07/15/2025 14:00","WEST",1,abc,1,0\n', "bad.csv", market="DA",
                       stamp_is_end=False, interval_minutes=60, publish_time_utc=None, version=1)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("bad.csv", 2, "LBMP ($/MWHr)")
    with pytest.raises(BadInput) as caught:
        parse_lbmp_csv(HEADER + '\n"03/09/2025 02:00","WEST",1,20,1,0\n', "gap.csv", market="DA",
                       stamp_is_end=False, interval_minutes=60, publish_time_utc=None, version=1)
    assert caught.value.field == "Time Stamp"


def test_dst_days_round_trip_through_the_mis_csv_writer():
    """Day-ahead (start stamps) and real-time (end stamps) rows of both DST days come back unchanged."""
    for day_start, hours in ((datetime(2025, 11, 2, 4, tzinfo=UTC), 25), (datetime(2025, 3, 9, 5, tzinfo=UTC), 23)):
        for market, stamp_is_end, minutes in (("DA", False, 60), ("RT", True, 5)):
            count = hours * 60 // minutes
            rows = [PriceRow("NYISO", market, "WEST", day_start + i * timedelta(minutes=minutes), minutes,
                             Decimal("30.5") + i, Decimal(29) + i, Decimal("0.75"), Decimal("0.75"), None, 1,
                             node_type="ZONE", zone="WEST")
                    for i in range(count)]
            text = format_lbmp_csv(rows, {"WEST": 61752}, stamp_is_end=stamp_is_end)
            back = parse_lbmp_csv(text, "x.csv", market=market, stamp_is_end=stamp_is_end, interval_minutes=minutes,
                                  publish_time_utc=None, version=1)
            assert back == rows
