"""OPC UA source: subscribes to energy register nodes of a server and puts deliveries into the store."""

from connectors.opcua.channel import OpcUaChannel
from connectors.opcua.decode import opcua_reading
from connectors.opcua.source import ChannelNodeMissing, OpcUaCounts, OpcUaSettings, OpcUaSource

__all__ = ["ChannelNodeMissing", "OpcUaChannel", "OpcUaCounts", "OpcUaSettings", "OpcUaSource", "opcua_reading"]
