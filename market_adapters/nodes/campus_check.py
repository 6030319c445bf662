"""A campus's settlement point against its ISO's node registry, at campus plan and apply.

The campus's active period is when its meters are in service: from the earliest `active_from` (unknown if no meter
states one) to the latest `active_to` (open if any meter has none). The node must be listed and in force over all of
it, in the ISO's local days. With no registry loaded for the ISO there is nothing to check against: a warning, not
a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from campus import CampusFileInvalid, Problem
from market_adapters.model import MARKET_TIME_ZONES
from market_adapters.nodes import repository as repo
from market_adapters.nodes.model import StoredNode

FIELD = "campus.settlement_point"


def check_settlement_node(conn: Connection, document: dict[str, Any], source: str, line: int | None) -> list[str]:
    """Warnings to show; raises CampusFileInvalid (file, line, field) when the node is unknown or not in force."""
    campus = document["campus"]
    iso, point = campus["iso"], campus.get("settlement_point")
    if not point:
        return []
    if not repo.registry_loaded(conn, iso):
        return [(f"{source}: no {iso} node registry is loaded, so settlement point {point!r} was not checked "
                 "(wattledger market nodes load)")]
    matches = repo.find_nodes(conn, iso, point)
    if not matches:
        _refuse(source, line, f"{point!r} is not a node of the loaded {iso} registry "
                              f"(wattledger market nodes list {iso} --search ...)")
    start, end = active_period_days(document.get("meters", []), ZoneInfo(MARKET_TIME_ZONES[iso]))
    if not any(in_force_over(node, start, end) for node in matches):
        node = matches[0]
        _refuse(source, line, f"{iso} {node.node_type} {point!r} is in force {_span(node.valid_from, node.valid_to)}, "
                              f"not over the campus's active period {_span(start, end)}")
    return []


def active_period_days(meters: Sequence[dict[str, Any]], zone: ZoneInfo) -> tuple[date | None, date | None]:
    """(first day, day after the last) of the meters' service in the ISO's local days; None = unknown / open."""
    starts = [_day(meter["active_from"], zone) for meter in meters if meter.get("active_from")]
    # active_to is exclusive: service ending at local midnight ends on that day, any later instant the day after.
    ends = [_day(meter["active_to"], zone, before=True) + timedelta(days=1) for meter in meters
            if meter.get("active_to")]
    open_ended = not meters or len(ends) < len(meters)
    return (min(starts) if starts else None), (None if open_ended else max(ends))


def in_force_over(node: StoredNode, start: date | None, end: date | None) -> bool:
    """Whether the node is in force over `[start, end)`; an unknown start is not checked, an open end must stay
    open (a node closed on any day cannot carry a campus with no end)."""
    starts_in_time = node.valid_from is None or start is None or node.valid_from <= start
    ends_in_time = node.valid_to is None or (end is not None and end <= node.valid_to)
    return starts_in_time and ends_in_time


def _day(instant: str, zone: ZoneInfo, *, before: bool = False) -> date:
    moment = datetime.fromisoformat(instant)
    return (moment - timedelta(microseconds=1) if before else moment).astimezone(zone).date()


def _span(start: date | None, end: date | None) -> str:
    return f"from {start or 'the start'} to {end or 'open end'}"


def _refuse(source: str, line: int | None, reason: str) -> NoReturn:
    raise CampusFileInvalid(source, [Problem(line, FIELD, reason)])
