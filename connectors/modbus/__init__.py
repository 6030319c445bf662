"""Modbus TCP source: polls cumulative energy registers of campus meters and puts deliveries into the store."""

from connectors.modbus.channel import ModbusChannel, RegisterDataType, RegisterTable, WordOrder
from connectors.modbus.decode import modbus_reading, register_value
from connectors.modbus.poller import ModbusPollCounts, ModbusPollSettings, ModbusSource

__all__ = [
    "ModbusChannel",
    "ModbusPollCounts",
    "ModbusPollSettings",
    "ModbusSource",
    "RegisterDataType",
    "RegisterTable",
    "WordOrder",
    "modbus_reading",
    "register_value",
]
