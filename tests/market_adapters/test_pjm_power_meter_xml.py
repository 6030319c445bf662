"""PJM Power Meter hourly XML (MeterValues, the daily submission): each hour's start and end carry the Eastern
offset in force, so the fall-back day has 25 intervals (two 01:00 starts, -04:00 then -05:00) and the
spring-forward day 23; the element order is PJM's sample's; the text reads back to the UTC hours it came from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from common.errors import BadInput
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.pjm import build_hourly_meter_values, parse_hourly_meter_values, upload_power_meter
from market_adapters.pjm.power_meter import PowerMeterFile
from tests.market_adapters.market_rows import quarter_hour_rows

GEN = IsoMeterRef("GT1", "3351", "generation")
TIE = IsoMeterRef("TI1", "10567", "grid_import")
CREATED = datetime(2025, 11, 3, 15, tzinfo=UTC)


def _intervals(document: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(document).findall("meterAccount/hourlyMeterValues/intervalValue")


def test_fall_back_day_has_25_intervals_and_the_two_one_oclock_hours_differ_by_offset(write_intervals):
    """2025-11-02: 100 quarter hours of 1,234,567 Wh = 4.938 MWh per hour (4.938268 rounded half-even)."""
    start = datetime(2025, 11, 2, 4, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 100, 1_234_567), 15)
    upload = build_hourly_meter_values(uri, [GEN], date(2025, 11, 2), CREATED)
    assert upload.file_name == "hourlyMeterValues_20251102_20251103150000.xml"
    intervals = _intervals(upload.text)
    assert len(intervals) == 25
    assert [(i.findtext("startDate"), i.findtext("endDate")) for i in intervals[:3]] == [
        ("2025-11-02T00:00:00.000-04:00", "2025-11-02T01:00:00.000-04:00"),
        ("2025-11-02T01:00:00.000-04:00", "2025-11-02T01:00:00.000-05:00"),
        ("2025-11-02T01:00:00.000-05:00", "2025-11-02T02:00:00.000-05:00")]
    assert intervals[-1].findtext("endDate") == "2025-11-03T00:00:00.000-05:00"
    assert {i.findtext("mw") for i in intervals} == {"4.938"}
    hours = parse_hourly_meter_values(upload.text, upload.file_name)
    assert [hour.hour_start_utc for hour in hours] == [start + timedelta(hours=index) for index in range(25)]
    assert {(hour.account_id, hour.energy_mwh) for hour in hours} == {("3351", Decimal("4.938"))}


def test_spring_forward_day_has_23_intervals(write_intervals):
    """2025-03-09: the hour after 01:00 EST begins 03:00 EDT; 4 x 250 kWh = 1.000 MWh each hour."""
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 92, 250_000), 15)
    intervals = _intervals(build_hourly_meter_values(uri, [GEN], date(2025, 3, 9), CREATED).text)
    assert len(intervals) == 23
    assert [(i.findtext("startDate"), i.findtext("endDate")) for i in intervals[1:3]] == [
        ("2025-03-09T01:00:00.000-05:00", "2025-03-09T03:00:00.000-04:00"),
        ("2025-03-09T03:00:00.000-04:00", "2025-03-09T04:00:00.000-04:00")]
    assert {i.findtext("mw") for i in intervals} == {"1.000"}


def test_document_follows_pjms_sample_element_order(write_intervals):
    """MeterValues / meterAccount (meterAccountID, meterAccountName, meterType, ehv, counterParty,
    hourlyMeterValues) per account, then empty totalLoss and totalInadvertent; a tie meter is type TIE."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    rows = quarter_hour_rows("GT1", "delivered", start, 4, 1_000_000)
    rows += quarter_hour_rows("GT1", "received", start, 4, 25_000)
    rows += quarter_hour_rows("TI1", "delivered", start, 4, 10_000)
    upload = build_hourly_meter_values(write_intervals(rows, 15), [GEN, TIE], date(2025, 7, 15), CREATED,
                                       counter_party="PaElec")
    assert upload.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<MeterValues>')
    root = ElementTree.fromstring(upload.text)
    assert [child.tag for child in root] == ["meterAccount", "meterAccount", "totalLoss", "totalInadvertent"]
    assert [child.tag for child in root[0]] == ["meterAccountID", "meterAccountName", "meterType", "ehv",
                                                "counterParty", "hourlyMeterValues"]
    assert [(a.findtext("meterAccountID"), a.findtext("meterType"), a.findtext("ehv"), a.findtext("counterParty"))
            for a in root.findall("meterAccount")] == [("3351", "GEN", "NO", "PaElec"), ("10567", "TIE", "NO", "PaElec")]
    # Station power nets: 4 MWh out less 0.1 MWh in = 3.900; the tie meter's 0.040 MWh.
    assert [a.findtext("hourlyMeterValues/intervalValue/mw") for a in root.findall("meterAccount")] == [
        "3.900", "0.040"]
    assert root.find("totalLoss") is not None and len(root.find("totalLoss")) == 0


@pytest.mark.parametrize(("start", "end", "field"), [
    ("2025-07-15T14:00:00.000-05:00", "2025-07-15T15:00:00.000-05:00", "meterAccount 1 intervalValue 1 startDate"),
    ("2025-07-15T14:00:00.000-04:00", "2025-07-15T16:00:00.000-04:00", "meterAccount 1 intervalValue 1 endDate"),
    ("2025-07-15T14:00:00", "2025-07-15T15:00:00.000-04:00", "meterAccount 1 intervalValue 1 startDate"),
])
def test_bad_intervals_name_their_position(start, end, field):
    """A summer hour written with EST's offset, a two-hour interval, a start without offset: refused, placed."""
    text = (f"<MeterValues><meterAccount><meterAccountID>3351</meterAccountID><hourlyMeterValues><intervalValue>"
            f"<startDate>{start}</startDate><endDate>{end}</endDate><mw>1.000</mw></intervalValue>"
            "</hourlyMeterValues></meterAccount><totalLoss/><totalInadvertent/></MeterValues>")
    with pytest.raises(BadInput) as caught:
        parse_hourly_meter_values(text, "up.xml")
    assert (caught.value.source, caught.value.field) == ("up.xml", field)


def test_hourly_csv_is_not_uploaded():
    """PJM takes CSV only for five-minute values: an hourly CSV is refused before any request is made."""
    with pytest.raises(BadInput, match="five-minute"):
        upload_power_meter("https://powermeter.invalid", IsoCredentials("u", "p"), "token",
                           PowerMeterFile("powermeter_20250715.csv", "MeterAccountId\r\n"), [GEN])
