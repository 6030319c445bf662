"""Live meter data from the plant: MQTT (plain JSON and Sparkplug B), OPC UA and Modbus TCP sources that turn
cumulative energy registers into stored readings, and interval energy derived from them."""

from connectors.reading import Delivery, DeliverySink, ReadingQuality, RegisterReading

__all__ = ["Delivery", "DeliverySink", "ReadingQuality", "RegisterReading"]
