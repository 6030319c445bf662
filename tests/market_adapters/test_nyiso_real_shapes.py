"""NYISO readers on real-shaped files (fixtures/nyiso, sources in its SOURCES.md): the 5-minute real-time file on
the fall-back day with an off-grid RTD stamp, and the hour-beginning hourly integrated real-time file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.errors import BadInput
from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.price_files import parse_price_file
from market_adapters.prices import price_rows, read_prices_parquet
from wattledger_cli.market import app

FIXTURES = Path(__file__).parent / "fixtures" / "nyiso"
HEADER = ('"Time Stamp","Name","PTID","LBMP ($/MWHr)","Marginal Cost Losses ($/MWHr)",'
          '"Marginal Cost Congestion ($/MWHr)"')


def _realtime():
    text = (FIXTURES / "nyiso_realtime_zone_fall_back.csv").read_text()
    return parse_lbmp_csv(text, "rt.csv", market="RT", stamp_is_end=True, interval_minutes=5,
                          publish_time_utc=None, version=1)


def test_off_grid_stamp_seen_once_lands_in_the_est_hour_and_weights_by_duration():
    """01:02:48 follows 01:00 EST (the clock went back after 01:55 EDT), so it ends 06:02:48 UTC, not 05:02:48.
    The 06:00 slot is 168 s at 100 and 132 s at 40: 73.6. No slot overlaps another, none is off the grid."""
    nyc = [row for row in _realtime() if row.node == "N.Y.C."]
    starts = [row.interval_start_utc for row in nyc]
    first = datetime(2025, 11, 2, 5, 45, tzinfo=UTC)
    assert starts == [first + k * timedelta(minutes=5) for k in range(15)]
    by_start = {row.interval_start_utc: row for row in nyc}
    slot = by_start[datetime(2025, 11, 2, 6, tzinfo=UTC)]
    assert slot.lmp_usd_per_mwh == Decimal("73.6") and slot.interval_minutes == 5
    assert slot.energy_usd_per_mwh + slot.congestion_usd_per_mwh + slot.loss_usd_per_mwh == slot.lmp_usd_per_mwh
    assert by_start[datetime(2025, 11, 2, 5, 55, tzinfo=UTC)].lmp_usd_per_mwh == Decimal("33.00")  # 01:00 EST


def test_the_est_hour_time_weighted_price_is_exact():
    """01:00-02:00 EST (06:00-07:00 UTC): 168 s x 100 + 132 s x 40 + 3300 s x 30 over 3600 s = 121080/3600."""
    hour = [row for row in _realtime() if row.node == "WEST"
            and datetime(2025, 11, 2, 6, tzinfo=UTC) <= row.interval_start_utc < datetime(2025, 11, 2, 7, tzinfo=UTC)]
    assert len(hour) == 12
    weighted = sum(Fraction(row.lmp_usd_per_mwh) * row.interval_minutes for row in hour) / 60
    assert weighted == Fraction(121080, 3600)


def test_missing_run_leaves_a_gap_not_a_longer_interval():
    """Stamps 00:05 and 00:20: the second price holds 00:15-00:20 only; 00:05-00:15 has no row."""
    text = HEADER + '\n"07/15/2025 00:05:00","WEST",61752,20,1,0\n"07/15/2025 00:20:00","WEST",61752,25,1,0\n'
    rows = parse_lbmp_csv(text, "gap.csv", market="RT", stamp_is_end=True, interval_minutes=5,
                          publish_time_utc=None, version=1)
    assert [(row.interval_start_utc.minute, row.lmp_usd_per_mwh) for row in rows] == [(0, 20), (15, 25)]


def test_hourly_integrated_file_is_hour_beginning():
    """rtlbmp stamps 00:00, 01:00, 01:00, 02:00 on 11/02/2025 start 04:00, 05:00, 06:00, 07:00 UTC; read as
    hour-ending they would all be an hour early, so that reading is refused with a pointer to the right format."""
    content = (FIXTURES / "nyiso_rtlbmp_zone_fall_back.csv").read_bytes()
    rows = parse_price_file("nyiso-rt-hourly", "rtlbmp.csv", content, feed="", interval_minutes=5)
    assert [(row.interval_start_utc.hour, row.interval_minutes, row.market) for row in rows] == [
        (4, 60, "RT"), (5, 60, "RT"), (6, 60, "RT"), (7, 60, "RT")]
    assert rows[2].lmp_usd_per_mwh == Decimal("23.30") and rows[2].congestion_usd_per_mwh == Decimal("2.00")
    with pytest.raises(BadInput, match="nyiso-rt-hourly"):
        parse_price_file("nyiso-rt", "rtlbmp.csv", content, feed="", interval_minutes=60)


def test_cli_reads_the_hourly_file_as_hour_beginning(tmp_path):
    out = tmp_path / "p.parquet"
    result = CliRunner().invoke(app, ["prices", "nyiso-rt-hourly", str(FIXTURES / "nyiso_rtlbmp_zone_fall_back.csv"),
                                      str(out)])
    assert result.exit_code == 0, result.output
    rows = price_rows(read_prices_parquet(str(out)))
    assert [row.interval_start_utc.hour for row in rows] == [4, 5, 6, 7]
    assert {(row.node_type, row.zone) for row in rows} == {("ZONE", "N.Y.C.")}


def test_node_attributes_and_unknown_columns():
    """A NYCA zone is a ZONE in itself, an external proxy zone is EXTERNAL, a generator is not said; a column
    outside NYISO's LBMP layout is refused by name."""
    text = (HEADER + '\n"07/15/2025 14:00","WEST",61752,20,1,0\n"07/15/2025 14:00","H Q",61844,21,1,0\n'
            '"07/15/2025 14:00","ASTORIA GT 2_1",24106,22,1,0\n')
    rows = parse_lbmp_csv(text, "dam.csv", market="DA", stamp_is_end=False, interval_minutes=60,
                          publish_time_utc=None, version=1)
    assert [(row.node_type, row.zone) for row in rows] == [("ZONE", "WEST"), ("EXTERNAL", None), (None, None)]
    with pytest.raises(BadInput) as caught:
        parse_lbmp_csv(HEADER + ',"Scarcity Flag"\n"07/15/2025 14:00","WEST",61752,20,1,0,N\n', "x.csv", market="DA",
                       stamp_is_end=False, interval_minutes=60, publish_time_utc=None, version=1)
    assert (caught.value.line, caught.value.field) == (1, "Scarcity Flag")


def test_a_row_longer_than_the_header_names_its_line():
    with pytest.raises(BadInput) as caught:
        parse_lbmp_csv(HEADER + '\n"07/15/2025 14:00","WEST",61752,20,1,0,9\n', "x.csv", market="DA",
                       stamp_is_end=False, interval_minutes=60, publish_time_utc=None, version=1)
    assert caught.value.line == 2 and "1 cell(s) beyond the header" in caught.value.reason


def test_real_day_ahead_file_confirms_the_congestion_sign():
    """NYISO's own day-ahead zonal file of 2026-09-23 (first two hours, unquoted header, `HH:MM` stamps,
    hour-beginning EDT). Reading published congestion with the opposite sign (energy = LBMP - losses +
    congestion) gives one system energy price per hour at all 15 zones, to the cent NYISO rounds each column to:
    33.82 or 33.83 at 04:00 UTC, 30.08 or 30.09 at 05:00. N.Y.C. at 00:00: 35.82 - 1.99 + (-0.01) = 33.82; the
    PJM proxy: 30.30 - (-0.40) + 3.12 = 33.82, where the other sign would give 27.58."""
    text = (FIXTURES / "20260923damlbmp_zone-head.csv").read_text()
    rows = parse_lbmp_csv(text, "dam.csv", market="DA", stamp_is_end=False, interval_minutes=60,
                          publish_time_utc=None, version=1)
    energy_by_start: dict[datetime, set[Decimal]] = {}
    for row in rows:
        assert row.energy_usd_per_mwh is not None
        energy_by_start.setdefault(row.interval_start_utc, set()).add(row.energy_usd_per_mwh)
    assert energy_by_start == {datetime(2026, 9, 23, 4, tzinfo=UTC): {Decimal("33.82"), Decimal("33.83")},
                               datetime(2026, 9, 23, 5, tzinfo=UTC): {Decimal("30.08"), Decimal("30.09")}}
    assert len(rows) == 30
    nyc = next(row for row in rows if row.node == "N.Y.C." and row.interval_start_utc.hour == 4)
    assert (nyc.lmp_usd_per_mwh, nyc.loss_usd_per_mwh, nyc.congestion_usd_per_mwh, nyc.energy_usd_per_mwh) == (
        Decimal("35.82"), Decimal("1.99"), Decimal("0.01"), Decimal("33.82"))
    proxy = next(row for row in rows if row.node == "PJM" and row.interval_start_utc.hour == 4)
    assert (proxy.energy_usd_per_mwh, proxy.node_type) == (Decimal("33.82"), "EXTERNAL")
