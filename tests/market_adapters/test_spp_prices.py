"""SPP LMP-by-settlement-location reader on SPP's own day-ahead files of both DST days (rows verbatim, see
fixtures/spp/SOURCES.md) and SPP-shaped excerpts: GMTIntervalEnd (UTC) decides every interval, so
the fall-back day has 25 distinct hours and the spring-forward day 23; components and node types are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.spp import parse_lmp_by_location_csv

FIXTURES = Path(__file__).parent / "fixtures" / "spp"
HEADER = "Interval,GMTIntervalEnd,Settlement Location,Pnode,LMP,MLC,MCC,MEC\n"


def _parse(text: str, market: str = "DA") -> list:
    return parse_lmp_by_location_csv(text, "spp.csv", market=market, publish_time_utc=None, version=1)


def test_fall_back_day_has_25_hours_and_the_repeated_label_splits_by_gmt():
    """SPP's own file for 2025-11-02 (hub rows verbatim, SOURCES.md): 25 North Hub rows starting 05:00 UTC hourly;
    both rows labelled 02:00 start at 06:00 and 07:00 UTC with different prices. HE02 first pass (GMT end 07:00):
    MEC 21.8567 + MCC 4.7398 + MLC -0.2918 = LMP 26.3047; second pass (GMT end 08:00): 21.6398 + 5.9609 - 0.2889
    = 27.3118."""
    rows = _parse((FIXTURES / "DA-LMP-SL-202511020100.csv").read_text())
    hub = [row for row in rows if row.node == "SPPNORTH_HUB"]
    assert [row.interval_start_utc for row in hub] == [
        datetime(2025, 11, 2, 5, tzinfo=UTC) + timedelta(hours=hour) for hour in range(25)]
    assert {(row.iso, row.market, row.interval_minutes, row.node_type, row.zone) for row in hub} == {
        ("SPP", "DA", 60, "HUB", None)}
    first_pass, second_pass = hub[1], hub[2]
    assert (first_pass.lmp_usd_per_mwh, first_pass.loss_usd_per_mwh, first_pass.congestion_usd_per_mwh,
            first_pass.energy_usd_per_mwh) == (Decimal("26.3047"), Decimal("-0.2918"), Decimal("4.7398"),
                                               Decimal("21.8567"))
    assert (second_pass.lmp_usd_per_mwh, second_pass.energy_usd_per_mwh) == (Decimal("27.3118"), Decimal("21.6398"))
    assert hub[-1].lmp_usd_per_mwh == Decimal("-0.0238")  # HE24, labelled 11/03/2025 00:00:00, negative as published
    # The participant hub CSWS_HUB and location AEC are kept in the excerpt for the first three hours only.
    others = {row.node: row.node_type for row in rows if row.node not in ("SPPNORTH_HUB", "SPPSOUTH_HUB")}
    assert others == {"AEC": "SETTLEMENT_LOCATION", "CSWS_HUB": "SETTLEMENT_LOCATION"}
    assert len(rows) == 25 + 25 + 3 + 3


def test_spring_forward_day_has_23_hours():
    """2026-03-08: labels 01:00 then 03:00; the UTC starts run 06:00, 07:00, ... 04:00 next day, no gap."""
    rows = [row for row in _parse((FIXTURES / "DA-LMP-SL-202603080100.csv").read_text())
            if row.node == "SPPNORTH_HUB"]
    assert [row.interval_start_utc for row in rows] == [
        datetime(2026, 3, 8, 6, tzinfo=UTC) + timedelta(hours=hour) for hour in range(23)]
    assert all(row.lmp_usd_per_mwh == row.energy_usd_per_mwh + row.congestion_usd_per_mwh + row.loss_usd_per_mwh
               for row in rows)
    # SPP's own file: the row after HE 01:00 is labelled 03:00 (GMT end 08:00) and starts 01:00 CST = 07:00 UTC.
    assert (rows[1].interval_start_utc, rows[1].lmp_usd_per_mwh) == (datetime(2026, 3, 8, 7, tzinfo=UTC),
                                                                     Decimal("13.3278"))


def test_real_time_five_minute_rows_with_baa_column_on_the_fall_back_day():
    """Both 01:55 labels (CDT then CST) are kept: they start 06:50 and 07:50 UTC, five minutes each."""
    rows = _parse((FIXTURES / "RTBM-LMP-DAILY-SL-20251102-excerpt.csv").read_text(), market="RT")
    assert len(rows) == 10 and {row.interval_minutes for row in rows} == {5}
    starts = [row.interval_start_utc for row in rows]
    assert datetime(2025, 11, 2, 6, 50, tzinfo=UTC) in starts and datetime(2025, 11, 2, 7, 50, tzinfo=UTC) in starts
    assert len(set(starts)) == len(starts)
    assert rows[0].lmp_usd_per_mwh == Decimal("17.2500") and rows[0].node_type == "HUB"


def test_upper_case_header_and_seconds_free_stamps_read_alike():
    """SPP also writes SETTLEMENT_LOCATION upper-case and 6/1/2026 01:00: the same hour as the usual spelling."""
    text = ("INTERVAL,GMTINTERVALEND,BAA,SETTLEMENT_LOCATION,PNODE,LMP,MLC,MCC,MEC\n"
            "6/1/2026 01:00,6/1/2026 06:00,SPP,SPPNORTH_HUB,SPPNORTH_H,17.4564,0,0,17.4564\n")
    [row] = _parse(text)
    assert row.interval_start_utc == datetime(2026, 6, 1, 5, tzinfo=UTC)


def test_hour_ending_24_label_is_the_next_midnight():
    """`07/15/2025 24:00:00` ends at 07/16 00:00 CDT = 05:00 UTC: the hour starts 04:00 UTC."""
    [row] = _parse(HEADER + "07/15/2025 24:00:00,07/16/2025 05:00:00,SPPNORTH_HUB,P,1,0,0,1\n")
    assert row.interval_start_utc == datetime(2025, 7, 16, 4, tzinfo=UTC)


@pytest.mark.parametrize(("text", "line", "field"), [
    ("Interval,GMTIntervalEnd,Region,Settlement Location,Pnode,LMP,MLC,MCC,MEC\n", 1, "Region"),
    (HEADER + "09/23/2026 01:00:00,not-a-time,SPPNORTH_HUB,P,1,0,0,1\n", 2, "GMTIntervalEnd"),
    (HEADER + "09/23/2026 01:00:00,09/23/2026 06:00:00,SPPNORTH_HUB,P,1,0,0,\n", 2, "MEC"),
    (HEADER + "09/23/2026 09:00:00,09/23/2026 06:00:00,SPPNORTH_HUB,P,1,0,0,1\n", 2, "Interval"),
    (HEADER + "09/23/2026 01:00:00,09/23/2026 06:00:00,SPPNORTH_HUB,P,1,0,0,1\n"
     "09/23/2026 01:00:00,09/23/2026 06:00:00,SPPNORTH_HUB,P,1,0,0,1\n", 3, "GMTIntervalEnd"),
])
def test_bad_input_names_line_and_field(text, line, field):
    """An unknown column, a malformed end, a blank component, a label hours off the GMT end, a repeated row."""
    with pytest.raises(BadInput) as caught:
        _parse(text)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("spp.csv", line, field)
