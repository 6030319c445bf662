"""NYISO powerMetering body: hourly MWh per PTID in Eastern hour-beginning labels, built from interval Parquet.

Expected documents are written out by hand from the NYISO format in iso-formats.md §3.4.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from common.errors import BadInput
from market_adapters.model import IsoMeterRef
from market_adapters.nyiso import build_power_metering_document, validate_power_metering_document
from market_adapters.nyiso.format import hour_beginning_label
from market_adapters.nyiso.parse import power_metering_hours
from meterdata.schema import QUALITY_MISSING
from tests.market_adapters.market_rows import quarter_hour_rows

EASTERN = ZoneInfo("America/New_York")
GEN = IsoMeterRef(meter_id="GT1", iso_meter_id="323999", role="generation")


def test_summer_hour_is_labelled_hour_beginning_with_edt_offset(write_intervals):
    """Four 15-min intervals of 10,312,500 Wh starting 18:00 UTC become one 41.25 MWh record at 14:00-04:00."""
    start = datetime(2025, 7, 15, 18, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 4, 10_312_500), 15)
    doc = build_power_metering_document(uri, [GEN], start, start + timedelta(hours=1), EASTERN, "wl-2025-07-15-g1")
    assert doc == {
        "submissionParameters": {"doNotCommit": False, "userRequestId": "wl-2025-07-15-g1"},
        "generators": [{"genPtid": 323999, "dateHour": "2025-07-15T14:00:00-04:00", "meterInjectionEnergyMwh": 41.25}],
    }
    assert validate_power_metering_document(doc) == []


def test_fall_back_day_has_25_records_with_two_one_oclock_hours(write_intervals):
    """2025-11-02 in New York is 25 hours; 01:00 appears at -04:00 and again at -05:00."""
    day_start = datetime(2025, 11, 2, 4, tzinfo=UTC)  # local midnight EDT
    day_end = datetime(2025, 11, 3, 5, tzinfo=UTC)  # next local midnight EST
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", day_start, 100, 250_000), 15)
    doc = build_power_metering_document(uri, [GEN], day_start, day_end, EASTERN, "fall-back")
    labels = [record["dateHour"] for record in doc["generators"]]
    assert len(labels) == 25
    assert labels[:4] == ["2025-11-02T00:00:00-04:00", "2025-11-02T01:00:00-04:00",
                          "2025-11-02T01:00:00-05:00", "2025-11-02T02:00:00-05:00"]
    assert labels[-1] == "2025-11-02T23:00:00-05:00"
    assert {record["meterInjectionEnergyMwh"] for record in doc["generators"]} == {1.0}
    assert validate_power_metering_document(doc) == []


def test_spring_forward_day_has_23_records_and_no_two_oclock(write_intervals):
    """2025-03-09 in New York is 23 hours; 02:00 local does not exist."""
    day_start = datetime(2025, 3, 9, 5, tzinfo=UTC)
    day_end = datetime(2025, 3, 10, 4, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", day_start, 92, 250_000), 15)
    doc = build_power_metering_document(uri, [GEN], day_start, day_end, EASTERN, "spring")
    labels = [record["dateHour"] for record in doc["generators"]]
    assert len(labels) == 23
    assert labels[1:3] == ["2025-03-09T01:00:00-05:00", "2025-03-09T03:00:00-04:00"]


def test_incomplete_and_missing_hours_are_left_out_not_zero(write_intervals):
    """Hour 1 lacks an interval, hour 2 has one marked missing: only hour 0 is sent."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    rows = quarter_hour_rows("GT1", "delivered", start, 4, 1_000_000)
    rows += quarter_hour_rows("GT1", "delivered", start + timedelta(hours=1), 3, 1_000_000)
    rows += quarter_hour_rows("GT1", "delivered", start + timedelta(hours=2), 3, 1_000_000)
    rows += [("GT1", "delivered", start + timedelta(hours=2, minutes=45), 0, QUALITY_MISSING)]
    uri = write_intervals(rows, 15)
    doc = build_power_metering_document(uri, [GEN], start, start + timedelta(hours=3), EASTERN, "gaps")
    assert doc["generators"] == [
        {"genPtid": 323999, "dateHour": "2025-07-15T00:00:00-04:00", "meterInjectionEnergyMwh": 4.0}
    ]


def test_mwh_rounds_half_even_to_four_decimals(write_intervals):
    """12,345,650 Wh -> 12.3456 (tie to even); 12,345,750 Wh -> 12.3458."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    rows = [("GT1", "delivered", start, 12_345_650, 0), ("GT1", "delivered", start + timedelta(hours=1), 12_345_750, 0)]
    uri = write_intervals(rows, 60)
    doc = build_power_metering_document(uri, [GEN], start, start + timedelta(hours=2), EASTERN, "round")
    assert [record["meterInjectionEnergyMwh"] for record in doc["generators"]] == [12.3456, 12.3458]


def test_roles_map_to_ties_subzones_and_generator_withdrawal(write_intervals):
    """Import and export on one tie PTID net (3 - 1 = 2 MWh); station power is a negative withdrawal."""
    start = datetime(2025, 1, 15, 5, tzinfo=UTC)
    rows = [
        ("IMP", "delivered", start, 3_000_000, 0),
        ("EXP", "delivered", start, 1_000_000, 0),
        ("T1", "delivered", start, 2_500_000, 0),
        ("GT1", "delivered", start, 5_000_000, 0),
        ("GT1", "received", start, 20_000, 0),
    ]
    meters = [GEN, IsoMeterRef("IMP", "55001", "grid_import"), IsoMeterRef("EXP", "55001", "export"),
              IsoMeterRef("T1", "61761", "tenant_consumption")]
    uri = write_intervals(rows, 60)
    doc = build_power_metering_document(uri, meters, start, start + timedelta(hours=1), EASTERN, "roles")
    hour = "2025-01-15T00:00:00-05:00"
    assert doc["generators"] == [{"genPtid": 323999, "dateHour": hour, "meterInjectionEnergyMwh": 5.0,
                                  "meterWithdrawalEnergyMwh": -0.02}]
    assert doc["ties"] == [{"tiePtid": 55001, "dateHour": hour, "meterTieFlowMwh": 2.0}]
    assert doc["subzones"] == [{"subzonePtid": 61761, "dateHour": hour, "meterSubzoneLoadMwh": 2.5}]
    assert validate_power_metering_document(doc) == []


def test_meters_not_listed_and_rows_outside_period_are_ignored(write_intervals):
    """Only registered meters inside [start, end) reach the document."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    rows = [("GT1", "delivered", start - timedelta(hours=1), 9_000_000, 0), ("GT1", "delivered", start, 1_000_000, 0),
            ("OTHER", "delivered", start, 7_000_000, 0)]
    uri = write_intervals(rows, 60)
    doc = build_power_metering_document(uri, [GEN], start, start + timedelta(hours=1), EASTERN, "filter")
    assert doc["generators"] == [{"genPtid": 323999, "dateHour": "2025-07-15T00:00:00-04:00",
                                  "meterInjectionEnergyMwh": 1.0}]


def test_duplicate_intervals_are_bad_input(write_intervals):
    """Two rows for the same interval cannot be summed silently."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    uri = write_intervals([("GT1", "delivered", start, 1, 0), ("GT1", "delivered", start, 1, 0)], 60)
    with pytest.raises(BadInput, match="duplicate"):
        build_power_metering_document(uri, [GEN], start, start + timedelta(hours=1), EASTERN, "dup")


def test_non_numeric_ptid_is_bad_input(write_intervals):
    """NYISO PTIDs are integers; a typo in the registry is reported with the meter id."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    uri = write_intervals([("GT1", "delivered", start, 1, 0)], 60)
    with pytest.raises(BadInput, match="GT1"):
        build_power_metering_document(uri, [IsoMeterRef("GT1", "PTID-9", "generation")], start,
                                      start + timedelta(hours=1), EASTERN, "ptid")


def test_dst_day_documents_read_back_to_the_same_utc_hours(write_intervals):
    """Both DST days: every record of the body maps back (power_metering_hours) to the UTC hour it came from."""
    for day_start, day_end, count in ((datetime(2025, 11, 2, 4, tzinfo=UTC), datetime(2025, 11, 3, 5, tzinfo=UTC), 25),
                                      (datetime(2025, 3, 9, 5, tzinfo=UTC), datetime(2025, 3, 10, 4, tzinfo=UTC), 23)):
        rows = [("GT1", "delivered", day_start + i * timedelta(minutes=15), 250_000 + 1_000 * (i // 4), 0)
                for i in range(count * 4)]
        doc = build_power_metering_document(write_intervals(rows, 15), [GEN], day_start, day_end, EASTERN, "rt")
        hours = power_metering_hours(doc, "doc")
        assert [h.hour_start_utc for h in hours] == [day_start + timedelta(hours=h) for h in range(count)]
        assert [h.energy_mwh for h in hours] == [Decimal(1_000_000 + 4_000 * h) / 1_000_000 for h in range(count)]


def test_read_back_rejects_an_offset_that_is_not_eastern():
    """`2025-07-15T14:00:00-05:00` is not New York's offset in July: BadInput naming the field."""
    doc = {"generators": [{"genPtid": 1, "dateHour": "2025-07-15T14:00:00-05:00", "meterInjectionEnergyMwh": 1}]}
    with pytest.raises(BadInput) as caught:
        power_metering_hours(doc, "doc")
    assert caught.value.field == "generators.dateHour"


def test_hour_beginning_labels_follow_technical_bulletin_064():
    """Fall-back day 11/02/2025: HB 00, HB 01, HB 25 (the second 01:00, 06:00 UTC), HB 02. Spring-forward day
    03/09/2025: HB 01 (06:00 UTC) is followed by HB 03 (07:00 UTC); there is no HB 02."""
    fall = [hour_beginning_label(datetime(2025, 11, 2, hour, tzinfo=UTC)) for hour in (4, 5, 6, 7)]
    assert fall == ["11/02/2025 HB 00", "11/02/2025 HB 01", "11/02/2025 HB 25", "11/02/2025 HB 02"]
    spring = [hour_beginning_label(datetime(2025, 3, 9, hour, tzinfo=UTC)) for hour in (6, 7)]
    assert spring == ["03/09/2025 HB 01", "03/09/2025 HB 03"]
