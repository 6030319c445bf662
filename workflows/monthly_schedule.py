"""Temporal Schedules that start each campus's monthly cycle (via MonthlyKickoffWorkflow)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)

from settings import TASK_QUEUE
from workflows.monthly_kickoff import MonthlyKickoffWorkflow
from workflows.monthly_kickoff_types import KickoffInput

SCHEDULES_LISTED_MAX = 1000


def schedule_id_for(campus_id: str) -> str:
    return f"monthly-cycle:{campus_id}"


async def create_monthly_schedule(client: Client, campus_id: str, time_zone: str, day_of_month: int,
                                  hour: int) -> str:
    """Every month on `day_of_month` at `hour` campus-local time, bill the month that just ended.

    Overlaps are skipped (the cycle id dedupes anyway) and a missed start is caught up within 3 days.
    """
    schedule_id = schedule_id_for(campus_id)
    await client.create_schedule(
        schedule_id,
        Schedule(
            action=ScheduleActionStartWorkflow(
                MonthlyKickoffWorkflow.run, KickoffInput(campus_id), id=f"kickoff:{campus_id}",
                task_queue=TASK_QUEUE,
            ),
            spec=ScheduleSpec(
                calendars=[ScheduleCalendarSpec(day_of_month=[ScheduleRange(day_of_month)],
                                                hour=[ScheduleRange(hour)])],
                time_zone_name=time_zone,
            ),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=3)),
        ),
    )
    return schedule_id


async def list_schedules(client: Client) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = []
    async for entry in await client.list_schedules():
        if len(listed) >= SCHEDULES_LISTED_MAX:
            break
        info, schedule = entry.info, entry.schedule
        listed.append({
            "schedule_id": entry.id,
            "paused": schedule.state.paused if schedule else None,
            "next_action_times": [t.isoformat() for t in (info.next_action_times if info else [])],
        })
    return listed
