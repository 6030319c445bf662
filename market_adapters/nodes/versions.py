"""Reloading a list, the pure part: what to insert, update and close so the registry keeps every node it ever held.

A list that states validity (PJM's effective/termination dates) is taken at its word. A list that does not
(ERCOT, NYISO, ISO-NE) gives validity by presence: a node in the first list of its kind is valid since before
that list (`valid_from` NULL), a node first seen in a later list from that list's day, and a node of the kind
missing from a newer list is closed on that list's day. A node that comes back is opened again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from market_adapters.nodes.model import PublishedNode, StoredNode


@dataclass(frozen=True)
class ReloadPlan:
    upserts: tuple[tuple[StoredNode, dict[str, str]], ...]
    closes: tuple[StoredNode, ...]
    opened_count: int

    @property
    def closed_count(self) -> int:
        return len(self.closes)


def plan_reload(iso: str, list_kind: str, as_of: date, published: Sequence[PublishedNode],
                stored: Mapping[str, StoredNode], *, first_of_kind: bool) -> ReloadPlan:
    """`stored` holds the ISO's nodes by id (any kind); only nodes of `list_kind` can be closed by this list."""
    upserts: list[tuple[StoredNode, dict[str, str]]] = []
    opened = 0
    for node in published:
        before = stored.get(node.node_id)
        stated = node.valid_from is not None or node.valid_to is not None
        if before is None:
            valid_from = node.valid_from if stated else (None if first_of_kind else as_of)
            opened += 1
        else:
            valid_from = node.valid_from if stated else before.valid_from
            opened += before.valid_to is not None and node.valid_to is None
        valid_to = node.valid_to if stated else None
        upserts.append((StoredNode(iso, node.node_id, node.name, node.node_type, node.zone, list_kind, valid_from,
                                   valid_to), node.attributes))
    listed = {node.node_id for node in published}
    closes = tuple(replace(node, valid_to=_close_day(node, as_of)) for node_id, node in sorted(stored.items())
                   if node.list_kind == list_kind and node_id not in listed and node.valid_to is None)
    return ReloadPlan(tuple(upserts), closes, opened)


def _close_day(node: StoredNode, as_of: date) -> date:
    # valid_to is exclusive and after valid_from; a node opened on the very day it disappears lasted one day.
    if node.valid_from is not None and as_of <= node.valid_from:
        return node.valid_from + timedelta(days=1)
    return as_of
