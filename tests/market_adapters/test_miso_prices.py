"""MISO readers: the market report CSVs (hour-ending EST all year, LMP/MCC/MLC rows per node, so every DST day
still has 24 hours) and the Data Exchange real-time ex-post JSON, whose items carry no `interval`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.miso import parse_data_exchange_lmps, parse_market_report_csv

FIXTURES = Path(__file__).parent / "fixtures" / "miso"
PREAMBLE = ("Day Ahead Market ExPost LMPs\n07/15/2025\n,,,All Hours-Ending are Eastern Standard Time (EST)\n"
            "Node,Type,Value," + ",".join(f"HE {hour}" for hour in range(1, 25)) + "\n")


def _report(name: str, market: str) -> list:
    return parse_market_report_csv((FIXTURES / name).read_text(), name, market=market, version=1)


@pytest.mark.parametrize(("name", "market", "day_start_utc"), [
    ("20251102_da_expost_lmp.csv", "da_expost", datetime(2025, 11, 2, 5, tzinfo=UTC)),
    ("20260308_rt_lmp_final.csv", "rt_final", datetime(2026, 3, 8, 5, tzinfo=UTC)),
])
def test_dst_days_still_have_24_est_hours(name, market, day_start_utc):
    """Fall-back and spring-forward days alike: HE n starts 05:00 UTC + (n - 1) h, 24 hours per node."""
    rows = _report(name, market)
    hub = [row for row in rows if row.node == "INDIANA.HUB"]
    assert [row.interval_start_utc for row in hub] == [day_start_utc + timedelta(hours=hour) for hour in range(24)]
    assert len(rows) == 3 * 24 and {row.interval_minutes for row in rows} == {60}


def test_components_and_node_type_per_node():
    """AMIL.BGS6 HE 3: LMP 26.60, MCC 1.05, MLC -0.33, so energy = 26.60 - 1.05 + 0.33 = 25.88; type Loadzone."""
    rows = _report("20251102_da_expost_lmp.csv", "da_expost")
    row = next(row for row in rows if row.node == "AMIL.BGS6" and row.interval_start_utc.hour == 7)
    assert (row.iso, row.market, row.lmp_usd_per_mwh, row.congestion_usd_per_mwh, row.loss_usd_per_mwh,
            row.energy_usd_per_mwh) == ("MISO", "DA", Decimal("26.60"), Decimal("1.05"), Decimal("-0.33"),
                                        Decimal("25.88"))
    assert (row.node_type, row.zone) == ("Loadzone", None)
    assert {r.node_type for r in rows if r.node == "AECI"} == {"Interface"}


def test_a_blank_line_in_the_preamble_is_tolerated():
    """MISO's files have none; older copies and hand-saved files put one above the EST statement."""
    text = PREAMBLE.replace("\n,,,All", "\n\n,,,All") + "N1,Hub,LMP," + ",".join(["10"] * 24) + "\n"
    rows = parse_market_report_csv(text, "m.csv", market="da_expost", version=1)
    assert [row.interval_start_utc for row in rows][:2] == [datetime(2025, 7, 15, 5, tzinfo=UTC),
                                                            datetime(2025, 7, 15, 6, tzinfo=UTC)]


def test_only_an_lmp_row_leaves_components_empty():
    """A node with an LMP row alone: components null, not zero."""
    rows = parse_market_report_csv(PREAMBLE + "N1,Hub,LMP," + ",".join(["10"] * 24) + "\n", "m.csv",
                                   market="da_expost", version=1)
    assert len(rows) == 24 and {(r.energy_usd_per_mwh, r.congestion_usd_per_mwh) for r in rows} == {(None, None)}


@pytest.mark.parametrize(("text", "line", "field"), [
    (PREAMBLE + "N1,Hub,LMP," + ",".join(["10"] * 23) + ",x\n", 5, "HE 24"),
    (PREAMBLE + "N1,Hub,MEC," + ",".join(["10"] * 24) + "\n", 5, "Value"),
    (PREAMBLE + "N1,Hub,LMP," + ",".join(["10"] * 23) + "\n", 5, None),
    (PREAMBLE + "N1,Hub,MCC," + ",".join(["10"] * 24) + "\n", 5, "Value"),
    (PREAMBLE.replace("Eastern Standard Time (EST)", "local time"), None, "preamble"),
    (PREAMBLE.replace("ExPost", "ExAnte"), 1, "title"),
])
def test_bad_reports_name_line_and_field(text, line, field):
    """A text price, an unknown Value, a short row, a node without LMP, no EST statement, the wrong report."""
    with pytest.raises(BadInput) as caught:
        parse_market_report_csv(text, "m.csv", market="da_expost", version=1)
    assert (caught.value.line, caught.value.field) == (line, field)


def test_real_time_expost_item_without_interval_is_read_from_its_time_interval():
    """The published real-time ex-post example has no `interval`: its timeInterval (a whole EST day) is the
    interval: one 1,440-minute row starting 2023-06-28 05:00 UTC; 21.6 = 20.94 + 0.02 + 0.64."""
    payload = json.loads((FIXTURES / "miso-data-exchange-real-time-lmp-expost.json").read_text(), parse_float=Decimal)
    [row] = parse_data_exchange_lmps(payload, "rt.json", market="rt_final", version=1)
    assert (row.node, row.market, row.interval_start_utc, row.interval_minutes) == (
        "ALTW.WELLS1", "RT", datetime(2023, 6, 28, 5, tzinfo=UTC), 1440)
    assert (row.lmp_usd_per_mwh, row.energy_usd_per_mwh) == (Decimal("21.6"), Decimal("20.94"))


def test_hourly_and_five_minute_time_intervals_are_the_intervals():
    """timeInterval 13:00-14:00 EST starts 18:00 UTC (60 min); 13:05-13:10 EST starts 18:05 UTC (5 min)."""
    items = [{"timeInterval": {"resolution": resolution, "start": start, "end": end}, "preliminaryFinal": "Final",
              "node": "N", "lmp": 1, "mcc": 0, "mec": 1, "mlc": 0}
             for resolution, start, end in (("hourly", "2025-11-02 13:00:00.000", "2025-11-02 14:00:00.000"),
                                            ("5min", "2025-11-02 13:05:00.000", "2025-11-02 13:10:00.000"))]
    rows = parse_data_exchange_lmps({"data": items}, "rt.json", market="rt_final", version=1)
    assert [(row.interval_start_utc, row.interval_minutes) for row in rows] == [
        (datetime(2025, 11, 2, 18, tzinfo=UTC), 60), (datetime(2025, 11, 2, 18, 5, tzinfo=UTC), 5)]


def test_time_interval_that_is_no_part_of_a_day_is_refused():
    """An end before the start (or 7 minutes, which no day divides into) is bad input naming timeInterval.end."""
    item = {"timeInterval": {"start": "2025-11-02 13:00:00", "end": "2025-11-02 13:07:00"}, "node": "N",
            "lmp": 1, "mcc": 0, "mec": 1, "mlc": 0}
    with pytest.raises(BadInput) as caught:
        parse_data_exchange_lmps({"data": [item]}, "rt.json", market="rt_final", version=1)
    assert (caught.value.line, caught.value.field) == (1, "timeInterval.end")
