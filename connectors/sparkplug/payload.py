"""The Sparkplug B payload (protobuf), its descriptor built here from the specification's field numbers.

Sparkplug B 3.0.0, chapter 6 ("Payloads"), gives the `Payload` message of package org.eclipse.tahu.protobuf
(proto2). We build that descriptor at run time with protobuf's own descriptor types rather than ship generated
code, and convert to and from plain dataclasses at once so nothing else handles protobuf messages. The parts an
energy host never reads (DataSet, Template, MetaData, extensions) are declared as far as needed to keep their
field numbers; protobuf keeps any field it does not know as an unknown field.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "org.eclipse.tahu.protobuf"
Field = descriptor_pb2.FieldDescriptorProto


class DataType(enum.IntEnum):
    """Sparkplug B metric datatypes (spec §6.4.16) that an energy register can have, plus Boolean for commands."""

    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12


SIGNED_BITS = {DataType.INT8: 8, DataType.INT16: 16, DataType.INT32: 32, DataType.INT64: 64}


@dataclass(frozen=True)
class Metric:
    """One metric as carried: `value` is already signed for IntN types; None when is_null or absent."""

    name: str | None
    alias: int | None
    timestamp_ms: int | None
    datatype: int | None
    value: int | float | bool | str | None
    is_historical: bool = False
    is_null: bool = False
    properties: tuple[tuple[str, int | float | bool | str | None], ...] = ()

    def property_value(self, key: str) -> int | float | bool | str | None:
        return dict(self.properties).get(key)


@dataclass(frozen=True)
class Payload:
    timestamp_ms: int | None
    metrics: tuple[Metric, ...]
    seq: int | None


def _field(name: str, number: int, kind: int, label: int = Field.LABEL_OPTIONAL, type_name: str = "",
           oneof_index: int | None = None) -> Field:
    built = Field(name=name, number=number, type=kind, label=label)  # type: ignore[arg-type]
    if type_name:
        built.type_name = f".{PACKAGE}.{type_name}"
    if oneof_index is not None:
        built.oneof_index = oneof_index
    return built


def _value_fields(first: int, with_bytes: bool) -> list[Field]:
    """The oneof value members shared by Metric, PropertyValue, DataSetValue and Parameter, from `first` on."""
    kinds = [("int_value", Field.TYPE_UINT32), ("long_value", Field.TYPE_UINT64), ("float_value", Field.TYPE_FLOAT),
             ("double_value", Field.TYPE_DOUBLE), ("boolean_value", Field.TYPE_BOOL),
             ("string_value", Field.TYPE_STRING)]
    if with_bytes:
        kinds.append(("bytes_value", Field.TYPE_BYTES))
    return [_field(name, first + offset, kind, oneof_index=0) for offset, (name, kind) in enumerate(kinds)]


def _message(name: str, fields: list[Field], oneof: bool = False,
             extension_from: int | None = None) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name, field=fields)
    if oneof:
        message.oneof_decl.add(name="value")
    if extension_from is not None:
        message.extension_range.add(start=extension_from, end=536_870_912)
    return message


def _payload_descriptor() -> descriptor_pb2.FileDescriptorProto:
    repeated = Field.LABEL_REPEATED
    message = Field.TYPE_MESSAGE
    property_value = _message("PropertyValue", [
        _field("type", 1, Field.TYPE_UINT32), _field("is_null", 2, Field.TYPE_BOOL),
        *_value_fields(3, with_bytes=False),
        _field("propertyset_value", 9, message, type_name="Payload.PropertySet", oneof_index=0),
        _field("propertysets_value", 10, message, type_name="Payload.PropertySetList", oneof_index=0),
    ], oneof=True)
    property_set = _message("PropertySet", [
        _field("keys", 1, Field.TYPE_STRING, repeated),
        _field("values", 2, message, repeated, "Payload.PropertyValue"),
    ], extension_from=3)
    property_set_list = _message("PropertySetList", [
        _field("propertyset", 1, message, repeated, "Payload.PropertySet")], extension_from=2)
    metadata = _message("MetaData", [
        _field("is_multi_part", 1, Field.TYPE_BOOL), _field("content_type", 2, Field.TYPE_STRING),
        _field("size", 3, Field.TYPE_UINT64), _field("seq", 4, Field.TYPE_UINT64),
        _field("file_name", 5, Field.TYPE_STRING), _field("file_type", 6, Field.TYPE_STRING),
        _field("md5", 7, Field.TYPE_STRING), _field("description", 8, Field.TYPE_STRING),
    ], extension_from=9)
    metric = _message("Metric", [
        _field("name", 1, Field.TYPE_STRING), _field("alias", 2, Field.TYPE_UINT64),
        _field("timestamp", 3, Field.TYPE_UINT64), _field("datatype", 4, Field.TYPE_UINT32),
        _field("is_historical", 5, Field.TYPE_BOOL), _field("is_transient", 6, Field.TYPE_BOOL),
        _field("is_null", 7, Field.TYPE_BOOL),
        _field("metadata", 8, message, type_name="Payload.MetaData"),
        _field("properties", 9, message, type_name="Payload.PropertySet"),
        *_value_fields(10, with_bytes=True),  # 10..16; 17 DataSet, 18 Template, 19 extension stay unknown
    ], oneof=True)
    payload = _message("Payload", [
        _field("timestamp", 1, Field.TYPE_UINT64), _field("metrics", 2, message, repeated, "Payload.Metric"),
        _field("seq", 3, Field.TYPE_UINT64), _field("uuid", 4, Field.TYPE_STRING),
        _field("body", 5, Field.TYPE_BYTES),
    ], extension_from=6)
    payload.nested_type.extend([property_value, property_set, property_set_list, metadata, metric])
    return descriptor_pb2.FileDescriptorProto(name="wattledger_sparkplug_b.proto", package=PACKAGE,
                                              syntax="proto2", message_type=[payload])


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_payload_descriptor())
PayloadMessage: Any = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.Payload"))


class PayloadUndecodable(ValueError):
    pass


def _signed(raw: int, datatype: int | None) -> int:
    bits = next((width for kind, width in SIGNED_BITS.items() if kind == datatype), None)
    if bits is not None and raw >= 1 << (bits - 1):
        return raw - (1 << bits) if raw < 1 << bits else raw - (1 << 64)
    return raw


def _oneof_value(message: Any, datatype: int | None) -> int | float | bool | str | None:
    which = message.WhichOneof("value")
    if which is None or which in ("propertyset_value", "propertysets_value", "bytes_value"):
        return None
    value: int | float | bool | str = getattr(message, which)
    if which in ("int_value", "long_value"):
        assert isinstance(value, int)
        return _signed(value, datatype)
    return value


def _properties(metric: Any) -> tuple[tuple[str, int | float | bool | str | None], ...]:
    if not metric.HasField("properties"):
        return ()
    keys, values = metric.properties.keys, metric.properties.values
    return tuple((key, None if value.is_null else _oneof_value(value, value.type))
                 for key, value in zip(keys, values, strict=False))


def decode_payload(raw: bytes) -> Payload:
    message = PayloadMessage()
    try:
        message.ParseFromString(raw)
    except Exception as error:  # protobuf raises its DecodeError (not exported consistently across versions)
        raise PayloadUndecodable(f"not a Sparkplug B payload: {error}") from error
    metrics = tuple(
        Metric(
            name=metric.name if metric.HasField("name") else None,
            alias=metric.alias if metric.HasField("alias") else None,
            timestamp_ms=metric.timestamp if metric.HasField("timestamp") else None,
            datatype=metric.datatype if metric.HasField("datatype") else None,
            value=None if metric.is_null else _oneof_value(metric, metric.datatype),
            is_historical=metric.is_historical,
            is_null=metric.is_null,
            properties=_properties(metric),
        )
        for metric in message.metrics)
    return Payload(timestamp_ms=message.timestamp if message.HasField("timestamp") else None, metrics=metrics,
                   seq=message.seq if message.HasField("seq") else None)


def _set_value(target: Any, datatype: int | None, value: float | str) -> None:
    if isinstance(value, bool):
        target.boolean_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, float):
        if datatype == DataType.FLOAT:
            target.float_value = value
        else:
            target.double_value = value
    elif datatype in (DataType.INT64, DataType.UINT64) or datatype is None:
        target.long_value = value % (1 << 64)  # two's complement for negative Int64
    else:
        target.int_value = value % (1 << 32)


def encode_payload(payload: Payload) -> bytes:
    """Encode (for commands we send, and for the tests' simulated edge nodes)."""
    message = PayloadMessage()
    if payload.timestamp_ms is not None:
        message.timestamp = payload.timestamp_ms
    if payload.seq is not None:
        message.seq = payload.seq
    for metric in payload.metrics:
        encoded = message.metrics.add()
        if metric.name is not None:
            encoded.name = metric.name
        if metric.alias is not None:
            encoded.alias = metric.alias
        if metric.timestamp_ms is not None:
            encoded.timestamp = metric.timestamp_ms
        if metric.datatype is not None:
            encoded.datatype = metric.datatype
        if metric.is_historical:
            encoded.is_historical = True
        if metric.is_null:
            encoded.is_null = True
        elif metric.value is not None:
            _set_value(encoded, metric.datatype, metric.value)
        for key, value in metric.properties:
            encoded.properties.keys.append(key)
            property_value = encoded.properties.values.add()
            if value is None:
                property_value.is_null = True
            else:
                property_value.type = DataType.INT32 if isinstance(value, int) else DataType.STRING
                _set_value(property_value, property_value.type, value)
    data: bytes = message.SerializeToString()
    return data
