"""The node registry's vocabulary: one published node (settlement point, zone, hub, generator bus) of an ISO.

Node types are the ISO's own words, upper-cased (ERCOT `RN`/`LZ`/`HU`; PJM's `pnode_subtype` such as `HUB`,
`ZONE`, `LOAD`, `GEN`; ISO-NE's `HUB`, `LOAD ZONE`, `NETWORK NODE`; NYISO `ZONE`/`GEN`). Days are the ISO's local
calendar days; `valid_to` is exclusive (the first day the node is no longer listed or in force).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PublishedNode:
    """One node as a published list gives it; `valid_from`/`valid_to` only when the list states them (PJM)."""

    node_id: str
    name: str
    node_type: str
    zone: str | None
    valid_from: date | None = None
    valid_to: date | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredNode:
    """A node as the registry holds it."""

    iso: str
    node_id: str
    name: str
    node_type: str
    zone: str | None
    list_kind: str
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)
