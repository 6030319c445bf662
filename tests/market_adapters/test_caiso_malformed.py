"""CAISO OASIS answers cut short: a clear error naming the report and the parse position, a bounded retry in the
client, and OASIS's extra CSV columns reported rather than silently dropped."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from market_adapters.caiso.client import OasisPacer, fetch_prc_lmp
from market_adapters.caiso.format import format_price_csv, zip_members
from market_adapters.caiso.parse import (
    OasisMalformedResponse,
    parse_price_csv,
    parse_report_xml,
    read_oasis_zip,
)
from market_adapters.http.retry import RetryPolicy
from market_adapters.prices import PriceRow

CUT = (Path(__file__).parent / "fixtures" / "caiso" / "oasis_sld_fcst_cut_at_1000_bytes.xml").read_bytes()
START = datetime(2025, 7, 15, 7, tzinfo=UTC)
ROW = PriceRow("CAISO", "DA", "TH_SP15_GEN-APND", START, 60, Decimal("41.27"), Decimal(40), Decimal("0.9"),
               Decimal("0.37"), None, 1)


def test_cut_xml_names_the_report_and_the_parse_position():
    """The real sample cut at byte 1000 ends inside line 35 (`<INTERVAL_N`): no raw ParseError escapes."""
    with pytest.raises(OasisMalformedResponse) as caught:
        parse_report_xml(CUT, "SLD_FCST 2014-05-08")
    assert caught.value.report == "SLD_FCST 2014-05-08" and caught.value.position is not None
    assert caught.value.position[0] == 35
    assert "SLD_FCST 2014-05-08" in str(caught.value) and "line" in str(caught.value)
    with pytest.raises(OasisMalformedResponse):
        read_oasis_zip(zip_members({"INVALID_REQUEST.xml": CUT}), "PRC_LMP")


def test_cut_zip_is_malformed_not_a_traceback():
    blob = zip_members({"prc.csv": format_price_csv([ROW]).encode()})
    with pytest.raises(OasisMalformedResponse, match="not a whole ZIP"):
        read_oasis_zip(blob[: len(blob) // 2], "PRC_LMP")


def _serving(answers: list[bytes]) -> tuple[httpx.MockTransport, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, content=answers[min(len(calls), len(answers)) - 1])

    return httpx.MockTransport(handler), calls


def test_client_retries_a_cut_answer_then_reads_the_whole_one():
    whole = zip_members({"prc.csv": format_price_csv([ROW]).encode()})
    transport, calls = _serving([whole[:100], whole])
    rows = fetch_prc_lmp("http://oasis.test", "DAM", ROW.node, START, START + timedelta(hours=1),
                         pacer=OasisPacer(0.0), retry=RetryPolicy(1, 0, 0), transport=transport)
    assert rows == [ROW] and len(calls) == 2


def test_client_gives_up_after_the_bounded_attempts_naming_report_and_position():
    transport, calls = _serving([zip_members({"INVALID_REQUEST.xml": CUT})])
    with pytest.raises(OasisMalformedResponse) as caught:
        fetch_prc_lmp("http://oasis.test", "DAM", ROW.node, START, START + timedelta(hours=1),
                      pacer=OasisPacer(0.0), retry=RetryPolicy(1, 0, 0), transport=transport,
                      malformed_attempts_max=3)
    assert len(calls) == 3
    message = str(caught.value)
    assert message.startswith("PRC_LMP TH_SP15_GEN-APND") and "INVALID_REQUEST.xml" in message
    assert "line 35" in message and "3 attempts" in message


def test_extra_oasis_columns_are_read_past_and_reported(caplog):
    """OASIS adds columns between versions: the rows still parse, and the unread column is logged by name."""
    header, *lines = format_price_csv([ROW]).strip().split("\n")
    text = "\n".join([header + ",NEW_COLUMN", *(line + ",x" for line in lines)]) + "\n"
    with caplog.at_level(logging.WARNING, logger="wattledger.market_adapters.caiso"):
        assert parse_price_csv(text, "prc.csv") == [ROW]
    assert "NEW_COLUMN" in caplog.text and "prc.csv" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wattledger.market_adapters.caiso"):
        parse_price_csv(format_price_csv([ROW]), "known.csv")
    assert caplog.text == ""


def test_real_xml_sample_reads_every_report_data_element_and_an_extra_one_is_reported(shared_dir, caplog):
    """The real SLD_FCST sample has exactly the seven REPORT_DATA elements we read: nothing logged. An element
    OASIS might add is named in the log and the rows still come back."""
    sample = (shared_dir / "iso_samples" / "caiso_oasis_sld_fcst_xml_sample.xml").read_bytes()
    with caplog.at_level(logging.WARNING, logger="wattledger.market_adapters.caiso"):
        assert len(parse_report_xml(sample, "sample")) == 3
    assert caplog.text == ""
    extra = sample.replace(b"<VALUE>26723</VALUE>", b"<VALUE>26723</VALUE><MW_FLAG>A</MW_FLAG>")
    with caplog.at_level(logging.WARNING, logger="wattledger.market_adapters.caiso"):
        assert len(parse_report_xml(extra, "extra")) == 3
    assert "MW_FLAG" in caplog.text
