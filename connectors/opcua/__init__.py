"""OPC UA source: subscribes to energy register nodes of a server and puts deliveries into the store."""

from connectors.opcua.channel import OpcUaChannel

__all__ = ["OpcUaChannel"]
