"""An OPC UA DataValue → register reading: SourceTimestamp places it, the StatusCode grades it. Pure.

Part 4 §7.7: SourceTimestamp is set by the data source and never changes for that value; ServerTimestamp is when
the server got it. A value without a SourceTimestamp is placed at its ServerTimestamp (else at receipt) and
graded UNCERTAIN, since its time is the server's guess. StatusCode severity: Good 00, Uncertain 01, Bad 1x (the
value is then null or meaningless and never differenced).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from asyncua import ua

from connectors.opcua.channel import OpcUaChannel
from connectors.reading import ReadingQuality, RegisterReading, scaled_register_wh


def reading_time_utc(data_value: ua.DataValue, received_ts_utc: datetime) -> tuple[datetime, bool]:
    """When the value was measured, and whether that is the source's own time."""
    if data_value.SourceTimestamp is not None:
        return as_utc(data_value.SourceTimestamp), True
    if data_value.ServerTimestamp is not None:
        return as_utc(data_value.ServerTimestamp), False
    return received_ts_utc, False


def as_utc(moment: datetime) -> datetime:
    # asyncua decodes DateTime as aware UTC; a naive one (a server-side write without tzinfo) is UTC on the wire.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def register_number(data_value: ua.DataValue) -> int | float | None:
    """The numeric register value, or None when the variant holds nothing usable (null, bool, text, NaN)."""
    value = data_value.Value.Value if data_value.Value is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def opcua_reading(channel: OpcUaChannel, data_value: ua.DataValue, received_ts_utc: datetime,
                  replayed: bool) -> RegisterReading:
    """One notification (or read) of one channel's node. `replayed` notifications came through Republish after a
    reconnect: they are stored as historical, not current."""
    source_ts_utc, source_timed = reading_time_utc(data_value, received_ts_utc)
    status = data_value.StatusCode if data_value.StatusCode is not None else ua.StatusCode()
    value = register_number(data_value)
    if status.is_bad() or value is None:
        quality, register_wh = ReadingQuality.BAD, None
    else:
        register_wh = scaled_register_wh(value, channel.unit, channel.scale_power_of_ten, channel.multiplier)
        graded_good = status.is_good() and source_timed
        quality = ReadingQuality.GOOD if graded_good else ReadingQuality.UNCERTAIN
    raw = data_value.Value.Value if data_value.Value is not None else None
    return RegisterReading(
        meter_id=channel.meter_id,
        channel=channel.channel,
        source_ts_utc=source_ts_utc,
        received_ts_utc=received_ts_utc,
        register_wh=register_wh,
        quality=quality,
        raw_value=repr(raw),
        historical=replayed,
    )


def raw_record(channel: OpcUaChannel, data_value: ua.DataValue, received_ts_utc: datetime,
               replayed: bool) -> dict[str, object]:
    """The notification as received, for the raw-message audit trail."""
    status = data_value.StatusCode if data_value.StatusCode is not None else ua.StatusCode()
    variant = data_value.Value
    return {
        "namespace_uri": channel.namespace_uri,
        "node_identifier": channel.node_identifier,
        "value": repr(variant.Value) if variant is not None else None,
        "variant_type": variant.VariantType.name if variant is not None else None,
        "status_code": status.value,
        "source_timestamp": data_value.SourceTimestamp.isoformat() if data_value.SourceTimestamp else None,
        "server_timestamp": data_value.ServerTimestamp.isoformat() if data_value.ServerTimestamp else None,
        "received_utc": received_ts_utc.isoformat(),
        "replayed": replayed,
    }
