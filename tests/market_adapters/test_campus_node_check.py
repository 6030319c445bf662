"""The campus's active period (from its meters) and whether a node is in force over it, in the ISO's local days."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from market_adapters.nodes import StoredNode, active_period_days, in_force_over

CENTRAL = ZoneInfo("America/Chicago")


def _node(valid_from: date | None, valid_to: date | None) -> StoredNode:
    return StoredNode("ERCOT", "QUEENSOL_RN", "QUEENSOL_RN", "RN", "LZ_WEST", "ercot-settlement-points", valid_from,
                      valid_to)


def test_active_period_from_the_meters():
    """Earliest start; the end is the day after the last service day, and open while any meter has none. An
    active_to at local midnight (05:00 UTC in CDT) ends service on that day."""
    meters = [{"active_from": "2026-01-01T06:00:00Z", "active_to": "2026-07-01T05:00:00Z"},
              {"active_from": "2025-12-31T12:00:00Z", "active_to": "2026-03-15T17:00:00Z"}]
    assert active_period_days(meters, CENTRAL) == (date(2025, 12, 31), date(2026, 7, 1))
    assert active_period_days([*meters, {"active_from": "2026-02-01T06:00:00Z"}], CENTRAL) == (
        date(2025, 12, 31), None)
    assert active_period_days([{}], CENTRAL) == (None, None)


def test_in_force_over_the_period():
    assert in_force_over(_node(None, None), date(2020, 1, 1), None)
    assert in_force_over(_node(date(2026, 7, 1), None), date(2026, 7, 1), None)
    assert not in_force_over(_node(date(2026, 7, 1), None), date(2026, 6, 30), None)  # opened a day too late
    assert in_force_over(_node(date(2026, 7, 1), None), None, None)  # no meter says when service began
    assert not in_force_over(_node(None, date(2026, 7, 1)), date(2026, 1, 1), None)  # closed, campus open-ended
    assert in_force_over(_node(None, date(2026, 7, 1)), date(2026, 1, 1), date(2026, 7, 1))
    assert not in_force_over(_node(None, date(2026, 7, 1)), date(2026, 1, 1), date(2026, 7, 2))
