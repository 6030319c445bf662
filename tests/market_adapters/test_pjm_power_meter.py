"""PJM Power Meter hourly MWh upload (layout unconfirmed, kept in one module): HE labels from the local hour
start, a repeated HE 2 flagged on the fall-back day, HE 3 absent on the spring-forward day, and a round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from common.errors import BadInput
from market_adapters.model import IsoMeterRef
from market_adapters.pjm.power_meter import build_power_meter_file, parse_power_meter_csv
from tests.market_adapters.market_rows import quarter_hour_rows

GEN = IsoMeterRef("GT1", "PM-778812", "generation")
CREATED = datetime(2025, 11, 3, 15, tzinfo=UTC)


def test_fall_back_day_repeats_hour_ending_2_and_round_trips(write_intervals):
    """25 rows on 2025-11-02; HE 2 appears as N then Y; each row maps back to its UTC hour."""
    start = datetime(2025, 11, 2, 4, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 100, 1_234_567), 15)
    upload = build_power_meter_file(uri, [GEN], date(2025, 11, 2), CREATED)
    lines = upload.text.split("\r\n")
    assert lines[0] == "MeterAccountId,OperatingDate,HourEnding,RepeatedHour,MWh"
    assert lines[1:5] == ["PM-778812,11/02/2025,1,N,4.938", "PM-778812,11/02/2025,2,N,4.938",
                          "PM-778812,11/02/2025,2,Y,4.938", "PM-778812,11/02/2025,3,N,4.938"]
    assert len(lines) == 1 + 25 + 1  # header, 25 hours, trailing empty
    hours = parse_power_meter_csv(upload.text, upload.file_name)
    assert [h.hour_start_utc for h in hours] == [start + timedelta(hours=i) for i in range(25)]
    assert {h.energy_mwh for h in hours} == {Decimal("4.938")}  # 4 x 1,234,567 Wh = 4.938268 MWh


def test_spring_forward_day_skips_hour_ending_3(write_intervals):
    """23 rows on 2025-03-09: HE 1, 2, 4, ... 24."""
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)
    uri = write_intervals(quarter_hour_rows("GT1", "delivered", start, 92, 250_000), 15)
    upload = build_power_meter_file(uri, [GEN], date(2025, 3, 9), CREATED)
    hour_endings = [line.split(",")[2] for line in upload.text.split("\r\n")[1:-1]]
    assert hour_endings == ["1", "2"] + [str(h) for h in range(4, 25)]
    assert [h.hour_start_utc for h in parse_power_meter_csv(upload.text, "x")] == [
        start + timedelta(hours=i) for i in range(23)]


def test_station_power_nets_and_incomplete_hours_are_left_out(write_intervals):
    """Hour 0: 4 MWh out, 0.1 MWh in -> 3.900; hour 1 has three intervals only and is not sent."""
    start = datetime(2025, 7, 15, 4, tzinfo=UTC)
    rows = quarter_hour_rows("GT1", "delivered", start, 4, 1_000_000)
    rows += quarter_hour_rows("GT1", "received", start, 4, 25_000)
    rows += quarter_hour_rows("GT1", "delivered", start + timedelta(hours=1), 3, 1_000_000)
    upload = build_power_meter_file(write_intervals(rows, 15), [GEN], date(2025, 7, 15), CREATED)
    assert upload.text.split("\r\n")[1:-1] == ["PM-778812,07/15/2025,1,N,3.900"]


def test_bad_rows_and_roles_are_bad_input(write_intervals):
    """HE 3 on the spring-forward day does not exist; a tenant meter cannot go to Power Meter."""
    text = "MeterAccountId,OperatingDate,HourEnding,RepeatedHour,MWh\r\nA,03/09/2025,3,N,1.000\r\n"
    with pytest.raises(BadInput) as caught:
        parse_power_meter_csv(text, "up.csv")
    assert (caught.value.line, caught.value.field) == (2, "HourEnding")
    uri = write_intervals([("T1", "delivered", datetime(2025, 7, 15, 4, tzinfo=UTC), 1, 0)], 60)
    with pytest.raises(BadInput, match="Power Meter"):
        build_power_meter_file(uri, [IsoMeterRef("T1", "X", "tenant_consumption")], date(2025, 7, 15), CREATED)
