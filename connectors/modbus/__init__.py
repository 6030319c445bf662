"""Modbus TCP source: polls cumulative energy registers of campus meters and puts deliveries into the store."""

from connectors.modbus.channel import ModbusChannel, RegisterDataType, RegisterTable, WordOrder

__all__ = ["ModbusChannel", "RegisterDataType", "RegisterTable", "WordOrder"]
