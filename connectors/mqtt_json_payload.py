"""Plain JSON meter messages → register readings. Pure: no broker.

The mapping (docs/connectors.md, "MQTT plain JSON"): one message is a JSON object, or an array of objects (a
gateway's batch), on the channel's topic. Each channel declared on the topic reads its `value_field` and
`timestamp_field` (dotted paths into the object), and optionally `serial_field` and `quality_field`:

    {"ts": "2026-11-03T10:15:00.000+00:00", "energy": {"delivered": 123456789}, "serial": "PM8K-0042"}

- the value is a JSON integer (exact at any size), a JSON number, or a string of digits (for 64-bit registers
  sent by tools whose JSON numbers are doubles); it is scaled once to primary Wh;
- the time is ISO 8601 **with an offset** (a naive time is refused: its zone is a guess) and not more than
  `FUTURE_LIMIT` ahead of receipt (a device clock slightly ahead is kept and flagged by the derivation);
- quality, when mapped and present, is `good`, `uncertain` or `bad` (a bad value, which may be null, is kept for
  the record and never differenced); absent, the value is good.

A message that breaks these rules is refused as a whole, with the topic, the field and the reason; the source
still stores its raw bytes (and acknowledges it), so nothing received is lost and nothing wrong is billed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from common.errors import BadInput
from connectors.reading import EnergyUnit, ReadingQuality, RegisterReading, scaled_register_wh

FUTURE_LIMIT = timedelta(minutes=5)
"""Beyond this ahead of receipt a source time is refused, not flagged (a clock that wrong is not a clock)."""
MESSAGE_BYTES_MAX = 1 << 20
OBJECTS_PER_MESSAGE_MAX = 10_000
DIGITS = re.compile(r"^-?[0-9]{1,20}$")
QUALITY_TEXT = {"good": ReadingQuality.GOOD, "uncertain": ReadingQuality.UNCERTAIN, "bad": ReadingQuality.BAD}


@dataclass(frozen=True)
class MqttJsonChannel:
    """One cumulative energy register of one campus meter, published as JSON on an MQTT topic."""

    meter_id: str
    channel: str
    broker_host: str
    broker_port: int
    topic: str
    value_field: str
    timestamp_field: str
    unit: EnergyUnit
    scale_power_of_ten: int = 0
    multiplier: Decimal = Decimal(1)
    serial_field: str | None = None
    quality_field: str | None = None

    @property
    def source(self) -> str:
        return f"mqtt:{self.broker_host}:{self.broker_port}/{self.topic}"


class PayloadRefused(BadInput):
    """A JSON message the mapping cannot read: names the topic, the field and the reason."""


def parse_message(topic: str, payload: bytes, channels: Sequence[MqttJsonChannel],
                  received_ts_utc: datetime) -> tuple[RegisterReading, ...]:
    """Every declared channel's reading in the message (one per object per channel)."""
    if len(payload) > MESSAGE_BYTES_MAX:
        raise PayloadRefused(topic, None, None, f"message of {len(payload)} bytes, more than {MESSAGE_BYTES_MAX}")
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadRefused(topic, None, None, f"not JSON: {str(error)[:120]}") from error
    objects = document if isinstance(document, list) else [document]
    if len(objects) > OBJECTS_PER_MESSAGE_MAX:
        raise PayloadRefused(topic, None, None, f"{len(objects)} objects, more than {OBJECTS_PER_MESSAGE_MAX}")
    readings = []
    for index, item in enumerate(objects):
        if not isinstance(item, dict):
            raise PayloadRefused(topic, index + 1, None, "each message item must be a JSON object")
        readings += [_reading(topic, index + 1, item, channel, received_ts_utc) for channel in channels]
    return tuple(readings)


def _reading(topic: str, item: int, document: dict[str, Any], channel: MqttJsonChannel,
             received_ts_utc: datetime) -> RegisterReading:
    source_ts = parse_source_time(topic, item, channel.timestamp_field, _field(document, channel.timestamp_field),
                                  received_ts_utc)
    quality = ReadingQuality.GOOD
    if channel.quality_field is not None:
        text = _field(document, channel.quality_field)
        if text is None:
            text = "good"  # a message without the field makes no claim: the value stands
        if text not in QUALITY_TEXT:
            raise PayloadRefused(topic, item, channel.quality_field, f"{str(text)[:40]!r} is not good, uncertain or bad")
        quality = QUALITY_TEXT[text]
    raw = _field(document, channel.value_field)
    register_wh = None if quality is ReadingQuality.BAD and raw is None else \
        scaled_register_wh(_number(topic, item, channel.value_field, raw), channel.unit, channel.scale_power_of_ten,
                           channel.multiplier)
    serial = None if channel.serial_field is None else _field(document, channel.serial_field)
    if serial is not None and not isinstance(serial, str):
        raise PayloadRefused(topic, item, channel.serial_field, "the serial must be a string")
    return RegisterReading(channel.meter_id, channel.channel, source_ts, received_ts_utc, register_wh, quality,
                           str(raw)[:100], serial)


def parse_source_time(topic: str, item: int, field: str, value: Any, received_ts_utc: datetime) -> datetime:
    """An ISO 8601 time with an offset, not beyond FUTURE_LIMIT ahead of receipt, in UTC."""
    if not isinstance(value, str):
        raise PayloadRefused(topic, item, field, "missing or not a time text")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise PayloadRefused(topic, item, field, f"{value[:40]!r} is not an ISO 8601 time") from error
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PayloadRefused(topic, item, field, f"{value[:40]!r} has no UTC offset: its zone would be a guess")
    if parsed - received_ts_utc > FUTURE_LIMIT:
        raise PayloadRefused(topic, item, field,
                             f"{value[:40]!r} is more than {FUTURE_LIMIT} ahead of its receipt: a future time")
    return parsed.astimezone(received_ts_utc.tzinfo)


def _field(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _number(topic: str, item: int, field: str, value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise PayloadRefused(topic, item, field, "missing or not a number")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise PayloadRefused(topic, item, field, "not a finite number")
        return value
    if isinstance(value, str) and DIGITS.match(value):
        return int(value)
    raise PayloadRefused(topic, item, field, f"{str(value)[:40]!r} is not a number")
