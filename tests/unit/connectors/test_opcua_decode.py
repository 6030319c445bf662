"""OPC UA DataValue → register reading: SourceTimestamp (never ServerTimestamp) places a reading, Uncertain
status grades it UNCERTAIN, Bad and null values carry no energy, a republished notification is historical, and
channel declarations name nodes by namespace URI, never by index."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from asyncua import ua

from connectors import ChannelInvalid, EnergyUnit, ReadingQuality
from connectors.opcua import OpcUaChannel, opcua_reading

MEASURED = datetime(2026, 12, 7, 9, 0, 0, tzinfo=UTC)
SERVER_GOT = MEASURED + timedelta(seconds=7)
RECEIVED = MEASURED + timedelta(seconds=8)
UNCERTAIN_LAST_USABLE = 0x40900000
BAD_SENSOR_FAILURE = 0x808B0000

CHANNEL = OpcUaChannel(
    meter_id="M1", channel="energy_delivered", endpoint_url="opc.tcp://epms:4840",
    namespace_uri="urn:plant:pm8000", node_identifier="s=M1.EnergyDelivered", unit=EnergyUnit.WH)


def data_value(value: object, variant_type: ua.VariantType, status: int = 0,
               source_ts: datetime | None = MEASURED) -> ua.DataValue:
    return ua.DataValue(ua.Variant(value, variant_type), StatusCode=ua.StatusCode(status),
                        SourceTimestamp=source_ts, ServerTimestamp=SERVER_GOT)


def test_good_value_is_placed_at_its_source_timestamp() -> None:
    reading = opcua_reading(CHANNEL, data_value(123_456_789, ua.VariantType.UInt64), RECEIVED, replayed=False)
    assert (reading.register_wh, reading.quality) == (123_456_789, ReadingQuality.GOOD)
    assert (reading.source_ts_utc, reading.received_ts_utc, reading.historical) == (MEASURED, RECEIVED, False)


def test_value_without_source_timestamp_falls_back_to_server_time_and_is_uncertain() -> None:
    value = data_value(5, ua.VariantType.Int64, source_ts=None)
    reading = opcua_reading(CHANNEL, value, RECEIVED, replayed=False)
    assert (reading.source_ts_utc, reading.quality) == (SERVER_GOT, ReadingQuality.UNCERTAIN)


def test_uncertain_status_keeps_the_value_graded_uncertain() -> None:
    reading = opcua_reading(CHANNEL, data_value(1_500, ua.VariantType.UInt64, UNCERTAIN_LAST_USABLE), RECEIVED,
                            replayed=False)
    assert (reading.register_wh, reading.quality) == (1_500, ReadingQuality.UNCERTAIN)


def test_bad_status_carries_no_energy() -> None:
    reading = opcua_reading(CHANNEL, data_value(None, ua.VariantType.Null, BAD_SENSOR_FAILURE), RECEIVED,
                            replayed=False)
    assert (reading.register_wh, reading.quality, reading.raw_value) == (None, ReadingQuality.BAD, "None")
    # A Bad status with a stale number still in the variant is not differenced either.
    reading = opcua_reading(CHANNEL, data_value(9, ua.VariantType.UInt64, BAD_SENSOR_FAILURE), RECEIVED, False)
    assert (reading.register_wh, reading.quality) == (None, ReadingQuality.BAD)


def test_double_kwh_scaled_with_multiplier() -> None:
    # 1,234.5678 kWh × 10^0 × 1,000 Wh/kWh × CT 200 = 246,913,560 Wh
    channel = replace(CHANNEL, unit=EnergyUnit.KWH, multiplier=Decimal(200))
    reading = opcua_reading(channel, data_value(1_234.5678, ua.VariantType.Double), RECEIVED, replayed=False)
    assert reading.register_wh == 246_913_560


def test_republished_notification_is_historical() -> None:
    reading = opcua_reading(CHANNEL, data_value(7, ua.VariantType.UInt64), RECEIVED, replayed=True)
    assert reading.historical is True


@pytest.mark.parametrize(("field", "value"), [
    ("namespace_uri", "2"), ("node_identifier", "ns=2;s=M1.EnergyDelivered"), ("node_identifier", "M1"),
    ("endpoint_url", "http://epms:4840"), ("sampling_period", timedelta(seconds=-1)),
])
def test_impossible_channel_names_its_field(field: str, value: object) -> None:
    with pytest.raises(ChannelInvalid) as caught:
        replace(CHANNEL, **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
