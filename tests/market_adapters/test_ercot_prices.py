"""ERCOT NP6-905-CD and NP4-190-CD readers: Central hour-ending labels with DSTFlag become UTC starts;
`_retry_` re-posts supersede originals. ERCOT publishes no free sample, so rows follow iso-formats.md §5.2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.ercot.format import document_file_name, format_np4_190_csv, format_np6_905_csv, zip_csv
from market_adapters.ercot.parse import (
    document_versions,
    parse_document_name,
    parse_np4_190_csv,
    parse_np6_905_csv,
    read_zip_csv,
)
from market_adapters.prices import PriceRow

NP6 = "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag\n"


def _parse_rt(text: str) -> list[PriceRow]:
    return parse_np6_905_csv(text, "np6.csv", publish_time_utc=None, version=1)


def test_documented_rows_map_to_utc_starts():
    """07/15/2025 HE17 interval 3 starts 16:30 CDT = 21:30 UTC; HE2 with DSTFlag=Y on 11/02 starts 07:00 UTC."""
    rows = _parse_rt(NP6 + "07/15/2025,17,3,HB_NORTH,HU,52.18,N\n11/02/2025,2,1,HB_NORTH,HU,21.07,Y\n"
                     "11/02/2025,2,1,HB_NORTH,HU,20.00,N\n")
    assert [row.interval_start_utc for row in rows] == [
        datetime(2025, 7, 15, 21, 30, tzinfo=UTC), datetime(2025, 11, 2, 7, tzinfo=UTC),
        datetime(2025, 11, 2, 6, tzinfo=UTC)]
    assert rows[0].lmp_usd_per_mwh == Decimal("52.18") and rows[0].market == "RT" and rows[0].interval_minutes == 15


def test_dam_hour_ending_and_spring_forward_gap():
    """NP4-190-CD HE 17:00 starts 16:00 CDT; on 03/09/2025 HE 02:00 and HE 03:00 both name the hour after
    01:00 CST, so a file carrying both is refused as a duplicate."""
    header = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"
    [row] = parse_np4_190_csv(header + "07/15/2025,17:00,HB_HOUSTON,44.5,N\n", "dam.csv", publish_time_utc=None,
                              version=1)
    assert row.interval_start_utc == datetime(2025, 7, 15, 21, tzinfo=UTC) and row.market == "DA"
    with pytest.raises(BadInput) as caught:
        parse_np4_190_csv(header + "03/09/2025,02:00,HB_HOUSTON,44.5,N\n03/09/2025,03:00,HB_HOUSTON,44.5,N\n",
                          "dam.csv", publish_time_utc=None, version=1)
    assert (caught.value.line, caught.value.field) == (3, "DeliveryDate")


def test_bad_dst_flag_and_hour_are_bad_input():
    """DSTFlag must be Y/N and DeliveryHour 1..24, reported with line and field."""
    with pytest.raises(BadInput) as caught:
        _parse_rt(NP6 + "07/15/2025,17,3,HB_NORTH,HU,52.18,\n")
    assert caught.value.field == "DSTFlag"
    with pytest.raises(BadInput) as caught:
        _parse_rt(NP6 + "07/15/2025,25,3,HB_NORTH,HU,52.18,N\n")
    assert caught.value.field == "DeliveryHour"


def test_file_names_carry_publish_time_and_retry_supersedes():
    """The documented name parses (15:45:02 CDT = 20:45:02 UTC); a `_retry_` re-post gets version 2."""
    original = "cdr.00012301.0000000000000000.20250715.154502.SPPHLZNP6905_20250715_1545.csv"
    retry = "cdr.00012301.0000000000000000.20250715.155001000.SPPHLZNP6905_retry_20250715_1545_csv.zip"
    parsed = parse_document_name(original)
    assert parsed.report_type_id == 12301
    assert parsed.publish_time_utc == datetime(2025, 7, 15, 20, 45, 2, tzinfo=UTC)
    assert document_versions([retry, original]) == {original: 1, retry: 2}
    assert document_file_name(12301, datetime(2025, 7, 15, 20, 50, 1, tzinfo=UTC), "SPPHLZNP6905_20250715_1545",
                              retry=True) == retry


def test_fall_back_and_spring_forward_days_round_trip_through_csv():
    """Every 15-minute interval of 2025-11-02 (100) and 2025-03-09 (92) survives format -> zip -> parse."""
    for day_start, count in ((datetime(2025, 11, 2, 5, tzinfo=UTC), 100), (datetime(2025, 3, 9, 6, tzinfo=UTC), 92)):
        rows = [PriceRow("ERCOT", "RT", "HB_WEST", day_start + index * timedelta(minutes=15), 15,
                         Decimal(index) + Decimal("0.25"), None, None, None, None, 1, node_type="HU")
                for index in range(count)]
        blob = zip_csv("x.csv", format_np6_905_csv(rows, "HU"))
        assert _parse_rt(read_zip_csv(blob, "x.zip")) == rows
        hourly = [PriceRow("ERCOT", "DA", "HB_WEST", day_start + index * timedelta(hours=1), 60, Decimal(index),
                           None, None, None, None, 1) for index in range(count // 4)]
        assert parse_np4_190_csv(format_np4_190_csv(hourly), "d.csv", publish_time_utc=None, version=1) == hourly
