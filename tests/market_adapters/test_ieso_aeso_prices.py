"""IESO (Ontario) and AESO (Alberta) price reports: CAD prices kept as published with currency "CAD"; IESO's EST
clock gives 24 hours on Ontario's daylight-saving days, AESO's Mountain prevailing labels give 23 hours (01, 03..24)
in spring and 25 (01, 02, 02*, 03..24) in autumn. The HOEP and pool price fixtures are excerpts of real published
files (fixtures/ieso/SOURCES.md, fixtures/aeso/SOURCES.md); the prices asserted are theirs."""

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
HOEP = FIXTURES / "ieso" / "PUB_PriceHOEPPredispOR_2019-dst-days.csv"
LMP = FIXTURES / "ieso" / "PUB_RealtimeEnergyLMP_2025110202.csv"
SPRING = FIXTURES / "aeso" / "HistoricalPoolPriceReport_03132022.csv"
FALL = FIXTURES / "aeso" / "HistoricalPoolPriceReport_11062022.csv"
NOT_YET_PRICED = FIXTURES / "aeso" / "HistoricalPoolPriceReport_10142023.csv"


def test_hoep_days_have_24_est_hours_even_on_dst_days() -> None:
    """IESO's 2019 report: 10 March and 3 November (Ontario's daylight-saving days) have Hours 1..24 like any day.
    Hour h starts at (h - 1):00 EST = (h + 4):00 UTC. 10 March, Hour 2 (01:00 EST, the wall clock's last hour
    before the jump to 03:00 EDT): 56.66; Hour 3 (02:00 EST = 07:00 UTC): 47.54. 3 November, Hour 1 (05:00 UTC,
    the wall clock's first 01:00, EDT): -0.01; Hour 2 (06:00 UTC, its second 01:00, EST): -0.22; Hour 24 (04:00
    UTC on the 4th): 2.80."""
    rows = parse_hoep_csv(HOEP.read_text(), HOEP.name)
    assert len(rows) == 48 and {(row.iso, row.market, row.node, row.currency) for row in rows} == {
        ("IESO", "RT", "ONTARIO", "CAD")}
    march = [row.interval_start_utc for row in rows[:24]]
    assert march == [datetime(2019, 3, 10, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(24)]
    november = [row.interval_start_utc for row in rows[24:]]
    assert november == [datetime(2019, 11, 3, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(24)]
    prices = {row.interval_start_utc: row.lmp_usd_per_mwh for row in rows}
    assert prices[datetime(2019, 3, 10, 6, tzinfo=UTC)] == Decimal("56.66")
    assert prices[datetime(2019, 3, 10, 7, tzinfo=UTC)] == Decimal("47.54")
    assert prices[datetime(2019, 11, 3, 5, tzinfo=UTC)] == Decimal("-0.01")
    assert prices[datetime(2019, 11, 3, 6, tzinfo=UTC)] == Decimal("-0.22")
    assert prices[datetime(2019, 11, 4, 4, tzinfo=UTC)] == Decimal("2.80")


def test_realtime_lmp_hour_2_of_the_fall_back_day() -> None:
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


def test_pool_price_spring_forward_day_has_23_hours_without_02() -> None:
    """AESO's report for 13 March 2022: HE 01 = 00:00 MST = 07:00 UTC, 71.27; HE 03 = 01:00 MST = 08:00 UTC (the
    hour ends at 03:00 MDT), 66.52; HE 04 = 03:00 MDT = 09:00 UTC, 65.91; HE 24 = 05:00 UTC on the 14th, 55.33."""
    rows = parse_pool_price_csv(SPRING.read_text(), SPRING.name)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2022, 3, 13, 7, tzinfo=UTC) + timedelta(hours=hour) for hour in range(23)]
    assert [row.lmp_usd_per_mwh for row in rows[:3]] == [Decimal("71.27"), Decimal("66.52"), Decimal("65.91")]
    assert rows[-1].lmp_usd_per_mwh == Decimal("55.33")
    assert {(row.node, row.iso, row.currency) for row in rows} == {("ALBERTA", "AESO", "CAD")}


def test_pool_price_fall_back_day_02_star_is_the_second_one_oclock_hour() -> None:
    """AESO's report for 6 November 2022, 25 hours from 06:00 UTC: HE 02 = 01:00 MDT = 07:00 UTC, 54.11; HE 02* =
    01:00 MST = 08:00 UTC, 48.54; HE 03 = 02:00 MST = 09:00 UTC, 53.74; HE 24 = 06:00 UTC on the 7th, 132.27."""
    rows = parse_pool_price_csv(FALL.read_text(), FALL.name)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2022, 11, 6, 6, tzinfo=UTC) + timedelta(hours=hour) for hour in range(25)]
    assert [row.lmp_usd_per_mwh for row in rows[1:4]] == [Decimal("54.11"), Decimal("48.54"), Decimal("53.74")]
    assert rows[-1].lmp_usd_per_mwh == Decimal("132.27")


def test_pool_price_hours_not_yet_priced_are_skipped() -> None:
    """The last day of a report fetched on 14 October 2023: HE 01..15 priced (HE 01 = 00:00 MDT = 06:00 UTC, 23.85;
    HE 15 = 20:00 UTC, 27.33), HE 16..24 published as "-" in every column and skipped."""
    rows = parse_pool_price_csv(NOT_YET_PRICED.read_text(), NOT_YET_PRICED.name)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2023, 10, 14, 6, tzinfo=UTC) + timedelta(hours=hour) for hour in range(15)]
    assert (rows[0].lmp_usd_per_mwh, rows[-1].lmp_usd_per_mwh) == (Decimal("23.85"), Decimal("27.33"))


@pytest.mark.parametrize(("line", "field"), [
    ('"03/09/2025 02","40.00","60.00","9600.0"', "Date (HE)"),   # no 02 on the spring-forward day
    ('"07/15/2025 02*","40.00","60.00","9600.0"', "Date (HE)"),  # 02* only on the fall-back day
    ('"07/15/2025 25","40.00","60.00","9600.0"', "Date (HE)"),
    ('"07/15/2025 05","4O.00","60.00","9600.0"', "Price ($)"),
])
def test_bad_pool_price_lines_name_line_and_field(line: str, field: str) -> None:
    text = '"Pool Price"\n\n"Date (HE)","Price ($)","30Ravg ($)","AIL Demand (MW)"\n' + line + "\n"
    with pytest.raises(BadInput) as caught:
        parse_pool_price_csv(text, "pool.csv")
    assert (caught.value.line, caught.value.field) == (4, field)


def test_bad_ieso_input_is_named() -> None:
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


def test_registered_price_formats_read_the_fixtures() -> None:
    for file_format, path, count in (("ieso-hoep", HOEP, 48), ("ieso-rt-lmp", LMP, 24), ("aeso-pool-price", FALL, 25)):
        rows = parse_price_file(file_format, path.name, path.read_bytes(), feed="", interval_minutes=60)
        assert len(rows) == count and {row.currency for row in rows} == {"CAD"}
