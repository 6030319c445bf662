"""The campus file's `[[channels]]` section: live meter channels, each a cumulative energy register of one meter
read over one protocol (docs/campus-file.md, "Live channels"; docs/connectors.md).

The section only declares; `connectors` reads the stored declarations (campus.load_channel_declarations) and
turns each into its protocol's channel type. Register numbers are protocol offsets (0-based), never a vendor's
printed 1-based number.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

METER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
TOPIC_LEVEL_PATTERN = r"^[^/+#]{1,200}$"
MODULUS_PATTERN = r"^[1-9][0-9]{0,24}$"
PROTOCOLS = ("mqtt_json", "sparkplug_b", "opcua", "modbus_tcp")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttJsonAddress(_Section):
    broker: str = Field(pattern=r"^mqtts?://[^/\s]+$", description="mqtt://host:port of the broker.")
    topic: str = Field(min_length=1, max_length=500, pattern=r"^[^+#]+$",
                       description="The topic the meter's JSON messages arrive on (no wildcards).")
    value_field: str = Field("value", min_length=1, max_length=200,
                             description="Dotted path of the register value in the JSON object.")
    timestamp_field: str = Field("ts", min_length=1, max_length=200,
                                 description="Dotted path of the source time: ISO 8601 with an offset.")
    serial_field: str | None = Field(None, max_length=200, description="Dotted path of the device serial, if sent.")
    quality_field: str | None = Field(None, max_length=200,
                                      description="Dotted path of a quality text: good, uncertain or bad.")


class SparkplugAddress(_Section):
    broker: str = Field(pattern=r"^mqtts?://[^/\s]+$")
    group_id: str = Field(pattern=TOPIC_LEVEL_PATTERN)
    edge_node_id: str = Field(pattern=TOPIC_LEVEL_PATTERN)
    device_id: str | None = Field(None, pattern=TOPIC_LEVEL_PATTERN,
                                  description="Absent: the metric is the edge node's own (NBIRTH/NDATA).")
    metric_name: str = Field(min_length=1, max_length=500)


class OpcUaAddress(_Section):
    endpoint_url: str = Field(pattern=r"^opc\.tcp://\S+$")
    namespace_uri: str = Field(min_length=1, max_length=500,
                               description="The namespace URI, never its index (indexes change on restart).")
    node_identifier: str = Field(pattern=r"^(i=\d+|s=.+|g=[0-9A-Fa-f-]{36}|b=[A-Za-z0-9+/=]+)$",
                                 description="NodeId without its namespace: i=…, s=…, g=… or b=….")
    sampling_ms: int = Field(1000, ge=0, le=3_600_000)


class ModbusAddress(_Section):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(502, ge=1, le=65535)
    device_id: int = Field(ge=1, le=255, description="Unit id (slave address).")
    address: int = Field(ge=0, le=65535, description="Protocol offset of the first register (0-based).")
    table: Literal["holding", "input"] = "holding"
    data_type: Literal["uint32", "int32", "uint64", "int64", "float32", "float64"]
    word_order: Literal["big", "little"] = Field("big", description="big: high word in the lower register.")
    byte_swap: bool = Field(False, description="Swap the two bytes of each register (BADC/DCBA devices).")
    poll_ms: int = Field(1000, ge=100, le=3_600_000)


class ChannelSection(_Section):
    meter: str = Field(pattern=METER_ID_PATTERN, description="The metering point this register belongs to.")
    channel: str = Field("main", min_length=1, max_length=64,
                         description="The meter's channel the derived intervals carry.")
    protocol: Literal["mqtt_json", "sparkplug_b", "opcua", "modbus_tcp"]
    unit: Literal["Wh", "kWh", "MWh"] = Field(description="What one register count is, before the scale.")
    scale_power_of_ten: int = Field(0, ge=-9, le=9, description="Primary Wh = raw × 10^this × unit (× CT × VT).")
    reports: Literal["primary", "secondary"] = Field(
        "primary", description="secondary: the meter's CT × VT multiplier (meters[].devices) is applied; primary: "
                               "never (no double multiplication).")
    register_modulus: str | None = Field(None, pattern=MODULUS_PATTERN,
                                         description="Raw count at which the register wraps to 0, as digits "
                                                     "(\"4294967296\", \"100000000\"); absent: never wraps.")
    billing: bool = Field(True, description="A billing channel refuses float registers too coarse to count Wh.")
    mqtt_json: MqttJsonAddress | None = None
    sparkplug_b: SparkplugAddress | None = None
    opcua: OpcUaAddress | None = None
    modbus_tcp: ModbusAddress | None = None

    @model_validator(mode="after")
    def _one_address(self) -> Self:
        given = [name for name in PROTOCOLS if getattr(self, name) is not None]
        if given != [self.protocol]:
            raise ValueError(f"protocol {self.protocol} needs exactly its own [{self.protocol}] table, "
                             f"found {given or 'none'}")
        return self
