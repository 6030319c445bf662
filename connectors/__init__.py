"""Live meter data from the plant: MQTT (plain JSON and Sparkplug B), OPC UA and Modbus TCP sources that turn
cumulative energy registers into stored readings, and interval energy derived from them.

Shells (the CLI, `wattledger dev`, the API) reach the package through the names below and two public modules,
imported by name: `service` (run a campus's channels, channel status, the campuses declaring channels), `derive`
(derive a window's intervals into the meter-data store) and `live` (the near-real-time view)."""

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
    "derive",
    "live",
    "scaled_register_wh",
    "service",
]
