"""PJM Data Miner CSV exports: the UTC column decides each hour (25 on the fall-back day, 23 on the
spring-forward day), node type and zone are kept; a CSV handed to the JSON format, or JSON without items,
is a clear error naming the file instead of a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.pjm import parse_data_miner_csv
from market_adapters.price_files import parse_price_file

FIXTURES = Path(__file__).parent / "fixtures" / "pjm"
HEADER = "datetime_beginning_utc,pnode_id,total_lmp_da,version_nbr\n"


@pytest.mark.parametrize(("name", "first_utc", "hours"), [
    ("da_hrl_lmps-20251102.csv", datetime(2025, 11, 2, 4, tzinfo=UTC), 25),
    ("da_hrl_lmps-20260308.csv", datetime(2026, 3, 8, 5, tzinfo=UTC), 23),
])
def test_dst_days_follow_the_utc_column(name, first_utc, hours):
    """Hourly UTC starts without a gap or a repeat; the EPT column (1:00 AM twice in November) is not used."""
    rows = parse_data_miner_csv((FIXTURES / name).read_text(), "da_hrl_lmps", name)
    hub = [row for row in rows if row.node == "51288"]
    assert [row.interval_start_utc for row in hub] == [first_utc + timedelta(hours=hour) for hour in range(hours)]


def test_components_node_type_and_zone_are_kept():
    """DOM at 05:00 UTC (the first 1:00 AM): 34.17 = 30.25 + 3.10 + 0.82; type ZONE, zone DOM; the hub has no zone."""
    rows = parse_data_miner_csv((FIXTURES / "da_hrl_lmps-20251102.csv").read_text(), "da_hrl_lmps", "f.csv")
    dom = next(row for row in rows if row.node == "34964545" and row.interval_start_utc.hour == 5)
    assert (dom.lmp_usd_per_mwh, dom.energy_usd_per_mwh, dom.congestion_usd_per_mwh, dom.loss_usd_per_mwh) == (
        Decimal("34.170000"), Decimal("30.250000"), Decimal("3.100000"), Decimal("0.820000"))
    assert (dom.iso, dom.market, dom.node_type, dom.zone, dom.version) == ("PJM", "DA", "ZONE", "DOM", 1)
    hub = next(row for row in rows if row.node == "51288")
    assert (hub.node_type, hub.zone) == ("HUB", None)


def test_price_format_pjm_csv_reads_the_export():
    """`wattledger market prices pjm-csv` and the API share parse_price_file: 50 rows for the fall-back file."""
    content = (FIXTURES / "da_hrl_lmps-20251102.csv").read_bytes()
    assert len(parse_price_file("pjm-csv", "f.csv", content, feed="da_hrl_lmps", interval_minutes=5)) == 50


@pytest.mark.parametrize(("text", "feed", "line", "field"), [
    (HEADER + "7/15/2025 7:00:00 PM,51288,x,1\n", "da_hrl_lmps", 2, "total_lmp_da"),
    (HEADER + "July 15,51288,1,1\n", "da_hrl_lmps", 2, "datetime_beginning_utc"),
    (HEADER + "7/15/2025 7:00:00 PM,51288,1,one\n", "da_hrl_lmps", 2, "version_nbr"),
    (HEADER, "rt_hrl_lmps", 1, "total_lmp_da"),
    (HEADER.replace("version_nbr", "version_nbr,shadow_price"), "da_hrl_lmps", 1, "shadow_price"),
])
def test_bad_exports_name_line_and_field(text, feed, line, field):
    """A text price, a bad date-time, a bad version, day-ahead columns for a real-time feed, an unknown column."""
    with pytest.raises(BadInput) as caught:
        parse_data_miner_csv(text, feed, "f.csv")
    assert (caught.value.source, caught.value.line, caught.value.field) == ("f.csv", line, field)


@pytest.mark.parametrize(("content", "message"), [
    ((FIXTURES / "da_hrl_lmps-20251102.csv").read_bytes(), "pjm-csv"),
    (b'{"totalRows": 0}', "items"),
    (b"[1]", "JSON object"),
])
def test_json_format_given_csv_or_no_items_says_so(content, message):
    """The pjm-json format refuses a CSV export (pointing to pjm-csv) and JSON that holds no items."""
    with pytest.raises(BadInput, match=message) as caught:
        parse_price_file("pjm-json", "export.csv", content, feed="da_hrl_lmps", interval_minutes=5)
    assert caught.value.source == "export.csv"
