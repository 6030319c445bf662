"""MonthlyKickoffWorkflow: what a Temporal Schedule starts each month for a campus.

The schedule appends its own timestamp to workflow ids, so it cannot start `cycle:{campus}:{period}`
directly. This thin workflow starts (or finds) the business-keyed cycle of the month that just ended, so
manual and scheduled starts of the same month meet in one cycle. `workflows.monthly_schedule` creates the
schedules.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.schedule import ScheduleActivities
    from workflows.monthly_kickoff_types import KickoffInput, StartPreviousMonthCycleInput


@workflow.defn
class MonthlyKickoffWorkflow:
    @workflow.run
    async def run(self, inp: KickoffInput) -> str:
        request = StartPreviousMonthCycleInput(campus_id=inp.campus_id, scheduled_at_utc=workflow.now().isoformat())
        started = await workflow.execute_activity_method(
            ScheduleActivities.start_previous_month_cycle,
            request,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_attempts=10, maximum_interval=timedelta(minutes=5)),
        )
        return started.cycle_id
