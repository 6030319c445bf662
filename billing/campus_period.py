"""What every step of a cycle works on: the campus, its meters and the period's bounds, read once per step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from billing.periods import period_bounds_utc
from campus import Campus, Meter, load_campus, load_meters


@dataclass(frozen=True)
class CampusPeriod:
    campus: Campus
    meters: list[Meter]
    period: str  # "YYYY-MM", the campus's local calendar month
    start_utc: datetime
    end_utc: datetime

    @property
    def campus_id(self) -> str:
        return self.campus.campus_id

    @property
    def bounds_utc(self) -> tuple[datetime, datetime]:
        return self.start_utc, self.end_utc


def load_campus_period(conn: Connection, campus_id: str, period: str) -> CampusPeriod:
    campus = load_campus(conn, campus_id)
    start_utc, end_utc = period_bounds_utc(period, campus.time_zone)
    return CampusPeriod(campus, load_meters(conn, campus_id), period, start_utc, end_utc)
