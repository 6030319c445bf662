"""CAISO OASIS readers: the real XML sample and error payload parse; CSV components pivot into one row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.caiso.format import error_payload_xml, format_price_csv, zip_members
from market_adapters.caiso.parse import (
    OasisRequestFailed,
    OasisRetryLater,
    parse_price_csv,
    parse_report_xml,
    prices_from_report_rows,
    read_oasis_zip,
)
from market_adapters.prices import PriceRow

DOC_ROW = ("2025-01-15T08:00:00-00:00,2025-01-15T09:00:00-00:00,2025-01-15,1,0,TH_SP15_GEN-APND,TH_SP15_GEN-APND,"
           "TH_SP15_GEN-APND,DAM,{kind},{item},TH_SP15_GEN-APND,ALL,1,{value},1")


def test_real_xml_sample_parses_every_report_data(shared_dir):
    """The OASIS SLD_FCST sample has three REPORT_DATA; the first is 26723 MW for 19:15-19:30 UTC."""
    rows = parse_report_xml((shared_dir / "iso_samples" / "caiso_oasis_sld_fcst_xml_sample.xml").read_bytes(), "s")
    assert len(rows) == 3
    assert (rows[0].report, rows[0].market, rows[0].data_item) == ("SLD_FCST", "RTM", "SYS_FCST_15MIN_MW")
    assert rows[0].interval_start_utc == datetime(2014, 5, 8, 19, 15, tzinfo=UTC)
    assert rows[0].value == Decimal(26723)
    assert rows[2].resource_name == "PGE-TAC"
    with pytest.raises(BadInput, match="not an LMP component"):
        prices_from_report_rows(rows, "s")


def test_real_error_payload_raises_typed_error(shared_dir):
    """The ERR_CODE 1001 sample inside INVALID_REQUEST.xml.zip is a non-retryable OasisRequestFailed."""
    payload = (shared_dir / "iso_samples" / "caiso_oasis_error_response_sample.xml").read_bytes()
    with pytest.raises(OasisRequestFailed) as caught:
        read_oasis_zip(zip_members({"INVALID_REQUEST.xml": payload}), "err.zip")
    assert caught.value.code == 1001 and not caught.value.retryable
    with pytest.raises(OasisRetryLater):
        read_oasis_zip(zip_members({"INVALID_REQUEST.xml": error_payload_xml(1015, "processing")}), "e.zip")


def test_documented_csv_components_pivot_into_one_row():
    """LMP 41.27 = MCE 40 + MCC 0.9 + MCL 0.37 for HE1 of 2025-01-15 (08:00 UTC, PST)."""
    header = format_price_csv([]).strip()
    lines = [DOC_ROW.format(kind=k, item=i, value=v) for k, i, v in
             (("LMP", "LMP_PRC", "41.27"), ("MCE", "LMP_ENE_PRC", "40"), ("MCC", "LMP_CONG_PRC", "0.9"),
              ("MCL", "LMP_LOSS_PRC", "0.37"))]
    [row] = parse_price_csv("\n".join([header, *lines]) + "\n", "prc.csv")
    assert row == PriceRow("CAISO", "DA", "TH_SP15_GEN-APND", datetime(2025, 1, 15, 8, tzinfo=UTC), 60,
                           Decimal("41.27"), Decimal(40), Decimal("0.9"), Decimal("0.37"), None, 1)


def test_component_without_lmp_and_unknown_market_are_bad_input():
    """A node-interval with only MCE rows, or a MARKET_RUN_ID we do not know, is rejected with its line."""
    header = format_price_csv([]).strip()
    with pytest.raises(BadInput, match="no LMP row"):
        parse_price_csv(header + "\n" + DOC_ROW.format(kind="MCE", item="LMP_ENE_PRC", value="1") + "\n", "c")
    with pytest.raises(BadInput) as caught:
        parse_price_csv(header + "\n" + DOC_ROW.format(kind="LMP", item="LMP_PRC", value="1").replace(",DAM,", ",XX,"), "c")
    assert (caught.value.line, caught.value.field) == (2, "MARKET_RUN_ID")


def test_dst_days_round_trip_through_csv_zip():
    """All 25 hours of 2025-11-02 and 23 of 2025-03-09 (Pacific) survive format -> zip -> parse."""
    for day_start, hours in ((datetime(2025, 11, 2, 7, tzinfo=UTC), 25), (datetime(2025, 3, 9, 8, tzinfo=UTC), 23)):
        rows = [PriceRow("CAISO", "DA", "N1", day_start + timedelta(hours=h), 60, Decimal(h) + Decimal("0.5"),
                         Decimal(h), Decimal("0.25"), Decimal("0.25"), None, 1) for h in range(hours)]
        blob = zip_members({"prc.csv": format_price_csv(rows).encode()})
        [(name, data)] = read_oasis_zip(blob, "z")
        assert sorted(parse_price_csv(data.decode(), name), key=lambda r: r.interval_start_utc) == rows


def test_xml_lmp_components_become_one_price_row():
    """An OASIS XML LMP report (own example) with LMP/ENE/CONG/LOSS items pivots like the CSV."""
    items = "".join(
        f"<REPORT_DATA><DATA_ITEM>{item}</DATA_ITEM><RESOURCE_NAME>TH_NP15_GEN-APND</RESOURCE_NAME>"
        "<OPR_DATE>2025-07-15</OPR_DATE><INTERVAL_NUM>13</INTERVAL_NUM>"
        "<INTERVAL_START_GMT>2025-07-15T19:00:00-00:00</INTERVAL_START_GMT>"
        f"<INTERVAL_END_GMT>2025-07-15T20:00:00-00:00</INTERVAL_END_GMT><VALUE>{value}</VALUE></REPORT_DATA>"
        for item, value in (("LMP_PRC", "52.10"), ("LMP_ENE_PRC", "50.00"), ("LMP_CONG_PRC", "1.50"),
                            ("LMP_LOSS_PRC", "0.60")))
    xml = ('<OASISReport xmlns="http://www.caiso.com/soa/OASISReport_v1.xsd"><MessagePayload><RTO><REPORT_ITEM>'
           "<REPORT_HEADER><REPORT>PRC_LMP</REPORT><MKT_TYPE>DAM</MKT_TYPE></REPORT_HEADER>"
           f"{items}</REPORT_ITEM></RTO></MessagePayload></OASISReport>").encode()
    [row] = prices_from_report_rows(parse_report_xml(xml, "x.xml"), "x.xml")
    assert row == PriceRow("CAISO", "DA", "TH_NP15_GEN-APND", datetime(2025, 7, 15, 19, tzinfo=UTC), 60,
                           Decimal("52.10"), Decimal("50.00"), Decimal("1.50"), Decimal("0.60"), None, 1)
