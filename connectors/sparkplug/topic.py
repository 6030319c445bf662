"""Sparkplug B topics (spec §4.1): spBv1.0/<group>/<message type>/<edge node>[/<device>], spBv1.0/STATE/<host>."""

from __future__ import annotations

import enum
from dataclasses import dataclass

NAMESPACE = "spBv1.0"


class MessageType(enum.StrEnum):
    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    NDATA = "NDATA"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    DDATA = "DDATA"
    DCMD = "DCMD"

    @property
    def is_device(self) -> bool:
        return self.value.startswith("D")


@dataclass(frozen=True)
class EdgeTopic:
    group_id: str
    message_type: MessageType
    edge_node_id: str
    device_id: str | None

    @property
    def node_key(self) -> tuple[str, str]:
        return self.group_id, self.edge_node_id


def parse_edge_topic(topic: str) -> EdgeTopic | None:
    """The parts of an edge node or device topic; None for STATE and anything not Sparkplug B."""
    levels = topic.split("/")
    if len(levels) not in (4, 5) or levels[0] != NAMESPACE or levels[1] == "STATE":
        return None
    try:
        message_type = MessageType(levels[2])
    except ValueError:
        return None
    device_id = levels[4] if len(levels) == 5 else None
    if message_type.is_device != (device_id is not None):
        return None
    return EdgeTopic(levels[1], message_type, levels[3], device_id)


def state_topic(host_id: str) -> str:
    return f"{NAMESPACE}/STATE/{host_id}"


def node_command_topic(group_id: str, edge_node_id: str) -> str:
    return f"{NAMESPACE}/{group_id}/{MessageType.NCMD.value}/{edge_node_id}"


def group_filter(group_id: str) -> str:
    return f"{NAMESPACE}/{group_id}/#"
