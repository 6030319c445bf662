"""Worker interceptor: times every activity attempt, counts failures and VEE results, sets the log context,
and heartbeats for the activity while it runs.

It wraps the real activity call, so it sees exactly what Temporal sees: each attempt, its result or its
exception. Failures are counted per attempt (a database restart shows up as retried attempts here even when
the cycle completes).

Why heartbeat here: a worker killed with SIGKILL tells nobody. Without heartbeats the server notices only
when the activity's start-to-close timeout (10 minutes or more, scaled with the campus) runs out; with the workflow's heartbeat timeout and
these heartbeats it notices within that timeout and retries the step on a live worker. The heartbeats come
from the worker's event loop, not from inside the step, so a step stuck in a deadlock is still bounded by
its start-to-close timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from observability import metrics
from observability.logs import cycle_log_context, install_log_context

# Well under the workflow's heartbeat timeout (20 s, at least 10: workflows/activity_options.py), so a busy event loop on a
# loaded machine still gets one through in time.
HEARTBEAT_INTERVAL_S = 3.0


class ActivityObserver(Interceptor):
    def __init__(self) -> None:
        install_log_context()

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ObservedActivity(next)


def _cycle_id_of(args: Any) -> str | None:
    first = args[0] if args else None
    cycle_id = getattr(first, "cycle_id", None)
    return cycle_id if isinstance(cycle_id, str) else None


def _error_type(error: BaseException) -> str:
    if isinstance(error, ApplicationError) and error.type:
        return error.type
    return type(error).__name__


class _ObservedActivity(ActivityInboundInterceptor):
    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self._outbound = outbound
        super().init(outbound)

    async def _heartbeat_until_done(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL_S)
            self._outbound.heartbeat()

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        name = info.activity_type
        workflow_id = info.workflow_id or ""
        cycle_id = _cycle_id_of(input.args) or (workflow_id if workflow_id.startswith("cycle:") else None)
        started = time.perf_counter()
        heartbeats = asyncio.create_task(self._heartbeat_until_done())
        with cycle_log_context(cycle_id=cycle_id, workflow_id=workflow_id, activity=name, attempt=info.attempt):
            try:
                result = await super().execute_activity(input)
            except BaseException as error:
                await _stop(heartbeats)
                metrics.ACTIVITY_DURATION.labels(activity=name, outcome="failed").observe(time.perf_counter() - started)
                metrics.ACTIVITY_FAILURES.labels(activity=name, error_type=_error_type(error)).inc()
                raise
        await _stop(heartbeats)
        metrics.ACTIVITY_DURATION.labels(activity=name, outcome="ok").observe(time.perf_counter() - started)
        _count_result(name, input.args, result)
        return result


def _count_result(name: str, args: Any, result: Any) -> None:
    if name == "record_status" and args:
        metrics.CYCLE_TRANSITIONS.labels(phase=str(getattr(args[0], "status", "unknown"))).inc()
    elif name == "validate_intervals" and result is not None:
        metrics.count_vee_report(int(result.reading_count), int(result.estimated_count), result.report or {})


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
