"""Sparkplug B primary host application: turns edge-node metrics into deliveries for the store."""

from connectors.sparkplug.channel import SparkplugChannel

__all__ = ["SparkplugChannel"]
