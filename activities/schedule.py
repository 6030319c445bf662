"""The activity a monthly schedule runs: start the billing cycle of the month that just ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from activities.errors import translate_domain_errors
from billing.periods import cycle_id_for
from campus import load_campus
from common.errors import Conflict
from settings import Settings
from workflows.billing_cycle_start import start_cycle
from workflows.monthly_kickoff_types import StartPreviousMonthCycleInput, StartPreviousMonthCycleResult


def previous_local_month(instant_utc: datetime, time_zone: str) -> str:
    local = instant_utc.astimezone(ZoneInfo(time_zone))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


class ScheduleActivities:
    def __init__(self, settings: Settings, engine: Engine, client: Client) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client

    @activity.defn(name="start_previous_month_cycle")
    @translate_domain_errors
    async def start_previous_month_cycle(self, inp: StartPreviousMonthCycleInput) -> StartPreviousMonthCycleResult:
        with self.engine.connect() as conn:
            campus = load_campus(conn, inp.campus_id)
        period = previous_local_month(datetime.fromisoformat(inp.scheduled_at_utc), campus.time_zone)
        try:
            started = await start_cycle(self.client, self.engine, self.settings, inp.campus_id, period)
        except Conflict:
            # The month was already billed (a manual start got there first): nothing left to do.
            return StartPreviousMonthCycleResult(cycle_id_for(inp.campus_id, period))
        return StartPreviousMonthCycleResult(started.cycle_id)

    def all(self) -> list[Callable[..., object]]:
        return [self.start_previous_month_cycle]
