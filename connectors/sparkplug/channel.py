"""A Sparkplug B metric as the campus file declares it: which edge node (and device) publishes it, and its scale.

Metrics are declared by name; aliases are learnt from each session's NBIRTH/DBIRTH and never configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from connectors.reading import ChannelInvalid, EnergyUnit, check_channel_names, check_register_scaling

TOPIC_FORBIDDEN = ("/", "+", "#")


@dataclass(frozen=True)
class SparkplugChannel:
    """One cumulative energy metric of one campus meter, published by a Sparkplug B edge node or its device.

    Primary Wh = value × 10^`scale_power_of_ten` × `unit` × `multiplier`. `device_id` None means the metric is
    the edge node's own (NBIRTH/NDATA), else the device's (DBIRTH/DDATA).
    """

    meter_id: str
    channel: str
    group_id: str
    edge_node_id: str
    device_id: str | None
    metric_name: str
    unit: EnergyUnit
    scale_power_of_ten: int = 0
    multiplier: Decimal = Decimal(1)
    register_modulus: int | None = None

    def __post_init__(self) -> None:
        check_sparkplug_channel(self)


def check_sparkplug_channel(channel: SparkplugChannel) -> None:
    """Raise ChannelInvalid naming the first field that can never work."""
    check_channel_names(channel.meter_id, channel.channel)
    ids = {"group_id": channel.group_id, "edge_node_id": channel.edge_node_id, "device_id": channel.device_id}
    for field, value in ids.items():
        if value is None and field == "device_id":
            continue
        if not value or any(character in value for character in TOPIC_FORBIDDEN):
            raise ChannelInvalid(field, f"{value!r} must be a non-empty topic level without '/', '+' or '#'")
    if not channel.metric_name:
        raise ChannelInvalid("metric_name", "must not be empty")
    check_register_scaling(channel.scale_power_of_ten, channel.multiplier, channel.register_modulus)
