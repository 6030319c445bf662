"""The monthly kickoff's input and its one activity's Input and Result."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KickoffInput:
    campus_id: str


@dataclass(frozen=True)
class StartPreviousMonthCycleInput:
    campus_id: str
    scheduled_at_utc: str  # ISO 8601; the period is the campus-local month before this instant


@dataclass(frozen=True)
class StartPreviousMonthCycleResult:
    cycle_id: str
