"""Live meter data from the plant: MQTT (plain JSON and Sparkplug B), OPC UA and Modbus TCP sources that turn
cumulative energy registers into stored readings, and interval energy derived from them."""

from connectors.reading import (
    ChannelInvalid,
    Delivery,
    DeliverySink,
    EnergyUnit,
    ReadingQuality,
    RegisterReading,
    scaled_register_wh,
)

__all__ = [
    "ChannelInvalid",
    "Delivery",
    "DeliverySink",
    "EnergyUnit",
    "ReadingQuality",
    "RegisterReading",
    "scaled_register_wh",
]
