"""ERCOT readers on real-shaped files (fixtures/ercot, sources in its SOURCES.md): MIS names with a nine-digit time
and `_csv.zip`/`_xml.zip` twins, the fall-back day with DSTFlag and numbered 1..25, and HE 3 on the
spring-forward day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from common.errors import BadInput
from market_adapters.ercot.client import fetch_rt_settlement_point_prices
from market_adapters.ercot.format import zip_csv
from market_adapters.ercot.parse import (
    csv_documents,
    document_versions,
    parse_document_name,
    parse_np4_190_csv,
    parse_np6_905_csv,
)
from market_adapters.http.retry import RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures" / "ercot"
NP4 = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"


def _listing() -> dict:
    return json.loads((FIXTURES / "ercot_mis_doclist_np6905.json").read_text())


def _names() -> list[str]:
    return [item["Document"]["ConstructedName"] for item in _listing()["ListDocsByRptTypeRes"]["DocumentList"]]


def test_real_mis_names_parse_and_the_csv_twin_is_chosen():
    """Six listed documents are three reports in two formats. 01:17:02.468 in the first pass is CDT (06:17:02.468
    UTC); the `xhr` one at 01:17:03.015 is in the second pass, CST (07:17:03.015 UTC); the re-post is version 2."""
    names = _names()
    chosen = csv_documents(names, "list")
    assert chosen == [names[0], names[2], names[4]]
    first, second_pass, retry = (parse_document_name(name) for name in chosen)
    assert first.publish_time_utc == datetime(2025, 11, 2, 6, 17, 2, 468000, tzinfo=UTC)
    assert second_pass.publish_time_utc == datetime(2025, 11, 2, 7, 17, 3, 15000, tzinfo=UTC)
    assert (first.base_name, first.document_format, retry.is_retry) == ("SPPHLZNP6905_20251102_0115", "csv", True)
    assert parse_document_name(names[1]).document_format == "xml"
    assert document_versions(chosen) == {names[0]: 1, names[2]: 1, names[4]: 2}


def test_a_report_listed_only_as_xml_is_refused():
    """Dropping the XML twin is safe only when its CSV twin is listed; otherwise the price would vanish."""
    names = _names()
    with pytest.raises(BadInput) as caught:
        csv_documents([names[1], names[2]], "list")
    assert names[1] in str(caught.value)


def test_fetch_client_reads_a_real_listing_and_downloads_only_csv():
    """The client that failed on the first real list now downloads the three CSV documents (never an XML one)
    and versions the re-post above its original."""
    documents = {item["Document"]["DocID"]: item["Document"]["ConstructedName"]
                 for item in _listing()["ListDocsByRptTypeRes"]["DocumentList"]}
    body = ("DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,"
            "SettlementPointPrice,DSTFlag\r\n11/02/2025,2,2,HB_NORTH,HU,{price},{flag}\r\n")
    downloaded: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("IceDocListJsonWS"):
            return httpx.Response(200, json=_listing())
        doc_id = int(request.url.params["doclookupId"])
        downloaded.append(doc_id)
        name = documents[doc_id]
        flag = "Y" if "xhr" in name else "N"
        price = "30.5" if "retry" in name else "20"
        return httpx.Response(200, content=zip_csv(name, body.format(price=price, flag=flag)))

    rows = fetch_rt_settlement_point_prices("http://mis.test", documents_max=3, retry=RetryPolicy(1, 0, 0),
                                            transport=httpx.MockTransport(handler))
    assert sorted(downloaded) == [1, 3, 5]
    assert sorted((row.interval_start_utc.hour, row.version, row.lmp_usd_per_mwh) for row in rows) == [
        (6, 1, Decimal(20)), (6, 2, Decimal("30.5")), (7, 1, Decimal(20))]
    assert {row.node_type for row in rows} == {"HU"}


def test_fall_back_day_with_dst_flag():
    """HE 2 N is 01:00-02:00 CDT (06:00 UTC), HE 2 Y is 01:00-02:00 CST (07:00 UTC), HE 3 is 02:00 CST (08:00 UTC);
    a load zone is its own zone, a hub has none."""
    rows = parse_np6_905_csv((FIXTURES / "ercot_np6905_fall_back_dstflag.csv").read_text(), "np6.csv",
                             publish_time_utc=None, version=1)
    north = [row for row in rows if row.node == "HB_NORTH"]
    day = datetime(2025, 11, 2, 5, tzinfo=UTC)  # local midnight, CDT
    assert [row.interval_start_utc - day for row in north] == [
        timedelta(minutes=45), timedelta(hours=1), timedelta(hours=1, minutes=45), timedelta(hours=2),
        timedelta(hours=2, minutes=45), timedelta(hours=3)]
    assert [row.lmp_usd_per_mwh for row in north][3] == Decimal("17.75")
    houston = next(row for row in rows if row.node == "LZ_HOUSTON")
    assert (north[0].node_type, north[0].zone, houston.node_type, houston.zone) == ("HU", None, "LZ", "LZ_HOUSTON")


def test_fall_back_day_numbered_1_to_25():
    """With an hour 25 in the file, hour h of 11/02/2025 starts h - 1 hours after local midnight (05:00 UTC):
    HE 3 is the second 01:00 (07:00 UTC), HE 25 starts 23:00 CST (05:00 UTC next day)."""
    rows = parse_np4_190_csv((FIXTURES / "ercot_np4190_fall_back_hours_1_to_25.csv").read_text(), "dam.csv",
                             publish_time_utc=None, version=1)
    midnight = datetime(2025, 11, 2, 5, tzinfo=UTC)
    assert [row.interval_start_utc for row in rows] == [midnight + timedelta(hours=h) for h in range(25)]
    assert rows[2].lmp_usd_per_mwh == Decimal("23.00") and rows[-1].lmp_usd_per_mwh == Decimal("45.00")


def test_spring_forward_he_3_is_the_hour_after_1_am():
    """03/08/2026 has no 02:00; HE 03:00 ends at 03:00 CDT (08:00 UTC), so it is 07:00-08:00 UTC; HE 4 is 08:00."""
    rows = parse_np4_190_csv((FIXTURES / "ercot_np4190_spring_forward_he3.csv").read_text(), "dam.csv",
                             publish_time_utc=None, version=1)
    assert [row.interval_start_utc.hour for row in rows] == [6, 7, 8, 9]


def test_real_fall_back_day_flags_the_repeated_hour():
    """ERCOT's own NP4-190 rows of 11/02/2025 at HB_HUBAVG (fixtures/ercot/SOURCES.md): 25 hours, HE 02:00 twice.
    DSTFlag=Y is the repeated pass, 01:00-02:00 CST = 07:00 UTC, at 48.25; the N row of HE 02:00 is 01:00 CDT =
    06:00 UTC, at 46.44, although ERCOT lists the Y row first. HE 24:00 starts 23:00 CST = 05:00 UTC next day."""
    rows = parse_np4_190_csv((FIXTURES / "ercot_np4190_20251102_hb_hubavg.csv").read_text(), "dam.csv",
                             publish_time_utc=None, version=1)
    by_start = {row.interval_start_utc: row.lmp_usd_per_mwh for row in rows}
    midnight = datetime(2025, 11, 2, 5, tzinfo=UTC)
    assert sorted(by_start) == [midnight + timedelta(hours=h) for h in range(25)]
    assert [by_start[midnight + timedelta(hours=h)] for h in range(4)] == [
        Decimal("56.16"), Decimal("46.44"), Decimal("48.25"), Decimal("52.27")]
    assert by_start[midnight + timedelta(hours=24)] == Decimal("22.32")


def test_real_spring_forward_day_skips_he_03():
    """ERCOT's own rows of 03/08/2026: 23 hours labelled 01:00, 02:00, 04:00 ... 24:00 (no 03:00, not the HE 03
    label of the quirk fixture above). HE 02:00 is 01:00-02:00 CST = 07:00 UTC at 36.24; HE 04:00 is 03:00-04:00
    CDT = 08:00 UTC at 34.2; no hour is missing or doubled in UTC."""
    rows = parse_np4_190_csv((FIXTURES / "ercot_np4190_20260308_hb_hubavg.csv").read_text(), "dam.csv",
                             publish_time_utc=None, version=1)
    assert [row.interval_start_utc for row in rows] == [
        datetime(2026, 3, 8, 6, tzinfo=UTC) + timedelta(hours=h) for h in range(23)]
    assert [row.lmp_usd_per_mwh for row in rows[1:3]] == [Decimal("36.24"), Decimal("34.2")]


@pytest.mark.parametrize(("rows", "line", "field"), [
    ("11/02/2025,05:00,HB_HOUSTON,1,Y\n", 2, "DSTFlag"),  # Y on an hour that is not repeated (gridstatus PR #694)
    ("11/03/2025,24:00,HB_HOUSTON,1,N\n11/03/2025,25:00,HB_HOUSTON,1,N\n", 3, "HourEnding"),  # 25 on a 24-hour day
    ("11/02/2025,25:00,HB_HOUSTON,1,N\n11/02/2025,02:00,HB_HOUSTON,1,Y\n", 3, "DSTFlag"),  # two conventions mixed
])
def test_inconsistent_dst_labels_name_line_and_field(rows, line, field):
    with pytest.raises(BadInput) as caught:
        parse_np4_190_csv(NP4 + rows, "dam.csv", publish_time_utc=None, version=1)
    assert (caught.value.line, caught.value.field) == (line, field)


def test_unknown_column_is_refused():
    """ERCOT's report layouts are fixed: a column we do not read is an error naming it, not silently dropped."""
    with pytest.raises(BadInput) as caught:
        parse_np4_190_csv(NP4.strip() + ",RepeatedHourFlag\n07/15/2025,17:00,HB_HOUSTON,44.5,N,N\n", "dam.csv",
                          publish_time_utc=None, version=1)
    assert (caught.value.line, caught.value.field) == (1, "RepeatedHourFlag")


def test_short_and_long_rows_name_their_line():
    """A row missing its last cells is a clear error (not an AttributeError); a row with a cell too many too."""
    header = ("DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,"
              "SettlementPointPrice,DSTFlag\n")
    with pytest.raises(BadInput) as caught:
        parse_np6_905_csv(header + "07/15/2025,17,3,HB_NORTH\n", "np6.csv", publish_time_utc=None, version=1)
    assert caught.value.line == 2
    with pytest.raises(BadInput) as caught:
        parse_np6_905_csv(header + "07/15/2025,17,3,HB_NORTH,HU,52.18,N,extra\n", "np6.csv", publish_time_utc=None,
                          version=1)
    assert caught.value.line == 2 and "8 cells" in caught.value.reason


@pytest.mark.parametrize("name", ["cdr.00012331.0000000000000000.20250804.123222.DAMSPNP4190.csv",
                                  "cdr.00012301.0000000000000000.20250730.084701.SPPHLZNP6905_20250730_0845.csv"])
def test_real_rows_and_names_as_ercot_prints_them(name):
    """Real rows (a space before the DAM price; type RN): 08/05/2025 HE 01:00 starts 05:00 UTC (CDT) at 23.94;
    07/30/2025 HE 9 interval 3 starts 08:30 CDT = 13:30 UTC at 19.27. The six-digit publish time reads as CDT."""
    text = (FIXTURES / name).read_text()
    document = parse_document_name(name)
    if document.report_type_id == 12331:
        rows = parse_np4_190_csv(text, name, publish_time_utc=document.publish_time_utc, version=1)
        assert (rows[0].interval_start_utc, rows[0].lmp_usd_per_mwh) == (datetime(2025, 8, 5, 5, tzinfo=UTC),
                                                                         Decimal("23.94"))
        assert document.publish_time_utc == datetime(2025, 8, 4, 17, 32, 22, tzinfo=UTC)
    else:
        rows = parse_np6_905_csv(text, name, publish_time_utc=document.publish_time_utc, version=1)
        assert (rows[1].interval_start_utc, rows[1].lmp_usd_per_mwh, rows[1].node_type) == (
            datetime(2025, 7, 30, 13, 30, tzinfo=UTC), Decimal("19.27"), "RN")
        assert (document.base_name, document.document_format) == ("SPPHLZNP6905_20250730_0845", None)
    assert [row.node for row in rows] == ["7RNCHSLR_ALL", "A4_DGR1_RN"]
