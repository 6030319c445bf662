"""Sparkplug B primary host application: turns edge-node metrics into deliveries for the store."""

from connectors.sparkplug.channel import SparkplugChannel
from connectors.sparkplug.host import SparkplugHost, SparkplugSettings
from connectors.sparkplug.host_state import HostCounts, RebirthRequest, SparkplugHostState

__all__ = ["HostCounts", "RebirthRequest", "SparkplugChannel", "SparkplugHost", "SparkplugHostState",
           "SparkplugSettings"]
