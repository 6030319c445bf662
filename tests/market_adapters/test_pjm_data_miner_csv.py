"""PJM Data Miner CSV exports on a real export of both DST days of 2025 (PJM-RTO `da_hrl_lmps` rows, verbatim,
fixtures/pjm/SOURCES.md): the UTC column decides each hour (25 on the fall-back day, 23 on the spring-forward
day), prices and node attributes are kept as published; a CSV handed to the JSON format, or JSON without items,
is a clear error naming the file instead of a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.pjm import parse_data_miner_csv
from market_adapters.price_files import parse_price_file
from market_adapters.prices import PriceRow

FIXTURES = Path(__file__).parent / "fixtures" / "pjm"
FALL_BACK = "da_hrl_lmps-20251102.csv"
SPRING_FORWARD = "da_hrl_lmps-20250309.csv"
HEADER = "datetime_beginning_utc,pnode_id,total_lmp_da,version_nbr\n"


def _read(name: str) -> list[PriceRow]:
    return parse_data_miner_csv((FIXTURES / name).read_text(), "da_hrl_lmps", name)


def _prices(row: PriceRow) -> tuple[Decimal, Decimal | None, Decimal | None, Decimal | None]:
    return row.lmp_usd_per_mwh, row.energy_usd_per_mwh, row.congestion_usd_per_mwh, row.loss_usd_per_mwh


@pytest.mark.parametrize(("name", "first_utc", "hours"), [
    (FALL_BACK, datetime(2025, 11, 2, 4, tzinfo=UTC), 25),
    (SPRING_FORWARD, datetime(2025, 3, 9, 5, tzinfo=UTC), 23),
])
def test_dst_days_follow_the_utc_column(name, first_utc, hours):
    """Every row of the Eastern operating day: hourly UTC starts from 00:00 EPT, without a gap or a repeat."""
    rows = _read(name)
    assert [row.interval_start_utc for row in rows] == [first_utc + timedelta(hours=hour) for hour in range(hours)]
    assert {(row.iso, row.market, row.interval_minutes, row.version) for row in rows} == {("PJM", "DA", 60, 1)}


def test_fall_back_day_keeps_both_one_am_hours_apart():
    """2 Nov 2025: EPT 1:00:00 AM twice. The EDT pass starts 05:00 UTC at 43.002483, the EST pass 06:00 UTC at
    39.234239 (38.71 + 0.123797 + 0.400442). The 25 hours sum to 1216.826153, a mean of 48.67304612."""
    rows = _read(FALL_BACK)
    daylight, standard = rows[1], rows[2]
    assert (daylight.interval_start_utc, standard.interval_start_utc) == (
        datetime(2025, 11, 2, 5, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC))
    assert _prices(daylight) == (Decimal("43.002483"), Decimal("42.78"), Decimal("-0.022951"), Decimal("0.245435"))
    assert _prices(standard) == (Decimal("39.234239"), Decimal("38.71"), Decimal("0.123797"), Decimal("0.400442"))
    total = sum(row.lmp_usd_per_mwh for row in rows)
    assert (total, total / len(rows)) == (Decimal("1216.826153"), Decimal("48.67304612"))


def test_spring_forward_day_goes_from_one_am_to_three_am():
    """9 Mar 2025: EPT 1:00 AM (06:00 UTC, 38.451480) is followed by 3:00 AM (07:00 UTC, 40.069030); the last
    hour, 11:00 PM EDT, starts 03:00 UTC on 10 Mar at 35.484023. The 23 hours sum to 925.863260."""
    rows = _read(SPRING_FORWARD)
    assert [(row.interval_start_utc, row.lmp_usd_per_mwh) for row in rows[1:3]] == [
        (datetime(2025, 3, 9, 6, tzinfo=UTC), Decimal("38.451480")),
        (datetime(2025, 3, 9, 7, tzinfo=UTC), Decimal("40.069030"))]
    assert (rows[-1].interval_start_utc, rows[-1].lmp_usd_per_mwh) == (
        datetime(2025, 3, 10, 3, tzinfo=UTC), Decimal("35.484023"))
    assert sum(row.lmp_usd_per_mwh for row in rows) == Decimal("925.863260")


def test_published_total_is_kept_when_components_round_apart():
    """PJM rounds each part on its own: at 05:00 UTC on 2 Nov 2025 the parts add to 43.002484, the published total
    is 43.002483. We keep the total as published; 8 of the 25 hours differ by 0.000001 this way."""
    rows = _read(FALL_BACK)
    sums = [row.energy_usd_per_mwh + row.congestion_usd_per_mwh + row.loss_usd_per_mwh for row in rows]
    assert sums[1] == Decimal("43.002484") and rows[1].lmp_usd_per_mwh == Decimal("43.002483")
    assert sum(1 for part_sum, row in zip(sums, rows, strict=True) if part_sum != row.lmp_usd_per_mwh) == 8
    assert all(abs(part_sum - row.lmp_usd_per_mwh) <= Decimal("0.000001")
               for part_sum, row in zip(sums, rows, strict=True))


def test_node_type_and_zone_are_kept():
    """The real rows: pnode 1 (PJM-RTO), type ZONE, blank zone (null). A zone node names its zone; this DOM row is
    written for the test, with prices of our own, since the real export holds no zone node."""
    assert {(row.node, row.node_type, row.zone) for row in _read(FALL_BACK)} == {("1", "ZONE", None)}
    text = ("datetime_beginning_utc,datetime_beginning_ept,pnode_id,pnode_name,voltage,equipment,type,zone,"
            "system_energy_price_da,total_lmp_da,congestion_price_da,marginal_loss_price_da,row_is_current,"
            "version_nbr\n7/15/2025 4:00:00 AM,7/15/2025 12:00:00 AM,34964545,DOM,,,ZONE,DOM,30.00,33.92,3.10,0.82,"
            "True,1\n")
    [dom] = parse_data_miner_csv(text, "da_hrl_lmps", "f.csv")
    assert (dom.node, dom.node_type, dom.zone, dom.interval_start_utc) == (
        "34964545", "ZONE", "DOM", datetime(2025, 7, 15, 4, tzinfo=UTC))


def test_price_format_pjm_csv_reads_the_export():
    """`wattledger market prices pjm-csv` and the API share parse_price_file: the export's bytes (CRLF line ends,
    as exported) give the same 25 rows as the reader."""
    content = (FIXTURES / FALL_BACK).read_bytes()
    assert b"\r\n" in content
    assert parse_price_file("pjm-csv", FALL_BACK, content, feed="da_hrl_lmps", interval_minutes=5) == _read(FALL_BACK)


@pytest.mark.parametrize(("text", "feed", "line", "field"), [
    (HEADER + "7/15/2025 7:00:00 PM,51288,x,1\n", "da_hrl_lmps", 2, "total_lmp_da"),
    (HEADER + "July 15,51288,1,1\n", "da_hrl_lmps", 2, "datetime_beginning_utc"),
    (HEADER + "7/15/2025 7:00:00 PM,51288,1,one\n", "da_hrl_lmps", 2, "version_nbr"),
    (HEADER, "rt_hrl_lmps", 1, "total_lmp_da"),
    (HEADER.replace("version_nbr", "version_nbr,shadow_price"), "da_hrl_lmps", 1, "shadow_price"),
    (HEADER + "7/15/2025 7:00:00 PM,51288,30,1\n7/15/2025 8:00:00 PM,51288,31,1\n7/15/2025 7:00:00 PM,51288,30,1\n",
     "da_hrl_lmps", 4, "pnode_id"),
])
def test_bad_exports_name_line_and_field(text, feed, line, field):
    """A text price, a bad date-time, a bad version, day-ahead columns for a real-time feed, an unknown column,
    the same node, hour and version twice (a doubled export)."""
    with pytest.raises(BadInput) as caught:
        parse_data_miner_csv(text, feed, "f.csv")
    assert (caught.value.source, caught.value.line, caught.value.field) == ("f.csv", line, field)


@pytest.mark.parametrize(("content", "message"), [
    ((FIXTURES / FALL_BACK).read_bytes(), "pjm-csv"),
    (b'{"totalRows": 0}', "items"),
    (b"[1]", "JSON object"),
])
def test_json_format_given_csv_or_no_items_says_so(content, message):
    """The pjm-json format refuses a CSV export (pointing to pjm-csv) and JSON that holds no items."""
    with pytest.raises(BadInput, match=message) as caught:
        parse_price_file("pjm-json", "export.csv", content, feed="da_hrl_lmps", interval_minutes=5)
    assert caught.value.source == "export.csv"


def test_every_version_of_an_hour_is_kept_for_the_store_to_choose():
    """Data Miner keeps an interval's versions: version 1 and 2 of one hour are both read (the price store keeps
    the highest)."""
    text = HEADER + "7/15/2025 7:00:00 PM,51288,30,1\n7/15/2025 7:00:00 PM,51288,32.5,2\n"
    rows = parse_data_miner_csv(text, "da_hrl_lmps", "f.csv")
    assert [(row.version, row.lmp_usd_per_mwh) for row in rows] == [(1, Decimal(30)), (2, Decimal("32.5"))]
