"""IESO (Ontario) and AESO (Alberta) price reports: CAD prices kept as published with currency "CAD"; IESO's EST
clock gives 24 hours on Ontario's daylight-saving days, AESO's Mountain prevailing labels give 23 hours (01, 03..24)
in spring and 25 (01, 02, 02*, 03..24) in autumn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.aeso import parse_pool_price_csv
from market_adapters.ieso import parse_hoep_csv, parse_realtime_lmp_csv
from market_adapters.price_files import parse_price_file

FIXTURES = Path(__file__).parent / "fixtures"
HOEP = FIXTURES / "ieso" / "PUB_PriceHOEPPredispOR_2024-dst-days.csv"
LMP = FIXTURES / "ieso" / "PUB_RealtimeEnergyLMP_2025110202.csv"
SPRING = FIXTURES / "aeso" / "HistoricalPoolPriceReport_03092025.csv"
FALL = FIXTURES / "aeso" / "HistoricalPoolPriceReport_11022025.csv"


def test_hoep_days_have_24_est_hours_even_on_dst_days():
    """2024-03-10 Hour 1 = 00:00-01:00 EST = 05:00 UTC; Hour 24 = 04:00 UTC on the 11th; the same on 3 November.
    Hour 3 of 10 March: 20 + 1.5 + 0.07 = 21.57 CAD/MWh."""
    rows = parse_hoep_csv(HOEP.read_text(), HOEP.name)
    assert len(rows) == 48 and {(row.iso, row.market, row.node, row.currency) for row in rows} == {
        ("IESO", "RT", "ONTARIO", "CAD")}
    march = [row.interval_start_utc for row in rows[:24]]
    assert march == [datetime(2024, 3, 10, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(24)]
    november = [row.interval_start_utc for row in rows[24:]]
    assert november == [datetime(2024, 11, 3, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(24)]
    assert rows[2].lmp_usd_per_mwh == Decimal("21.57")


def test_realtime_lmp_hour_2_of_the_fall_back_day():
    """File hour 2 of 2025-11-02, interval 1 = 01:00 EST = 06:00 UTC, interval 12 = 06:55 UTC; ONZN interval 1:
    31.25 with loss 0.40 and congestion 0.00; ':LMP' dropped from the location."""
    rows = parse_realtime_lmp_csv(LMP.read_text(), str(LMP))
    onzn = [row for row in rows if row.node == "ONZN"]
    assert [row.interval_start_utc for row in onzn] == [
        datetime(2025, 11, 2, 6, tzinfo=UTC) + timedelta(minutes=5 * n) for n in range(12)]
    first = onzn[0]
    assert (first.market, first.interval_minutes, first.lmp_usd_per_mwh, first.loss_usd_per_mwh,
            first.congestion_usd_per_mwh, first.energy_usd_per_mwh, first.currency) == (
        "RT5", 5, Decimal("31.25"), Decimal("0.40"), Decimal("0.00"), None, "CAD")
    assert {row.node for row in rows} == {"ONZN", "BRUCEGS-G5"}


def test_pool_price_spring_forward_day_has_23_hours_without_02():
    """2025-03-09: 01 = 00:00 MST = 07:00 UTC; 03 = 01:00 MST = 08:00 UTC (ends 03:00 MDT); 24 = 05:00 UTC on the
    10th. Second row: 40 + 1.13 = 41.13 CAD/MWh."""
    rows = parse_pool_price_csv(SPRING.read_text(), SPRING.name)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2025, 3, 9, 7, tzinfo=UTC) + timedelta(hours=hour) for hour in range(23)]
    assert (rows[1].lmp_usd_per_mwh, rows[1].node, rows[1].iso, rows[1].currency) == (
        Decimal("41.13"), "ALBERTA", "AESO", "CAD")


def test_pool_price_fall_back_day_02_star_is_the_second_one_oclock_hour():
    """2025-11-02: 02 = 01:00 MDT = 07:00 UTC, 02* = 01:00 MST = 08:00 UTC, 03 = 09:00 UTC; the 25th hour (24) is
    '-' (not yet priced) and skipped, so 24 rows from 06:00 UTC."""
    rows = parse_pool_price_csv(FALL.read_text(), FALL.name)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2025, 11, 2, 6, tzinfo=UTC) + timedelta(hours=hour) for hour in range(24)]
    assert rows[2].lmp_usd_per_mwh == Decimal("52.26")


@pytest.mark.parametrize(("line", "field"), [
    ('"03/09/2025 02","40.00","60.00","9600.0"', "Date (HE)"),   # no 02 on the spring-forward day
    ('"07/15/2025 02*","40.00","60.00","9600.0"', "Date (HE)"),  # 02* only on the fall-back day
    ('"07/15/2025 25","40.00","60.00","9600.0"', "Date (HE)"),
    ('"07/15/2025 05","4O.00","60.00","9600.0"', "Price ($)"),
])
def test_bad_pool_price_lines_name_line_and_field(line, field):
    text = '"Pool Price"\n\n"Date (HE)","Price ($)","30Ravg ($)","AIL Demand (MW)"\n' + line + "\n"
    with pytest.raises(BadInput) as caught:
        parse_pool_price_csv(text, "pool.csv")
    assert (caught.value.line, caught.value.field) == (4, field)


def test_bad_ieso_input_is_named():
    with pytest.raises(BadInput) as caught:
        parse_hoep_csv("Date,Hour,HOEP,GHG\n2024-03-10,1,20.5,0\n", "hoep.csv")
    assert (caught.value.line, caught.value.field) == (1, "GHG")
    with pytest.raises(BadInput) as caught:
        parse_hoep_csv("Date,Hour,HOEP\n2024-03-10,25,20.5\n", "hoep.csv")
    assert (caught.value.line, caught.value.field) == (2, "Hour")
    with pytest.raises(BadInput) as caught:
        parse_hoep_csv("Date,Hour,HOEP\n2024-03-10,1,20.5\n2024-03-10,1,21.5\n", "hoep.csv")
    assert (caught.value.line, caught.value.field) == (3, "Hour")
    with pytest.raises(BadInput) as caught:
        parse_realtime_lmp_csv(LMP.read_text(), "lmp.csv")
    assert caught.value.field == "file name"


def test_registered_price_formats_read_the_fixtures():
    for file_format, path, count in (("ieso-hoep", HOEP, 48), ("ieso-rt-lmp", LMP, 24), ("aeso-pool-price", FALL, 24)):
        rows = parse_price_file(file_format, path.name, path.read_bytes(), feed="", interval_minutes=60)
        assert len(rows) == count and {row.currency for row in rows} == {"CAD"}
