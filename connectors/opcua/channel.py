"""An OPC UA energy register node as the campus file declares it.

The node is named by its namespace URI and identifier, never by a namespace index: a server may renumber its
namespaces across restarts, the URI is stable. The index is looked up in the server's NamespaceArray at connect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from connectors.reading import ChannelInvalid, EnergyUnit, check_channel_names, check_register_scaling

# OPC UA identifier forms of a NodeId without its namespace: numeric, string, GUID or opaque (base64).
NODE_IDENTIFIER = re.compile(r"^(i=\d+|s=.+|g=[0-9A-Fa-f-]{36}|b=[A-Za-z0-9+/=]+)$")


@dataclass(frozen=True)
class OpcUaChannel:
    """One cumulative energy register variable of one campus meter on an OPC UA server.

    Primary Wh = value × 10^`scale_power_of_ten` × `unit` × `multiplier`. `node_identifier` is the NodeId
    without its namespace part, e.g. "s=PM8000.EnergyDelivered" or "i=1001". `register_modulus` is in raw
    counts, None when the register never wraps. `sampling_period` is what we ask the server for (0: its fastest;
    it may revise it upward).
    """

    meter_id: str
    channel: str
    endpoint_url: str
    namespace_uri: str
    node_identifier: str
    unit: EnergyUnit
    scale_power_of_ten: int = 0
    multiplier: Decimal = Decimal(1)
    register_modulus: int | None = None
    sampling_period: timedelta = timedelta(seconds=1)

    def __post_init__(self) -> None:
        check_opcua_channel(self)

    @property
    def source(self) -> str:
        return f"opcua:{self.endpoint_url}"


def check_opcua_channel(channel: OpcUaChannel) -> None:
    """Raise ChannelInvalid naming the first field that can never work."""
    check_channel_names(channel.meter_id, channel.channel)
    if not channel.endpoint_url.startswith("opc.tcp://"):
        raise ChannelInvalid("endpoint_url", f"{channel.endpoint_url!r} is not an opc.tcp:// URL")
    if not channel.namespace_uri or channel.namespace_uri.isdigit():
        raise ChannelInvalid("namespace_uri", "give the namespace URI, not an index (indexes change on restart)")
    if channel.node_identifier.startswith("ns=") or not NODE_IDENTIFIER.match(channel.node_identifier):
        raise ChannelInvalid(
            "node_identifier", f"{channel.node_identifier!r} must be i=…, s=…, g=… or b=… without ns=")
    check_register_scaling(channel.scale_power_of_ten, channel.multiplier, channel.register_modulus)
    if channel.sampling_period < timedelta(0):
        raise ChannelInvalid("sampling_period", "must not be negative (0 asks for the server's fastest)")
