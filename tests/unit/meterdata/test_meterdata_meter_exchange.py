"""Ingest carries campus facts: CT/PT multipliers, service windows and device serials, in CSV, Green Button
and Parquet.

Each reader is called directly with a ReadingColumns sink. Expected Wh values are worked out by hand in the
docstrings and comments, never by the code under test.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from campus import Device, Meter, MeterRole
from common.errors import BadInput
from meterdata import SITE_EXPORT_V1, MeterSpec
from meterdata.csv_reader import read_csv
from meterdata.greenbutton import read_greenbutton
from meterdata.parquet_reader import read_parquet
from meterdata.readings import ReadingColumns, ReadingWindow
from meterdata.specs import ReadingNames, meter_spec_from_campus
from meterdata.units import energy_wh_from_value

SHA = "cd" * 32
OCT_START = datetime(2026, 10, 1, 4, tzinfo=UTC)
OCT_END = datetime(2026, 11, 1, 4, tzinfo=UTC)
WINDOW = ReadingWindow(OCT_START, OCT_END, datetime(2026, 12, 15, tzinfo=UTC))
EXCHANGE = datetime(2026, 10, 15, 16, tzinfo=UTC)
HEADER = "meter_id,interval_start,value,unit\n"

# GT1-GEN's revenue meter was exchanged on 2026-10-15 at 16:00 UTC: the old device had 400/5 A CTs (x80), the
# new one 200/5 A CTs (x40). Files name either device by serial, or the point.
EXCHANGED = MeterSpec(
    "GT1-GEN", "generation", "kWh", 15,
    devices=(Device("SN-OLD", Decimal(80), OCT_START, EXCHANGE), Device("SN-NEW", Decimal(40), EXCHANGE)),
)


def _read_csv(content: str, meters: dict[str, MeterSpec]) -> list[tuple]:
    out = ReadingColumns()
    read_csv(content.encode(), "site.csv", SHA, SITE_EXPORT_V1, meters, WINDOW, out)
    return list(zip(out.meter_id, out.interval_start_us, out.energy_wh, out.source_row, strict=True))


def _us(instant: datetime) -> int:
    return int(instant.timestamp()) * 1_000_000


def _refusal(content: str, meters: dict[str, MeterSpec]) -> BadInput:
    with pytest.raises(BadInput) as caught:
        _read_csv(content, meters)
    return caught.value


def test_multiplier_is_applied_exactly_before_the_one_half_even_rounding() -> None:
    """0.0125 kWh x 0.2 = 0.0025 kWh = 2.5 Wh exactly -> 2 Wh (half-even; in floats it is 2.5000000000000004,
    which would round to 3). 1.0005 kWh x 3 = 3001.5 Wh -> 3002 Wh. 4512.250 kWh x 0.6 = 2,707,350 Wh."""
    assert energy_wh_from_value(Decimal("0.0125"), "kWh", 15, Decimal("0.2")) == 2
    assert energy_wh_from_value(Decimal("1.0005"), "kWh", 15, Decimal(3)) == 3002
    assert energy_wh_from_value(Decimal("4512.250"), "kWh", 15, Decimal("0.6")) == 2_707_350
    # Average power: 1 W x 2 over 15 minutes is 0.5 Wh -> 0 Wh (half-even); 3 W x 2 over 15 min is 1.5 -> 2.
    assert energy_wh_from_value(Decimal(1), "W", 15, Decimal(2)) == 0
    assert energy_wh_from_value(Decimal(3), "W", 15, Decimal(2)) == 2
    meters = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15, multiplier=Decimal("0.2"))}
    content = HEADER + "SHARED,2026-10-01T04:00:00Z,0.0125,kWh\nSHARED,2026-10-01T04:15:00Z,10,kWh\n"
    rows = _read_csv(content, meters)
    # 10 kWh x 0.2 = 2 kWh = 2,000 Wh.
    assert [energy_wh for _, _, energy_wh, _ in rows] == [2, 2_000]


def test_a_reading_too_long_for_an_exact_product_is_refused_not_rounded() -> None:
    """A 70-digit reading cannot be multiplied exactly in 64 digits: refused naming the value field."""
    meters = {"SHARED": MeterSpec("SHARED", "shared_consumption", "kWh", 15, multiplier=Decimal(3))}
    error = _refusal(HEADER + "SHARED,2026-10-01T04:00:00Z,0." + "7" * 70 + ",kWh\n", meters)
    assert (error.source, error.line, error.field) == ("site.csv", 2, "value")
    assert "out of range" in error.reason


def test_meter_exchanged_mid_month_joins_into_one_series_under_the_point() -> None:
    """Old device rows before 16:00 take x80, new device rows from 16:00 take x40, and rows naming the point
    take the multiplier of the device serving then. 1.5 kWh x 80 = 120,000 Wh; 2.25 kWh x 40 = 90,000 Wh;
    0.5 kWh x 80 = 40,000 Wh; 0.5 kWh x 40 = 20,000 Wh."""
    content = HEADER + (
        "SN-OLD,2026-10-15T15:30:00Z,1.5,kWh\n"
        "SN-OLD,2026-10-15T15:45:00Z,1.5,kWh\n"
        "SN-NEW,2026-10-15T16:00:00Z,2.25,kWh\n"
        "SN-NEW,2026-10-15T16:15:00Z,2.25,kWh\n"
        "GT1-GEN,2026-10-15T15:15:00Z,0.5,kWh\n"
        "GT1-GEN,2026-10-15T16:30:00Z,0.5,kWh\n"
    )
    rows = _read_csv(content, {"GT1-GEN": EXCHANGED})
    quarter_us = 15 * 60 * 1_000_000
    exchange_us = _us(EXCHANGE)
    assert rows == [
        ("GT1-GEN", exchange_us - 2 * quarter_us, 120_000, 2),
        ("GT1-GEN", exchange_us - quarter_us, 120_000, 3),
        ("GT1-GEN", exchange_us, 90_000, 4),
        ("GT1-GEN", exchange_us + quarter_us, 90_000, 5),
        ("GT1-GEN", exchange_us - 3 * quarter_us, 40_000, 6),
        ("GT1-GEN", exchange_us + 2 * quarter_us, 20_000, 7),
    ]


def test_device_row_outside_its_window_is_refused_naming_file_line_field_and_window() -> None:
    """The old device's serial on a reading at 16:00, when the new device served: refused at line 3, on the
    time field, with the device and its window in the reason."""
    content = HEADER + "SN-OLD,2026-10-15T15:45:00Z,1.5,kWh\nSN-OLD,2026-10-15T16:00:00Z,1.5,kWh\n"
    error = _refusal(content, {"GT1-GEN": EXCHANGED})
    assert (error.source, error.line, error.field) == ("site.csv", 3, "interval_start")
    assert "SN-OLD" in error.reason and "GT1-GEN" in error.reason
    assert "[2026-10-01T04:00:00+00:00, 2026-10-15T16:00:00+00:00)" in error.reason
    early = _refusal(HEADER + "SN-NEW,2026-10-15T15:45:00Z,1,kWh\n", {"GT1-GEN": EXCHANGED})
    assert (early.line, early.field) == (2, "interval_start") and "SN-NEW" in early.reason


def test_point_row_when_no_device_served_is_refused() -> None:
    """Devices with a gap between them (removed 16:00, next installed 18:00): a point row at 17:00 has no
    multiplier, so it is refused naming the devices."""
    later = EXCHANGE + timedelta(hours=2)
    devices = (Device("SN-OLD", Decimal(80), None, EXCHANGE), Device("SN-NEW", Decimal(40), later))
    gap = MeterSpec("GT1-GEN", "generation", "kWh", 15, devices=devices)
    error = _refusal(HEADER + "GT1-GEN,2026-10-15T17:00:00Z,1,kWh\n", {"GT1-GEN": gap})
    assert (error.line, error.field) == (2, "interval_start")
    assert "no device served meter GT1-GEN" in error.reason and "SN-NEW" in error.reason


def test_readings_outside_the_points_service_window_are_refused() -> None:
    """A point in service from 2026-10-10 10:07 to 2026-10-20 00:00: 10:00 starts before it, 10:15 is the
    first interval wholly in service; 2026-10-19 23:45 is the last; 2026-10-20 00:00 is after it."""
    spec = MeterSpec("SHARED", "shared_consumption", "kWh", 15,
                     active_from_utc=datetime(2026, 10, 10, 10, 7, tzinfo=UTC),
                     active_to_utc=datetime(2026, 10, 20, tzinfo=UTC))
    meters = {"SHARED": spec}
    content = HEADER + "SHARED,2026-10-10T10:15:00Z,1,kWh\nSHARED,2026-10-19T23:45:00Z,1,kWh\n"
    accepted = _read_csv(content, meters)
    assert [energy_wh for _, _, energy_wh, _ in accepted] == [1000, 1000]
    for stamp in ("2026-10-10T10:00:00Z", "2026-10-20T00:00:00Z"):
        error = _refusal(HEADER + f"SHARED,{stamp},1,kWh\n", meters)
        assert (error.source, error.line, error.field) == ("site.csv", 2, "interval_start")
        assert "outside meter SHARED's service window" in error.reason
    # A blank value is a missing interval, not a reading: nothing to refuse.
    assert _read_csv(HEADER + "SHARED,2026-10-01T04:00:00Z,,kWh\n", meters) == []


def test_an_interval_running_past_a_retirement_inside_it_is_refused() -> None:
    """Retired at 12:07: the 12:00 interval ends at 12:15, after service ended, so VEE will not expect it and
    ingest does not accept it."""
    retired = datetime(2026, 10, 10, 12, 7, tzinfo=UTC)
    spec = MeterSpec("SHARED", "shared_consumption", "kWh", 15, active_to_utc=retired)
    assert len(_read_csv(HEADER + "SHARED,2026-10-10T11:45:00Z,1,kWh\n", {"SHARED": spec})) == 1
    error = _refusal(HEADER + "SHARED,2026-10-10T12:00:00Z,1,kWh\n", {"SHARED": spec})
    assert error.field == "interval_start" and "service window" in error.reason


def test_a_serial_listed_under_two_points_is_refused_as_ambiguous() -> None:
    """A serial on two points (or equal to another point's id) names neither: refused on the meter field."""
    a = MeterSpec("A", "shared_consumption", "kWh", 15, devices=(Device("SN-1", Decimal(1)),))
    b_devices = (Device("SN-1", Decimal(2)), Device("A", Decimal(2)))
    b = MeterSpec("B", "shared_consumption", "kWh", 15, devices=b_devices)
    meters = {"A": a, "B": b}
    error = _refusal(HEADER + "SN-1,2026-10-01T04:00:00Z,1,kWh\n", meters)
    assert (error.line, error.field) == (2, "meter_id") and "ambiguous" in error.reason
    assert "A" in ReadingNames(meters).ambiguous and "B" in ReadingNames(meters).by_name
    assert "unknown meter 'SN-9'" in _refusal(HEADER + "SN-9,2026-10-01T04:00:00Z,1,kWh\n", meters).reason


def test_spec_from_campus_meter_carries_multiplier_window_and_devices() -> None:
    """meter_spec_from_campus keeps the campus facts; the role becomes its string value."""
    meter = Meter("T1-LOAD", MeterRole.TENANT, "kWh", 15, tenant_id="t1", rated_kw=900,
                  multiplier=Decimal("1.5"), active_from_utc=OCT_START, active_to_utc=None,
                  devices=(Device("SN-T", Decimal(60), OCT_START),))
    spec = meter_spec_from_campus(meter)
    assert (spec.meter_id, spec.role, spec.unit) == ("T1-LOAD", "tenant_consumption", "kWh")
    assert spec.interval_minutes == 15
    assert (spec.tenant_id, spec.rated_kw, spec.multiplier) == ("t1", 900, Decimal("1.5"))
    assert (spec.active_from_utc, spec.active_to_utc, spec.devices) == (OCT_START, None, meter.devices)
    assert spec.reading_multiplier(None, OCT_START) == meter.multiplier_at(OCT_START) == Decimal(60)


GREENBUTTON_SAMPLE = "iso_samples/greenbutton_espi_15min_sample.xml"
GB_START = datetime(2012, 3, 1, tzinfo=UTC)
GB_WINDOW = ReadingWindow(GB_START, datetime(2012, 4, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def _read_gb(data: bytes, meters: dict[str, MeterSpec]) -> ReadingColumns:
    out = ReadingColumns()
    read_greenbutton(data, "gb.xml", SHA, meters, GB_WINDOW, out)
    return out


def test_green_button_usage_point_named_by_a_device_serial_scales_into_the_point(shared_dir) -> None:
    """The sample's usage point 5446AF3F is here a device (x3) of point BLDG-1: every reading is written under
    BLDG-1 at three times the feed's Wh value."""
    data = (shared_dir / GREENBUTTON_SAMPLE).read_bytes()
    plain = _read_gb(data, {"5446AF3F": MeterSpec("5446AF3F", "shared_consumption", "Wh", 15)})
    spec = MeterSpec("BLDG-1", "shared_consumption", "Wh", 15, devices=(Device("5446AF3F", Decimal(3)),))
    scaled = _read_gb(data, {"BLDG-1": spec})
    assert set(scaled.meter_id) == {"BLDG-1"} and len(scaled) == len(plain) == 96
    assert scaled.energy_wh == [3 * wh for wh in plain.energy_wh]
    assert scaled.interval_start_us == plain.interval_start_us


def test_green_button_reading_outside_its_devices_window_is_refused_with_line(shared_dir) -> None:
    """The device was removed 2 hours into the feed's readings: the first reading after that is refused on
    timePeriod/start, at its own line, naming the device."""
    data = (shared_dir / GREENBUTTON_SAMPLE).read_bytes()
    plain = _read_gb(data, {"5446AF3F": MeterSpec("5446AF3F", "shared_consumption", "Wh", 15)})
    first_us = min(plain.interval_start_us)
    removed = datetime.fromtimestamp(first_us // 1_000_000, UTC) + timedelta(hours=2)
    devices = (Device("5446AF3F", Decimal(3), None, removed),)
    spec = MeterSpec("BLDG-1", "shared_consumption", "Wh", 15, devices=devices)
    with pytest.raises(BadInput) as caught:
        _read_gb(data, {"BLDG-1": spec})
    refused_at = plain.interval_start_us.index(_us(removed))
    assert (caught.value.source, caught.value.field) == ("gb.xml", "timePeriod/start")
    assert caught.value.line == plain.source_row[refused_at] and "5446AF3F" in caught.value.reason


def _parquet(rows: list[tuple[str, datetime, int]]) -> bytes:
    table = pa.table({
        "meter_id": pa.array([r[0] for r in rows], pa.string()),
        "interval_start_utc": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
        "energy_wh": pa.array([r[2] for r in rows], pa.int64()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_parquet_energy_is_already_wh_and_is_not_scaled_but_service_is_checked() -> None:
    """A normalized file for the exchanged point keeps its Wh as given; a row after a retirement is refused,
    and a device serial in meter_id is refused (normalized rows name the point)."""
    out = ReadingColumns()
    meters = {"GT1-GEN": EXCHANGED}
    read_parquet(_parquet([("GT1-GEN", EXCHANGE, 1234)]), "n.parquet", SHA, meters, WINDOW, out)
    assert (out.meter_id, out.energy_wh) == (["GT1-GEN"], [1234])
    retired = MeterSpec("SHARED", "shared_consumption", "kWh", 15, active_to_utc=EXCHANGE)
    with pytest.raises(BadInput) as caught:
        read_parquet(_parquet([("SHARED", EXCHANGE, 1)]), "n.parquet", SHA, {"SHARED": retired}, WINDOW, out)
    assert (caught.value.line, caught.value.field) == (1, "interval_start_utc")
    with pytest.raises(BadInput) as caught:
        read_parquet(_parquet([("SN-NEW", EXCHANGE, 1)]), "n.parquet", SHA, meters, WINDOW, out)
    assert caught.value.field == "meter_id" and "device of meter GT1-GEN" in caught.value.reason
