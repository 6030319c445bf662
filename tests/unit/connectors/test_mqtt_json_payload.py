"""Plain JSON meter messages: the documented mapping, exact scaling, and the refusals (future and offset-less times,
missing or non-numeric values) naming topic, item and field (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.mqtt_json_payload import MqttJsonChannel, PayloadRefused, parse_message
from connectors.reading import EnergyUnit, ReadingQuality

RECEIVED = datetime(2026, 11, 3, 10, 15, 0, 200_000, tzinfo=UTC)
CHANNEL = MqttJsonChannel("M1", "main", "127.0.0.1", 1883, "plant/M1", "energy.delivered", "ts", EnergyUnit.KWH,
                          scale_power_of_ten=-1, serial_field="serial", quality_field="q")


def test_a_message_maps_to_a_scaled_reading_with_its_source_time_in_utc() -> None:
    """123,456,789 tenths of a kWh = 12,345,678.9 kWh = 12,345,678,900 Wh; 11:15+01:00 is 10:15 UTC."""
    payload = b'{"ts": "2026-11-03T11:15:00+01:00", "energy": {"delivered": 123456789}, "serial": "PM-1", "q": "good"}'
    (reading,) = parse_message("plant/M1", payload, [CHANNEL], RECEIVED)
    assert reading.register_wh == 12_345_678_900
    assert reading.source_ts_utc == datetime(2026, 11, 3, 10, 15, tzinfo=UTC)
    assert (reading.device_serial, reading.quality, reading.raw_value) == ("PM-1", ReadingQuality.GOOD, "123456789")


def test_a_64_bit_register_sent_as_digits_stays_exact() -> None:
    """2^63 − 1 Wh does not fit a double; as a string of digits (or a JSON integer) it is kept to the unit."""
    channel = MqttJsonChannel("M1", "main", "h", 1, "t", "v", "ts", EnergyUnit.WH)
    for value in (b'"9223372036854775807"', b"9223372036854775807"):
        (reading,) = parse_message("t", b'{"ts": "2026-11-03T10:15:00Z", "v": ' + value + b"}", [channel], RECEIVED)
        assert reading.register_wh == 2**63 - 1


def test_a_secondary_reading_is_multiplied_once() -> None:
    channel = MqttJsonChannel("M1", "main", "h", 1, "t", "v", "ts", EnergyUnit.KWH, multiplier=Decimal(40))
    (reading,) = parse_message("t", b'{"ts": "2026-11-03T10:15:00Z", "v": 12.5}', [channel], RECEIVED)
    assert reading.register_wh == 500_000


@pytest.mark.parametrize(("payload", "field", "reason_part"), [
    (b'{"ts": "2026-11-03T10:15:00", "energy": {"delivered": 1}}', "ts", "no UTC offset"),
    (b'{"ts": "2026-11-03T10:20:01Z", "energy": {"delivered": 1}}', "ts", "future time"),
    (b'{"ts": 1762164900, "energy": {"delivered": 1}}', "ts", "not a time text"),
    (b'{"ts": "2026-11-03T10:15:00Z", "energy": {}}', "energy.delivered", "missing or not a number"),
    (b'{"ts": "2026-11-03T10:15:00Z", "energy": {"delivered": "12a"}}', "energy.delivered", "is not a number"),
    (b'{"ts": "2026-11-03T10:15:00Z", "energy": {"delivered": NaN}}', "energy.delivered", "not a finite number"),
    (b'{"ts": "2026-11-03T10:15:00Z", "energy": {"delivered": 1}, "q": "meh"}', "q", "not good, uncertain or bad"),
])
def test_a_message_the_mapping_cannot_read_is_refused_naming_topic_item_and_field(
        payload: bytes, field: str, reason_part: str) -> None:
    """A time without an offset, one more than 5 minutes ahead of receipt (10:20:01 vs 10:15:00.2), a missing or
    non-numeric value, a quality outside the three words."""
    with pytest.raises(PayloadRefused) as caught:
        parse_message("plant/M1", payload, [CHANNEL], RECEIVED)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("plant/M1", 1, field)
    assert reason_part in caught.value.reason


def test_a_clock_90_seconds_ahead_is_kept_for_the_derivation_to_flag() -> None:
    """90 s ahead is within the 5-minute refusal limit: the reading is kept with both times (see test_intervals
    for the flag)."""
    ahead = (RECEIVED + timedelta(seconds=90)).isoformat()
    payload = b'{"ts": "%s", "energy": {"delivered": 10}}' % ahead.encode()
    (reading,) = parse_message("plant/M1", payload, [CHANNEL], RECEIVED)
    assert reading.source_ts_utc - reading.received_ts_utc == timedelta(seconds=90)


def test_a_gateway_batch_gives_one_reading_per_object_and_a_bad_value_may_be_null() -> None:
    payload = (b'[{"ts": "2026-11-03T10:14:00Z", "energy": {"delivered": 10}},'
               b' {"ts": "2026-11-03T10:15:00Z", "energy": {"delivered": null}, "q": "bad"}]')
    readings = parse_message("plant/M1", payload, [CHANNEL], RECEIVED)
    assert [(r.register_wh, r.quality) for r in readings] == [(1_000, ReadingQuality.GOOD), (None, ReadingQuality.BAD)]
