"""NYISO's day-ahead zonal file of a daylight-saving day, read from real rows (fixtures/nyiso/SOURCES.md): on the
fall-back day of 2 November 2025 every zone has 25 rows, `11/02/2025 01:00` twice with nothing in the row to tell
the two apart, so file order decides: the first is 01:00 EDT (05:00 UTC), the second 01:00 EST (06:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from market_adapters.nyiso.parse import parse_lbmp_csv
from market_adapters.price_files import parse_price_file
from market_adapters.prices import PriceRow

FALL_BACK = Path(__file__).parent / "fixtures" / "nyiso" / "20251102damlbmp_zone-excerpt.csv"


def _fall_back_rows() -> list[PriceRow]:
    return parse_lbmp_csv(FALL_BACK.read_text(), FALL_BACK.name, market="DA", stamp_is_end=False,
                          interval_minutes=60, publish_time_utc=None, version=1)


def test_every_zone_has_25_hours_from_04_00_utc() -> None:
    """00:00 EDT = 04:00 UTC through 23:00 EST = 04:00 UTC on 3 November: 25 consecutive hour starts per zone."""
    rows = _fall_back_rows()
    for zone in ("CAPITL", "N.Y.C.", "WEST"):
        starts = [row.interval_start_utc for row in rows if row.node == zone]
        assert starts == [datetime(2025, 11, 2, 4, tzinfo=UTC) + timedelta(hours=hour) for hour in range(25)]
    assert {(row.iso, row.market, row.interval_minutes) for row in rows} == {("NYISO", "DA", 60)}


def test_the_two_one_oclock_rows_are_edt_then_est() -> None:
    """WEST prints 50.72 (losses -0.72) then 48.63 (losses -1.45) for 01:00: 05:00 and 06:00 UTC. Congestion is
    0.00, so energy = LBMP - losses: 51.44 and 50.08. N.Y.C.: 53.65 - 2.21 = 51.44 and 52.59 - 2.50 = 50.09; CAPITL:
    52.73 - 1.29 = 51.44 and 51.44 - 1.35 = 50.09. One system energy price per hour (to the cent NYISO rounds to),
    and a different one in each of the two hours."""
    rows = _fall_back_rows()
    by_zone_start = {(row.node, row.interval_start_utc): row for row in rows}
    edt, est = datetime(2025, 11, 2, 5, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC)
    west_edt, west_est = by_zone_start["WEST", edt], by_zone_start["WEST", est]
    assert (west_edt.lmp_usd_per_mwh, west_edt.loss_usd_per_mwh, west_edt.energy_usd_per_mwh) == (
        Decimal("50.72"), Decimal("-0.72"), Decimal("51.44"))
    assert (west_est.lmp_usd_per_mwh, west_est.loss_usd_per_mwh, west_est.energy_usd_per_mwh) == (
        Decimal("48.63"), Decimal("-1.45"), Decimal("50.08"))
    assert {by_zone_start[zone, edt].energy_usd_per_mwh for zone in ("CAPITL", "N.Y.C.", "WEST")} == {Decimal("51.44")}
    assert {by_zone_start[zone, est].energy_usd_per_mwh for zone in ("CAPITL", "N.Y.C.", "WEST")} == {
        Decimal("50.08"), Decimal("50.09")}
    assert (by_zone_start["N.Y.C.", edt].lmp_usd_per_mwh, by_zone_start["N.Y.C.", est].lmp_usd_per_mwh) == (
        Decimal("53.65"), Decimal("52.59"))


def test_the_25_hour_day_keeps_both_repeated_hours_in_its_total() -> None:
    """N.Y.C.'s 25 LBMPs sum to 1233.93, mean 49.3572: the 49.36 that another reader of NYISO's whole file reports
    for this zone and day (fixtures/nyiso/SOURCES.md), so no hour of the excerpt is missing or doubled."""
    nyc = [row.lmp_usd_per_mwh for row in _fall_back_rows() if row.node == "N.Y.C."]
    assert len(nyc) == 25 and sum(nyc) == Decimal("1233.93")
    assert sum(nyc) / 25 == Decimal("49.3572")


def test_the_registered_format_reads_the_file() -> None:
    rows = parse_price_file("nyiso-dam", FALL_BACK.name, FALL_BACK.read_bytes(), feed="", interval_minutes=60)
    assert len(rows) == 75 and {row.node_type for row in rows} == {"ZONE"}
